"""Contract rules of a formation (marché), checked against its sessions.

The rules come from the tender and are all optional on ``Formation``: group size, minimum
hours per day, number of sessions, trainees reached, attendees per structure and session.
They are **warnings, never blocks**: a coordinator may have good reasons (a late
cancellation, a funder's written agreement) and the figures are what an auditor will see.

Every figure is computed in SQL (``annotate`` / ``aggregate`` with ``HAVING`` on the
offending groups), so the number of queries is the same for 3 sessions or 300: only the
rows that break a rule are fetched.

Cancelled sessions are left out of every rule.
"""

import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, Max, Min, OuterRef, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.models import Formation
from sessions.models import Enrolment, Slot, TrainingSession
from sessions.selectors.hours import (
    count_subquery,
    counted_attendances,
    realised_expression,
    slot_minutes,
)


class RuleState:
    OK = "ok"
    WARNING = "warning"
    VIOLATED = "violated"
    NOT_APPLICABLE = "not_applicable"
    PENDING = "pending"

    LABELS = {
        OK: gettext_lazy("respectée"),
        WARNING: gettext_lazy("à surveiller"),
        VIOLATED: gettext_lazy("non respectée"),
        NOT_APPLICABLE: gettext_lazy("sans objet"),
        PENDING: gettext_lazy("en attente"),
    }
    # CSS class of the badge; the text label is always shown too (no information by colour).
    BADGES = {OK: "ok", WARNING: "warning", VIOLATED: "error", NOT_APPLICABLE: "", PENDING: ""}
    SEVERITY = {NOT_APPLICABLE: 0, OK: 1, PENDING: 2, WARNING: 3, VIOLATED: 4}


@dataclass(frozen=True)
class Offence:
    """One session that breaks a rule, with what is wrong in it (French)."""

    session_id: int
    session_code: str
    detail: str
    state: str = RuleState.VIOLATED


@dataclass(frozen=True)
class RuleStatus:
    code: str
    label: str
    expected: str
    value: str
    state: str
    offences: tuple[Offence, ...] = ()
    note: str = ""

    @property
    def state_label(self) -> str:
        return str(RuleState.LABELS[self.state])

    @property
    def badge(self) -> str:
        return RuleState.BADGES[self.state]

    @property
    def applicable(self) -> bool:
        return self.state != RuleState.NOT_APPLICABLE


@dataclass(frozen=True)
class FormationContractStatus:
    formation: Formation
    rules: tuple[RuleStatus, ...] = field(default_factory=tuple)

    @property
    def state(self) -> str:
        """The worst state among the rules."""
        return max(
            (r.state for r in self.rules),
            key=RuleState.SEVERITY.__getitem__,
            default=RuleState.NOT_APPLICABLE,
        )

    @property
    def has_violations(self) -> bool:
        return any(r.state == RuleState.VIOLATED for r in self.rules)

    def rule(self, code: str) -> RuleStatus:
        return next(r for r in self.rules if r.code == code)


# --- helpers ------------------------------------------------------------------------------


def _range_text(low, high, unit: str = "") -> str:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        if low == high:
            return f"{low}{unit}"
        return _("%(low)s à %(high)s%(unit)s") % {"low": low, "high": high, "unit": unit}
    if low is not None:
        return _("au moins %(low)s%(unit)s") % {"low": low, "unit": unit}
    if high is not None:
        return _("au plus %(high)s%(unit)s") % {"high": high, "unit": unit}
    return "—"


def _hours_text(minutes: int | Decimal) -> str:
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _active_sessions(formation) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(formation=formation).exclude(
        status=TrainingSession.Status.CANCELLED
    )


def _local_day():
    """The slot's local calendar date, in its session's own time zone, as one SQL expression.

    Each session has its zone, so a ``CASE`` picks the conversion per row (one branch per
    zone offered on the model: the field's choices; anything else falls back to the site's
    zone). A half-day never straddles midnight, so the start's date is the day.
    """
    zones = {code for code, _label in TrainingSession.TIME_ZONE_CHOICES}
    return Case(
        *[
            When(
                session__time_zone=zone, then=TruncDate("starts_at", tzinfo=zoneinfo.ZoneInfo(zone))
            )
            for zone in sorted(zones)
        ],
        default=TruncDate("starts_at"),
    )


