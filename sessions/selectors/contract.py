"""Contract rules of a formation (marché), checked against its sessions: the one place
where they are computed.

The rules come from the tender and are all optional on ``Formation``: execution period,
number of sessions, a minimum of sessions within a year (« dont au moins deux labos en
2021 »), a monthly rhythm (« accompagnement mensuel »), sessions of N consecutive days
(« labos sur 3 jours consécutifs », « 1 journée »), minimum hours per day, group size,
attendees per structure and session, trainees reached. They are **warnings, never
blocks**: a coordinator may have good reasons (a late cancellation, a funder's written
agreement) and the figures are what an auditor will see.

Every page that shows a rule asks this module:

- ``contract_status(formation=…)``: every rule across the formation (the formation page);
- ``session_contract_status(session=…)``: the rules one session can break, computed on that
  session alone (the enrolment page);
- ``session_rule_warnings`` / ``session_contract_warnings``: the same as French sentences
  (when a session is saved, on its page, and after an enrolment through
  ``sessions.services.enrolment.enrolment_rule_warnings``).

Every figure is computed in SQL (``annotate`` / ``aggregate`` with ``HAVING`` on the
offending groups), so the number of queries is the same for 3 sessions or 300. Days are
the session's **local** calendar days. Cancelled sessions are left out of every rule.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.french import hours_label, long_date
from formations.models import Formation
from sessions.models import Enrolment, Seal, Slot, TrainingSession
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


def _worst(states) -> str:
    return max(states, key=RuleState.SEVERITY.__getitem__, default=RuleState.NOT_APPLICABLE)


@dataclass(frozen=True)
class RuleWarning:
    """A contract rule a session breaks or leaves pending, as a French sentence. Shown,
    never blocking: the coordinator may have the funder's agreement for a larger group.
    ``code`` is stable (``group_size_max``, ``execution_period``, …); ``rule`` is the code of
    the rule it comes from."""

    code: str
    message: str
    rule: str = ""
    state: str = RuleState.VIOLATED

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Offence:
    """One session that breaks a rule, with what is wrong in it.

    ``detail`` is short (a cell of the formation's rule table); ``message`` is the whole
    sentence shown as a warning about the session; ``code`` names what is wrong with a
    stable code (``group_size_max``, ``attendees_per_structure_min``, …);
    ``structure_id`` and ``structure_name`` are set by the per-structure rule (a structure
    with nobody in the session has no row of its own on the enrolment page)."""

    session_id: int
    session_code: str
    detail: str
    state: str = RuleState.VIOLATED
    code: str = ""
    message: str = ""
    structure_id: int | None = None
    structure_name: str = ""

    @property
    def state_label(self) -> str:
        return str(RuleState.LABELS[self.state])

    @property
    def badge(self) -> str:
        return RuleState.BADGES[self.state]


@dataclass(frozen=True)
class RuleStatus:
    """One rule: what the contract expects, what is observed, its state and the offending
    sessions. ``warning`` is about the whole rule and shown among a session's warnings
    (the formation has too many sessions; nobody is enrolled yet)."""

    code: str
    label: str
    expected: str
    value: str
    state: str
    offences: tuple[Offence, ...] = ()
    note: str = ""
    warning: RuleWarning | None = None

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
        return _worst(r.state for r in self.rules)

    @property
    def by_code(self) -> dict[str, RuleStatus]:
        """The rules by code, for templates (``contract.by_code.group_size``)."""
        return {r.code: r for r in self.rules}

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


def _short(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _long(day: dt.date) -> str:
    return long_date(day)


def _short_span(first: dt.date, last: dt.date) -> str:
    return _short(first) if first == last else f"{_short(first)} – {_short(last)}"


def _long_span(first: dt.date, last: dt.date) -> str:
    """« le 4 octobre 2021 » or « du 4 octobre 2021 au 6 octobre 2021 »."""
    if first == last:
        return _("le %(day)s") % {"day": _long(first)}
    return _("du %(first)s au %(last)s") % {"first": _long(first), "last": _long(last)}


def _period_text(start: dt.date | None, end: dt.date | None) -> str:
    if start and end:
        return _long_span(start, end)
    if start:
        return _("à partir du %(day)s") % {"day": _long(start)}
    if end:
        return _("jusqu'au %(day)s") % {"day": _long(end)}
    return "—"


def _month_text(month: dt.date) -> str:
    return date_format(month, "F Y")


def _months_text(months: list[dt.date]) -> str:
    """Consecutive months as runs: « janvier à février 2018, mai 2018 à décembre 2019 »."""
    runs: list[list[dt.date]] = []
    for month in months:
        if runs and _next_month(runs[-1][1]) == month:
            runs[-1][1] = month
        else:
            runs.append([month, month])
    parts = []
    for first, last in runs:
        if first == last:
            parts.append(_month_text(first))
        elif first.year == last.year:
            parts.append(
                _("%(first)s à %(last)s")
                % {"first": date_format(first, "F"), "last": _month_text(last)}
            )
        else:
            parts.append(
                _("%(first)s à %(last)s") % {"first": _month_text(first), "last": _month_text(last)}
            )
    return ", ".join(parts)


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _month_end(month: dt.date) -> dt.date:
    return _next_month(month) - dt.timedelta(days=1)


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


@dataclass(frozen=True)
class _Context:
    """What a rule looks at. ``sessions``: the formation's active sessions (formation-wide
    figures); ``scope``: the sessions whose offences are reported (all of them on the
    formation page, one on a session's page)."""

    formation: Formation
    sessions: QuerySet[TrainingSession]
    scope: QuerySet[TrainingSession]
    today: dt.date
    single: bool = False

    def slots(self) -> QuerySet[Slot]:
        return Slot.objects.filter(session__in=self.scope.values("pk")).annotate(day=_local_day())


# --- the rules ----------------------------------------------------------------------------


def _execution_period_rule(ctx: _Context) -> RuleStatus:
    """Every half-day within the formation's execution period (start / end dates): a
    half-day outside it is not covered by the contract."""
    start, end = ctx.formation.start_date, ctx.formation.end_date
    label = _("Période d'exécution")
    if start is None and end is None:
        return RuleStatus("execution_period", label, "—", "—", RuleState.NOT_APPLICABLE)
    expected = _period_text(start, end)
    outside = Q()
    if start is not None:
        outside |= Q(day__lt=start)
    if end is not None:
        outside |= Q(day__gt=end)
    rows = (
        ctx.slots()
        .filter(outside)
        .values("session_id", "session__code")
        .annotate(n=Count("pk"), first=Min("day"), last=Max("day"))
        .order_by("session__code")
    )
    offences = []
    for row in rows:
        half_days = ngettext("%(n)s demi-journée", "%(n)s demi-journées", row["n"]) % {
            "n": row["n"]
        }
        offences.append(
            Offence(
                row["session_id"],
                row["session__code"],
                _("%(half_days)s hors période (%(days)s)")
                % {"half_days": half_days, "days": _short_span(row["first"], row["last"])},
                code="execution_period",
                message=_(
                    "La session a %(half_days)s %(days)s, hors de la période d'exécution du "
                    "marché (%(period)s)."
                )
                % {
                    "half_days": half_days,
                    "days": _long_span(row["first"], row["last"]),
                    "period": expected,
                },
            )
        )
    if not offences:
        value = _("toutes les demi-journées dans la période")
        return RuleStatus("execution_period", label, expected, value, RuleState.OK)
    value = ngettext("%(n)s session hors période", "%(n)s sessions hors période", len(offences)) % {
        "n": len(offences)
    }
    return RuleStatus(
        "execution_period", label, expected, value, RuleState.VIOLATED, tuple(offences)
    )


def _sessions_count_rule(ctx: _Context) -> RuleStatus:
    formation, sessions = ctx.formation, ctx.sessions
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
    warning = None
    if high is not None and n > high:
        warning = RuleWarning(
            "sessions_max",
            _("La formation compte %(n)s sessions pour un maximum de %(max)s au marché.")
            % {"n": n, "max": high},
            "sessions_count",
        )
        if not ctx.single:
            # The sessions beyond the maximum, in order of creation.
            extra = sessions.order_by("created_at", "pk").values("pk", "code")[high:]
            offences = tuple(
                Offence(
                    r["pk"],
                    r["code"],
                    _("au-delà du maximum de %(max)s") % {"max": high},
                    code="sessions_max",
                )
                for r in extra
            )
    return RuleStatus(
        "sessions_count",
        label,
        _range_text(low, high),
        str(n),
        state,
        offences,
        warning=warning,
    )


def _sessions_in_year_rule(ctx: _Context) -> RuleStatus:
    """« Cinq labos sur 2021 et 2022 dont au moins deux en 2021 »: a session counts for the
    year of its first (local) day; one without half-days is not dated yet."""
    formation = ctx.formation
    low, year = formation.sessions_min_in_year, formation.sessions_min_year
    label = _("Sessions dans l'année")
    if low is None or year is None:
        return RuleStatus("sessions_in_year", label, "—", "—", RuleState.NOT_APPLICABLE)
    expected = ngettext(
        "au moins %(n)s session en %(year)s", "au moins %(n)s sessions en %(year)s", low
    ) % {"n": low, "year": year}
    n = (
        Slot.objects.filter(session__in=ctx.sessions.values("pk"))
        .annotate(day=_local_day())
        .values("session_id")
        .annotate(first=Min("day"))
        .filter(first__gte=dt.date(year, 1, 1), first__lte=dt.date(year, 12, 31))
        .count()
    )
    if n >= low:
        state = RuleState.OK
    elif year < ctx.today.year:
        state = RuleState.VIOLATED
    elif year == ctx.today.year:
        state = RuleState.WARNING
    else:
        state = RuleState.PENDING
    value = ngettext("%(n)s session en %(year)s", "%(n)s sessions en %(year)s", n) % {
        "n": n,
        "year": year,
    }
    note = _("Une session compte pour l'année de son premier jour.")
    return RuleStatus("sessions_in_year", label, expected, value, state, (), note)


def _monthly_rhythm_rule(ctx: _Context) -> RuleStatus:
    """« Accompagnement mensuel »: at least one half-day of a non-cancelled session in every
    calendar month of the execution period. A month is missed once it has ended without
    one; the current and later months are still to come."""
    formation = ctx.formation
    label = _("Rythme mensuel")
    if not formation.monthly_rhythm:
        return RuleStatus("monthly_rhythm", label, "—", "—", RuleState.NOT_APPLICABLE)
    start, end = formation.start_date, formation.end_date
    if start is None or end is None:
        return RuleStatus(
            "monthly_rhythm",
            label,
            _("au moins une demi-journée chaque mois"),
            "—",
            RuleState.NOT_APPLICABLE,
            note=_("Période d'exécution à renseigner."),
        )
    first, last = start.replace(day=1), end.replace(day=1)
    months = [first]
    while months[-1] < last:
        months.append(_next_month(months[-1]))
    expected = ngettext(
        "au moins une demi-journée chaque mois, de %(first)s à %(last)s (%(n)s mois)",
        "au moins une demi-journée chaque mois, de %(first)s à %(last)s (%(n)s mois)",
        len(months),
    ) % {"first": _month_text(first), "last": _month_text(last), "n": len(months)}
    covered = set(
        Slot.objects.filter(session__in=ctx.sessions.values("pk"))
        .annotate(day=_local_day())
        .filter(day__gte=start, day__lte=end)
        .annotate(month=TruncMonth("day"))
        .values_list("month", flat=True)
        .distinct()
        .order_by()
    )
    missed = [m for m in months if m not in covered and _month_end(m) < ctx.today]
    to_come = [m for m in months if m not in covered and _month_end(m) >= ctx.today]
    value = _("%(covered)s mois sur %(total)s avec une demi-journée") % {
        "covered": len(months) - len(missed) - len(to_come),
        "total": len(months),
    }
    if to_come:
        value += " ; " + _("%(n)s à venir") % {"n": len(to_come)}
    note = ""
    if missed:
        state = RuleState.VIOLATED
        note = _("Mois écoulés sans demi-journée : %(months)s.") % {"months": _months_text(missed)}
    elif start > ctx.today:
        state = RuleState.PENDING
    else:
        state = RuleState.OK
    return RuleStatus("monthly_rhythm", label, expected, value, state, (), note)


def _session_days_rule(ctx: _Context) -> RuleStatus:
    """Each session spans exactly N consecutive local calendar days (« labos sur 3 jours
    consécutifs »; N = 1: « 1 journée »). One row per session with its number of distinct
    days and its first and last day; the comparison is done on those rows."""
    wanted = ctx.formation.session_days
    label = _("Durée des sessions")
    if wanted is None:
        return RuleStatus("session_days", label, "—", "—", RuleState.NOT_APPLICABLE)
    if wanted == 1:
        expected = _("1 journée par session")
        contract = _("le marché prévoit des sessions d'une journée")
    else:
        expected = _("%(n)s jours consécutifs par session") % {"n": wanted}
        contract = _("le marché prévoit des sessions de %(n)s jours consécutifs") % {"n": wanted}
    rows = list(
        ctx.slots()
        .values("session_id", "session__code")
        .annotate(n=Count("day", distinct=True), first=Min("day"), last=Max("day"))
        .order_by("session__code")
    )
    if not rows:
        return RuleStatus(
            "session_days",
            label,
            expected,
            "—",
            RuleState.PENDING,
            note=_("Aucune demi-journée programmée."),
        )
    offences = []
    for row in rows:
        n, first, last = row["n"], row["first"], row["last"]
        if n == wanted and (last - first).days == wanted - 1:
            continue
        days = ngettext("%(n)s jour", "%(n)s jours", n) % {"n": n}
        span, long_span = _short_span(first, last), _long_span(first, last)
        if n == wanted:
            detail = _("%(days)s non consécutifs (%(span)s)") % {"days": days, "span": span}
            message = _("Les %(days)s de la session ne se suivent pas (%(span)s) ; %(contract)s.")
        elif wanted == 1:
            detail = _("sur %(days)s (%(span)s)") % {"days": days, "span": span}
            message = _("La session s'étend sur %(days)s (%(span)s) ; %(contract)s.")
        else:
            detail = _("%(days)s au lieu de %(n)s (%(span)s)") % {
                "days": days,
                "n": wanted,
                "span": span,
            }
            message = _("La session compte %(days)s (%(span)s) ; %(contract)s.")
        offences.append(
            Offence(
                row["session_id"],
                row["session__code"],
                detail,
                code="session_days",
                message=message % {"days": days, "span": long_span, "contract": contract},
            )
        )
    if not offences:
        value = _("toutes les sessions conformes")
        return RuleStatus("session_days", label, expected, value, RuleState.OK)
    value = ngettext(
        "%(n)s session non conforme", "%(n)s sessions non conformes", len(offences)
    ) % {"n": len(offences)}
    return RuleStatus("session_days", label, expected, value, RuleState.VIOLATED, tuple(offences))


def _min_hours_rule(ctx: _Context) -> RuleStatus:
    label = _("Heures minimum par jour")
    threshold = _min_hours_threshold(ctx.formation)
    if threshold is None:
        return RuleStatus("min_hours_per_day", label, "—", "—", RuleState.NOT_APPLICABLE)
    expected = _("au moins %(h)s par jour") % {"h": hours_label(threshold)}
    # One grouped query with HAVING: only the days under the minimum come back.
    rows = list(
        ctx.slots()
        .values("session_id", "session__code", "day")
        .annotate(minutes=Sum(slot_minutes()))
        .filter(minutes__lt=threshold)
        .order_by("session__code", "day")
    )
    if not rows:
        value = _("tous les jours atteignent le minimum")
        return RuleStatus("min_hours_per_day", label, expected, value, RuleState.OK)
    offences = tuple(
        Offence(
            r["session_id"],
            r["session__code"],
            _("%(day)s : %(h)s prévues")
            % {"day": _short(r["day"]), "h": hours_label(r["minutes"])},
            code="min_hours_per_day",
            message=_(
                "Le %(day)s ne compte que %(h)s prévues ; le marché demande au moins "
                "%(min)s par jour."
            )
            % {
                "day": _long(r["day"]),
                "h": hours_label(r["minutes"]),
                "min": hours_label(threshold),
            },
        )
        for r in rows
    )
    lowest = min(r["minutes"] for r in rows)
    value = ngettext(
        "%(n)s jour sous le minimum (le plus court : %(h)s)",
        "%(n)s jours sous le minimum (le plus court : %(h)s)",
        len(rows),
    ) % {"n": len(rows), "h": hours_label(lowest)}
    return RuleStatus("min_hours_per_day", label, expected, value, RuleState.VIOLATED, offences)


def _group_size_rule(ctx: _Context) -> RuleStatus:
    formation = ctx.formation
    low, high = formation.group_size_min, formation.group_size_max
    label = _("Taille des groupes")
    if low is None and high is None:
        return RuleStatus("group_size", label, "—", "—", RuleState.NOT_APPLICABLE)
    expected = _range_text(low, high, _("personnes"))
    counted = ctx.scope.annotate(
        n=count_subquery(Enrolment.objects.filter(session_id=OuterRef("pk")))
    )
    span = counted.aggregate(lo=Min("n"), hi=Max("n"), total=Count("pk"))
    if not span["total"]:
        return RuleStatus(
            "group_size",
            label,
            expected,
            "—",
            RuleState.PENDING,
            note=_("Aucune session programmée."),
        )
    if ctx.single and span["hi"] == 0:
        # A session just created has nobody yet: say what is expected, do not call it small.
        return RuleStatus(
            "group_size",
            label,
            expected,
            "0",
            RuleState.PENDING,
            note=_("Personne n'est encore inscrit."),
            warning=RuleWarning(
                "group_size_pending",
                _(
                    "Taille de groupe attendue au marché : %(expected)s. Personne n'est "
                    "encore inscrit : la règle sera vérifiée avec les inscriptions."
                )
                % {"expected": expected},
                "group_size",
                RuleState.PENDING,
            ),
        )
    bad = Q()
    if high is not None:
        bad |= Q(n__gt=high)
    if low is not None:
        bad |= Q(n__lt=low)
    offences = []
    for row in counted.filter(bad).values("pk", "code", "n", "status").order_by("code"):
        values = {"n": row["n"], "max": high, "min": low}
        if high is not None and row["n"] > high:
            offences.append(
                Offence(
                    row["pk"],
                    row["code"],
                    _("%(n)s inscrit·es pour un maximum de %(max)s") % values,
                    code="group_size_max",
                    message=_(
                        "Groupe trop grand : %(n)s inscrit·es pour un maximum de %(max)s au marché."
                    )
                    % values,
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
                    _("%(n)s inscrit·es pour un minimum de %(min)s") % values,
                    state,
                    code="group_size_min",
                    message=_(
                        "Groupe trop petit : %(n)s inscrit·es pour un minimum de %(min)s au marché."
                    )
                    % values,
                )
            )
    state = _worst([RuleState.OK, *(o.state for o in offences)])
    value = _range_text(span["lo"], span["hi"], _("personnes"))
    return RuleStatus("group_size", label, expected, value, state, tuple(offences))


def _begun_q(today: dt.date) -> Q:
    """A session that has begun by ``today``: its first half-day falls on ``today`` or
    earlier (local day), one of its half-days is sealed, or it is marked « Terminée »."""
    begun = Slot.objects.filter(session_id=OuterRef("pk")).annotate(day=_local_day())
    return (
        Q(status=TrainingSession.Status.COMPLETED)
        | Q(Exists(begun.filter(day__lte=today)))
        | Q(Exists(Seal.objects.filter(session_id=OuterRef("pk"))))
    )


def _per_structure_rule(ctx: _Context) -> RuleStatus:
    """« Les labos accueilleront au moins une personne par CCAS avec un maximum de trois
    personnes par CCAS » (seed 003): every structure taking part in the formation (at least
    one person enrolled in one of its non-cancelled sessions) is expected at every session.

    Each (session, structure) is judged by ``per_structure_state``: above the maximum,
    violated; below the minimum, a warning. A structure of the formation with **nobody** in
    a session is below any minimum ≥ 1 too, but only once the session has begun
    (``_begun_q``: its first day reached, a half-day sealed, or marked « Terminée »): before,
    the session is still being filled, and listing every structure not enrolled yet would
    flood its page with warnings about work in progress. In a session not begun, only the
    structures that already have people there are judged. A fully sealed session has begun,
    so the structure's certificat d'assiduité (sealed sessions only) flags the same sessions.

    Two queries, whatever the number of sessions and structures: the (session, structure)
    groups of the whole formation (which give the structures concerned; sessions ×
    structures stay in the thousands), and the sessions of the scope, with whether each
    has begun."""
    formation = ctx.formation
    low, high = formation.attendees_per_structure_min, formation.attendees_per_structure_max
    label = _("Participant·es par structure et par session")
    if low is None and high is None:
        return RuleStatus("attendees_per_structure", label, "—", "—", RuleState.NOT_APPLICABLE)
    expected = _range_text(low, high)
    groups = list(
        Enrolment.objects.filter(session_id__in=ctx.sessions.values("pk"))
        .values(
            "session_id",
            "session__code",
            "participant__structure_id",
            "participant__structure__name",
            "participant__structure__sort_key",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(g["session_id"], g["participant__structure_id"]): g["n"] for g in groups}
    # The structures concerned, in the order of every list of structures.
    structures = sorted(
        {
            (
                g["participant__structure__sort_key"],
                g["participant__structure_id"],
                g["participant__structure__name"],
            )
            for g in groups
        }
    )
    # The sessions of the scope, by code, each with whether it has begun.
    sessions = []
    if structures:  # without any enrolment in the formation, no query spent
        sessions = (
            ctx.scope.annotate(begun=ExpressionWrapper(_begun_q(ctx.today), BooleanField()))
            .values_list("code", "pk", "begun")
            .order_by("code", "pk")
        )
    seen: list[int] = []
    offences = []
    for code, session_id, begun in sessions:
        for _key, structure_id, name in structures:
            n = counts.get((session_id, structure_id))
            if n is None and not begun:
                continue
            seen.append(n or 0)
            offence = _per_structure_offence(
                formation, session_id, code, structure_id, name, n or 0
            )
            if offence:
                offences.append(offence)
    if not seen:
        return RuleStatus(
            "attendees_per_structure",
            label,
            expected,
            "—",
            RuleState.PENDING,
            note=_("Aucune inscription pour l'instant."),
        )
    state = _worst([RuleState.OK, *(o.state for o in offences)])
    return RuleStatus(
        "attendees_per_structure",
        label,
        expected,
        _range_text(min(seen), max(seen)),
        state,
        tuple(offences),
    )


def _per_structure_offence(formation, session_id, code, structure_id, name, n):
    """The offence of structure ``name`` having ``n`` people in session ``code``, judged by
    ``per_structure_state`` (as the structure's certificate judges it), or None."""
    state, expected = per_structure_state(formation=formation, count=n)
    if state == RuleState.VIOLATED:
        rule_code = "attendees_per_structure_max"
    elif state == RuleState.WARNING:
        rule_code = "attendees_per_structure_min"
    else:
        return None
    values = {"structure": name, "n": n, "expected": expected}
    if n == 0:
        message = _(
            "Personne de %(structure)s n'est inscrit·e dans cette session (0 participant·e), "
            "alors que la structure participe à la formation ; le marché prévoit "
            "%(expected)s par structure."
        )
    else:
        message = ngettext(
            "%(structure)s a %(n)s participant·e dans cette session ; le marché "
            "prévoit %(expected)s par structure.",
            "%(structure)s a %(n)s participant·es dans cette session ; le marché "
            "prévoit %(expected)s par structure.",
            n,
        )
    return Offence(
        session_id,
        code,
        ngettext(
            "%(structure)s : %(n)s participant·e",
            "%(structure)s : %(n)s participant·es",
            n,
        )
        % values,
        state,
        code=rule_code,
        message=message % values,
        structure_id=structure_id,
        structure_name=name,
    )


def per_structure_state(*, formation: Formation, count: int) -> tuple[str, str]:
    """The attendees-per-structure rule for one structure at one session where it has
    ``count`` people enrolled (0 included), judged exactly as ``_per_structure_rule`` judges
    that (session, structure): above the maximum, violated; below the minimum, a warning
    (with a minimum ≥ 1, a structure with nobody in the session is below it); otherwise ok;
    no rule, not applicable. Returns the state and what the contract expects (« 1 à 3 »;
    "" without a rule). No query.

    The caller chooses which sessions to judge. The rule judges a structure taking part in
    the formation at every session that has begun (at the sessions not begun yet, only
    where it already has people); the structure's certificat d'assiduité calls this for the
    fully sealed sessions, which have all begun, so both flag the same sessions."""
    low, high = formation.attendees_per_structure_min, formation.attendees_per_structure_max
    if low is None and high is None:
        return RuleState.NOT_APPLICABLE, ""
    if high is not None and count > high:
        state = RuleState.VIOLATED
    elif low is not None and count < low:
        state = RuleState.WARNING
    else:
        state = RuleState.OK
    return state, _range_text(low, high)


def _trainees_rule(ctx: _Context) -> RuleStatus:
    formation = ctx.formation
    low, high = formation.trainees_target_min, formation.trainees_target_max
    label = _("Stagiaires formé·es")
    if low is None and high is None:
        return RuleStatus("trainees_reached", label, "—", "—", RuleState.NOT_APPLICABLE)
    session_ids = ctx.sessions.values("pk")
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


# In the order the formation page shows them: the calendar of the contract, then the
# sessions themselves, then the people.
RULES = {
    "execution_period": _execution_period_rule,
    "sessions_count": _sessions_count_rule,
    "sessions_in_year": _sessions_in_year_rule,
    "monthly_rhythm": _monthly_rhythm_rule,
    "session_days": _session_days_rule,
    "min_hours_per_day": _min_hours_rule,
    "group_size": _group_size_rule,
    "attendees_per_structure": _per_structure_rule,
    "trainees_reached": _trainees_rule,
}
# The rules one session can break by itself (checked when it is saved and on its page);
# the number of sessions is formation-wide but the session that makes it too many is
# warned too. The yearly minimum, the monthly rhythm and the trainees reached are about
# the whole formation: the formation page shows them.
SESSION_RULES = (
    "execution_period",
    "sessions_count",
    "session_days",
    "min_hours_per_day",
    "group_size",
    "attendees_per_structure",
)
# The rules an enrolment can break (the enrolment page and the enrolment service).
ENROLMENT_RULES = ("group_size", "attendees_per_structure")


def contract_status(
    *, formation: Formation, today: dt.date | None = None
) -> FormationContractStatus:
    """Every contract rule of ``formation`` with its expected and actual value, state (ok,
    warning, violated, pending, not applicable) and the sessions that break it.

    ``today`` (the site's local date by default) decides which months and years are over.
    Trainees reached = distinct participants with at least one realised minute (a signed
    and countersigned attendance) across the formation's sessions; the enrolled count is
    given as a note. At most thirteen queries, whatever the number of sessions; a rule the
    contract does not state costs none.
    """
    sessions = _active_sessions(formation)
    ctx = _Context(formation, sessions, sessions, today or timezone.localdate())
    return FormationContractStatus(
        formation=formation, rules=tuple(rule(ctx) for rule in RULES.values())
    )


def session_contract_status(
    *, session: TrainingSession, rules=SESSION_RULES, today: dt.date | None = None
) -> FormationContractStatus:
    """The ``rules`` (codes, ``SESSION_RULES`` by default) computed on ``session`` alone:
    its offences only (the number of sessions stays formation-wide). A cancelled session
    breaks no rule: no rule is returned."""
    formation = session.formation
    if session.status == TrainingSession.Status.CANCELLED:
        return FormationContractStatus(formation=formation)
    sessions = _active_sessions(formation)
    ctx = _Context(
        formation,
        sessions,
        sessions.filter(pk=session.pk),
        today or timezone.localdate(),
        single=True,
    )
    return FormationContractStatus(
        formation=formation,
        rules=tuple(rule(ctx) for code, rule in RULES.items() if code in rules),
    )


def session_rule_warnings(*, session: TrainingSession, rules=SESSION_RULES) -> list[RuleWarning]:
    """The rules ``session`` breaks or leaves pending, as ``RuleWarning`` (French sentence
    and stable code), in the order of ``RULES``."""
    warnings = []
    for rule in session_contract_status(session=session, rules=rules).rules:
        if rule.warning:
            warnings.append(rule.warning)
        for offence in rule.offences:
            if offence.message:
                warnings.append(
                    RuleWarning(offence.code, offence.message, rule.code, offence.state)
                )
    return warnings


def session_contract_warnings(*, session: TrainingSession) -> list[str]:
    """French messages for the rules ``session`` breaks or leaves pending (shown as
    warnings when it is saved and on its page; they never block)."""
    return [w.message for w in session_rule_warnings(session=session)]


__all__ = [
    "ENROLMENT_RULES",
    "FormationContractStatus",
    "Offence",
    "RULES",
    "RuleState",
    "RuleStatus",
    "RuleWarning",
    "SESSION_RULES",
    "contract_status",
    "per_structure_state",
    "session_contract_status",
    "session_contract_warnings",
    "session_rule_warnings",
]