def _min_hours_threshold(formation) -> int | None:
    if formation.min_hours_per_day is None:
        return None
    return int(Decimal(formation.min_hours_per_day) * 60)


# --- the rules ----------------------------------------------------------------------------


def _group_size_rule(formation, sessions) -> RuleStatus:
    low, high = formation.group_size_min, formation.group_size_max
    label = _("Taille des groupes")
    if low is None and high is None:
        return RuleStatus("group_size", label, "—", "—", RuleState.NOT_APPLICABLE)
    counted = sessions.annotate(
        n=count_subquery(Enrolment.objects.filter(session_id=OuterRef("pk")))
    )
    span = counted.aggregate(lo=Min("n"), hi=Max("n"), total=Count("pk"))
    if not span["total"]:
        return RuleStatus(
            "group_size",
            label,
            _range_text(low, high, _("personnes")),
            "—",
            RuleState.PENDING,
            note=_("Aucune session programmée."),
        )
    bad = Q()
    if high is not None:
        bad |= Q(n__gt=high)
    if low is not None:
        bad |= Q(n__lt=low)
    offences = []
    for row in counted.filter(bad).values("pk", "code", "n", "status").order_by("code"):
        if high is not None and row["n"] > high:
            offences.append(
                Offence(
                    row["pk"],
                    row["code"],
                    _("%(n)s inscrit·es pour un maximum de %(max)s") % {"n": row["n"], "max": high},
                )
            )
        else:
            # Below the minimum is only a warning while the session may still enrol people.
            state = (
                RuleState.WARNING
                if row["status"] == TrainingSession.Status.PLANNED
                else RuleState.VIOLATED
            )
            offences.append(
                Offence(
                    row["pk"],
                    row["code"],
                    _("%(n)s inscrit·es pour un minimum de %(min)s") % {"n": row["n"], "min": low},
                    state,
                )
            )
    state = max([RuleState.OK, *(o.state for o in offences)], key=RuleState.SEVERITY.__getitem__)
    value = _range_text(span["lo"], span["hi"], _("personnes"))
    return RuleStatus(
        "group_size", label, _range_text(low, high, _("personnes")), value, state, tuple(offences)
    )


def _days_below_minimum(slots: QuerySet[Slot], threshold: int):
    """(session id, code, local day, minutes) for each day whose planned minutes are under
    ``threshold``: one grouped query with ``HAVING``."""
    return (
        slots.annotate(day=_local_day())
        .values("session_id", "session__code", "day")
        .annotate(minutes=Sum(slot_minutes()))
        .filter(minutes__lt=threshold)
        .order_by("session__code", "day")
    )


def _min_hours_rule(formation, sessions) -> RuleStatus:
    label = _("Heures minimum par jour")
    threshold = _min_hours_threshold(formation)
    if threshold is None:
        return RuleStatus("min_hours_per_day", label, "—", "—", RuleState.NOT_APPLICABLE)
    expected = _("au moins %(h)s par jour") % {"h": _hours_text(threshold)}
    slots = Slot.objects.filter(session__in=sessions.values("pk"))
    rows = list(_days_below_minimum(slots, threshold))
    if not rows:
        value = _("tous les jours atteignent le minimum")
        return RuleStatus("min_hours_per_day", label, expected, value, RuleState.OK)
    offences = tuple(
        Offence(
            r["session_id"],
            r["session__code"],
            _("%(day)s : %(h)s prévues")
            % {"day": date_format(r["day"], "SHORT_DATE_FORMAT"), "h": _hours_text(r["minutes"])},
        )
        for r in rows
    )
    lowest = min(r["minutes"] for r in rows)
    value = ngettext(
        "%(n)s jour sous le minimum (le plus court : %(h)s)",
        "%(n)s jours sous le minimum (le plus court : %(h)s)",
        len(rows),
    ) % {"n": len(rows), "h": _hours_text(lowest)}
    return RuleStatus("min_hours_per_day", label, expected, value, RuleState.VIOLATED, offences)


def _sessions_count_rule(formation, sessions) -> RuleStatus:
    low, high = formation.sessions_min, formation.sessions_max
    label = _("Nombre de sessions")
    if low is None and high is None:
        return RuleStatus("sessions_count", label, "—", "—", RuleState.NOT_APPLICABLE)
    n = sessions.count()
    state = RuleState.OK
    if high is not None and n > high:
        state = RuleState.VIOLATED
    elif low is not None and n < low:
        # Sessions may still be planned: a warning until the end of the contract.
        state = RuleState.WARNING
    offences = ()
    if high is not None and n > high:
        # The sessions beyond the maximum, in order of creation.
        extra = sessions.order_by("created_at", "pk").values("pk", "code")[high:]
        offences = tuple(
            Offence(r["pk"], r["code"], _("au-delà du maximum de %(max)s") % {"max": high})
            for r in extra
        )
    return RuleStatus("sessions_count", label, _range_text(low, high), str(n), state, offences)


def _trainees_rule(formation, sessions) -> RuleStatus:
    low, high = formation.trainees_target_min, formation.trainees_target_max
    label = _("Stagiaires formé·es")
    if low is None and high is None:
        return RuleStatus("trainees_reached", label, "—", "—", RuleState.NOT_APPLICABLE)
    session_ids = sessions.values("pk")
    reached = (
        counted_attendances()
        .filter(slot__session_id__in=session_ids)
        .annotate(realised=realised_expression())
        .filter(realised__gt=0)
        .aggregate(n=Count("enrolment__participant_id", distinct=True))["n"]
    )
    enrolled = Enrolment.objects.filter(session_id__in=session_ids).aggregate(
        n=Count("participant_id", distinct=True)
    )["n"]
    state = RuleState.OK
    if low is not None and reached < low:
        state = RuleState.WARNING
    elif high is not None and reached > high:
        state = RuleState.WARNING
    note = _(
        "Compté·es : personnes ayant au moins une minute réalisée (émargement signé et "
        "contresigné). Inscrit·es : %(n)s."
    ) % {"n": enrolled}
    return RuleStatus(
        "trainees_reached", label, _range_text(low, high), str(reached), state, (), note
    )


def _per_structure_rule(formation, sessions) -> RuleStatus:
    low, high = formation.attendees_per_structure_min, formation.attendees_per_structure_max
    label = _("Participant·es par structure et par session")
    if low is None and high is None:
        return RuleStatus("attendees_per_structure", label, "—", "—", RuleState.NOT_APPLICABLE)
    groups = (
        Enrolment.objects.filter(session_id__in=sessions.values("pk"))
        .values(
            "session_id",
            "session__code",
            "participant__structure_id",
            "participant__structure__name",
        )
        .annotate(n=Count("pk"))
        .order_by("session__code", "participant__structure__sort_key", "participant__structure_id")
    )
    span = groups.aggregate(lo=Min("n"), hi=Max("n"))
    if span["hi"] is None:
        return RuleStatus(
            "attendees_per_structure",
            label,
            _range_text(low, high),
            "—",
            RuleState.PENDING,
            note=_("Aucune inscription pour l'instant."),
        )
    bad = Q()
    if high is not None:
        bad |= Q(n__gt=high)
    if low is not None:
        bad |= Q(n__lt=low)
    offences = []
    for row in groups.filter(bad):
        over = high is not None and row["n"] > high
        detail = _("%(structure)s : %(n)s participant·es") % {
            "structure": row["participant__structure__name"],
            "n": row["n"],
        }
        offences.append(
            Offence(
                row["session_id"],
                row["session__code"],
                detail,
                RuleState.VIOLATED if over else RuleState.WARNING,
            )
        )
    state = max([RuleState.OK, *(o.state for o in offences)], key=RuleState.SEVERITY.__getitem__)
    return RuleStatus(
        "attendees_per_structure",
        label,
        _range_text(low, high),
        _range_text(span["lo"], span["hi"]),
        state,
        tuple(offences),
    )


def contract_status(*, formation: Formation) -> FormationContractStatus:
    """Every contract rule of ``formation`` with its expected and actual value, state (ok,
    warning, violated, pending, not applicable) and the sessions that break it.

    Trainees reached = distinct participants with at least one realised minute (a signed
    and countersigned attendance) across the formation's sessions; the enrolled count is
    given as a note. At most ten queries, whatever the number of sessions.
    """
    sessions = _active_sessions(formation)
    return FormationContractStatus(
        formation=formation,
        rules=(
            _group_size_rule(formation, sessions),
            _min_hours_rule(formation, sessions),
            _sessions_count_rule(formation, sessions),
            _trainees_rule(formation, sessions),
            _per_structure_rule(formation, sessions),
        ),
    )


def session_contract_warnings(*, session: TrainingSession) -> list[str]:
    """French messages for the rules ``session`` breaks or leaves pending (shown as
    warnings when it is saved and on its page; they never block)."""
    formation = session.formation
    if session.status == TrainingSession.Status.CANCELLED:
        return []
    messages: list[str] = []

    low, high = formation.group_size_min, formation.group_size_max
    if low is not None or high is not None:
        expected = _range_text(low, high, _("personnes"))
        enrolled = Enrolment.objects.filter(session=session).count()
        if enrolled == 0:
            messages.append(
                _(
                    "Taille de groupe attendue au marché : %(expected)s. Personne n'est "
                    "encore inscrit : la règle sera vérifiée avec les inscriptions."
                )
                % {"expected": expected}
            )
        elif high is not None and enrolled > high:
            messages.append(
                _("Groupe trop grand : %(n)s inscrit·es pour un maximum de %(max)s au marché.")
                % {"n": enrolled, "max": high}
            )
        elif low is not None and enrolled < low:
            messages.append(
                _("Groupe trop petit : %(n)s inscrit·es pour un minimum de %(min)s au marché.")
                % {"n": enrolled, "min": low}
            )

    threshold = _min_hours_threshold(formation)
    if threshold is not None:
        for row in _days_below_minimum(Slot.objects.filter(session=session), threshold):
            messages.append(
                _(
                    "Le %(day)s ne compte que %(h)s prévues ; le marché demande au moins "
                    "%(min)s par jour."
                )
                % {
                    "day": date_format(row["day"], "DATE_FORMAT"),
                    "h": _hours_text(row["minutes"]),
                    "min": _hours_text(threshold),
                }
            )

    low, high = formation.attendees_per_structure_min, formation.attendees_per_structure_max
    if low is not None or high is not None:
        bad = Q()
        if high is not None:
            bad |= Q(n__gt=high)
        if low is not None:
            bad |= Q(n__lt=low)
        groups = (
            Enrolment.objects.filter(session=session)
            .values("participant__structure__name")
            .annotate(n=Count("pk"))
            .filter(bad)
            .order_by("participant__structure__sort_key", "participant__structure__name")
        )
        for row in groups:
            messages.append(
                _(
                    "%(structure)s a %(n)s participant·es dans cette session ; le marché "
                    "prévoit %(expected)s par structure."
                )
                % {
                    "structure": row["participant__structure__name"],
                    "n": row["n"],
                    "expected": _range_text(low, high),
                }
            )

    high = formation.sessions_max
    if high is not None:
        count = _active_sessions(formation).count()
        if count > high:
            messages.append(
                _("La formation compte %(n)s sessions pour un maximum de %(max)s au marché.")
                % {"n": count, "max": high}
            )
    return messages


__all__ = [
    "FormationContractStatus",
    "Offence",
    "RuleState",
    "RuleStatus",
    "contract_status",
    "session_contract_warnings",
]
