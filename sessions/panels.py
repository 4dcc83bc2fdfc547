"""Sessions data shown on formations pages (dashboard, formation, participant, structure).

Registered into ``formations.panels`` by ``TrainingSessionsConfig.ready()``: formations
never imports sessions. Each panel scopes its data through the selectors, exactly as a view
would, and returns ``None`` when it has nothing to show.
"""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from formations.french import hours_label
from formations.permissions import can_manage, is_funder_auditor, is_structure_referent, is_trainer
from formations.selectors import formations_visible_to, participants_visible_to
from sessions.models import Slot, TrainingSession
from sessions.panels_workspace import workspace_hours_panel, workspace_risks_panel
from sessions.selectors.audit_risks import LATE_SIGNATURE_DELAY, audit_risks
from sessions.selectors.contract import contract_status
from sessions.selectors.hours import (
    annotate_enrolment_hours,
    hours_by_formation,
    hours_by_participant,
    hours_by_session,
)
from sessions.selectors.locks import seal_exists
from sessions.selectors.space import hours_per_formation, space_sessions
from sessions.selectors.visibility import enrolments_visible_to, sessions_visible_to
from sessions.states import state_of
from sessions.tables import hours_totals, label_hours, local_dates

UPCOMING_DAYS = 14
UPCOMING_SHOWN = 20
CHART_FORMATIONS_SHOWN = 12


def _session_rows(sessions) -> list:
    """Adds display fields (local first / last day, hours labels) to annotated sessions."""
    rows = list(sessions)
    for row in rows:
        row.first_day, row.last_day = local_dates(row)
        row.realised_label = hours_label(row.realised_trainee_minutes)
        row.planned_label = hours_label(row.planned_trainee_minutes)
        row.bar_value = min(row.realised_trainee_minutes, row.planned_trainee_minutes)
    return rows


def _referent_structure(user):
    return user.structure_id if is_structure_referent(user) else None


# --- formation page -----------------------------------------------------------------------


def formation_panel(request, formation):
    """Contract rules across the formation's sessions (coordinators and auditors), and the
    formation's sessions the user may see."""
    user = request.user
    if formation is None or not formations_visible_to(user=user).filter(pk=formation.pk).exists():
        return None
    sessions = hours_by_session(
        sessions_qs=sessions_visible_to(user=user).filter(formation=formation),
        structure=_referent_structure(user),
    ).order_by("first_start", "code")
    status = None
    if can_manage(user) or is_funder_auditor(user):
        status = contract_status(formation=formation)
    return (
        "sessions/panels/formation.html",
        {
            "contract": status,
            "formation_sessions": _session_rows(sessions),
            "panel_formation": formation,
        },
    )


def audit_risks_panel(request, formation):
    """« Risques d'audit »: what a controller would question on the formation's sheets,
    each with its link and, when given, the coordinator's explanation. Coordinators (who
    may explain each one) and the auditors of the formation's funders."""
    user = request.user
    if formation is None or not (can_manage(user) or is_funder_auditor(user)):
        return None
    if not formations_visible_to(user=user).filter(pk=formation.pk).exists():
        return None
    risks = audit_risks(formation=formation)
    return (
        "sessions/panels/audit_risks.html",
        {
            "audit_risks": risks,
            "audit_risks_open": sum(1 for r in risks if not r.is_acknowledged),
            "audit_risks_formation": formation,
            "can_acknowledge": can_manage(user),
            "late_signature_hours": int(LATE_SIGNATURE_DELAY.total_seconds() // 3600),
        },
    )


# --- dashboard ----------------------------------------------------------------------------


def dashboard_upcoming_panel(request, obj=None):
    """Sessions with a half-day in the next 14 days, in the user's scope (a trainer: their
    own), with links to today's half-days."""
    user = request.user
    now = timezone.now()
    horizon = now + dt.timedelta(days=UPCOMING_DAYS)
    upcoming_slots = Slot.objects.filter(
        session_id=OuterRef("pk"), ends_at__gte=now, starts_at__lt=horizon
    )
    sessions = (
        hours_by_session(
            sessions_qs=sessions_visible_to(user=user)
            .exclude(status=TrainingSession.Status.CANCELLED)
            .filter(Exists(upcoming_slots)),
            structure=_referent_structure(user),
        )
        .annotate(
            next_slot=Subquery(
                Slot.objects.filter(session_id=OuterRef("pk"), ends_at__gte=now)
                .order_by("starts_at")
                .values("pk")[:1]
            ),
            next_start=Subquery(
                Slot.objects.filter(session_id=OuterRef("pk"), ends_at__gte=now)
                .order_by("starts_at")
                .values("starts_at")[:1]
            ),
        )
        .order_by("next_start", "code")
    )
    rows = _session_rows(sessions[:UPCOMING_SHOWN])
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = start + dt.timedelta(days=1)
    # Today's half-days (by the site's calendar day) and each session's next one, in one
    # query, each with its state in the one vocabulary (a running half-day is "ouverte à
    # l'émargement", never "prochaine").
    shown = Slot.objects.filter(session_id__in=[r.pk for r in rows]).filter(
        Q(pk__in=[r.next_slot for r in rows if r.next_slot])
        | Q(starts_at__lt=end, ends_at__gt=start)
    )
    slots = {slot.pk: slot for slot in shown.annotate(sealed=seal_exists())} if rows else {}
    show_today = is_trainer(user) or can_manage(user)
    for row in rows:
        row.today_slots = [
            {
                "slot": slot,
                "start": timezone.localtime(slot.starts_at, row.tzinfo),
                "end": timezone.localtime(slot.ends_at, row.tzinfo),
                "state": state_of(slot, now=now, sealed=slot.sealed),
            }
            for slot in sorted(slots.values(), key=lambda s: s.starts_at)
            if show_today
            and slot.session_id == row.pk
            and slot.starts_at < end
            and slot.ends_at > start
        ]
        next_slot = slots.get(row.next_slot)
        row.next_local = None
        if next_slot is not None:
            row.next_local = timezone.localtime(next_slot.starts_at, row.tzinfo)
            row.next_state = state_of(next_slot, now=now, sealed=next_slot.sealed)
    return (
        "sessions/panels/dashboard_upcoming.html",
        {
            "upcoming_sessions": rows,
            "upcoming_days": UPCOMING_DAYS,
            "is_trainer_view": is_trainer(user),
        },
    )


def dashboard_hours_panel(request, obj=None):
    """Realised vs planned trainee-hours per formation (a bar chart and the figures).
    Not shown to referents: their structure page has their own people's hours."""
    user = request.user
    if is_structure_referent(user):
        return None
    formations = (
        hours_by_formation(
            formations_qs=formations_visible_to(user=user),
            sessions_qs=sessions_visible_to(user=user),
        )
        .filter(planned_minutes__gt=0)
        .order_by("-planned_minutes", "contract_reference")[:CHART_FORMATIONS_SHOWN]
    )
    rows = list(formations)
    if not rows:
        return None
    return ("sessions/panels/dashboard_hours.html", {"hours_chart": hours_chart(rows)})


def hours_chart(rows, *, width: int = 600, bar: int = 14, gap: int = 30) -> dict:
    """Geometry of a server-rendered SVG bar chart (no inline style: CSP): per formation a
    planned bar (outline) and a realised bar (filled), scaled to the largest planned."""
    scale_max = max(max(r.planned_minutes, r.realised_minutes) for r in rows) or 1
    bars = []
    for i, row in enumerate(rows):
        y = i * (2 * bar + gap) + 20
        bars.append(
            {
                "label": row.contract_reference,
                "title": row.title,
                "y_label": y - 4,
                "y_planned": y,
                "y_realised": y + bar,
                "y_value": y + 2 * bar - 3,
                "planned_width": round(width * row.planned_minutes / scale_max, 1),
                "realised_width": round(width * row.realised_minutes / scale_max, 1),
                "planned_label": hours_label(row.planned_minutes),
                "realised_label": hours_label(row.realised_minutes),
                "percent": round(100 * row.realised_minutes / row.planned_minutes)
                if row.planned_minutes
                else 0,
                "formation": row,
            }
        )
    return {
        "bars": bars,
        "width": width,
        "height": len(rows) * (2 * bar + gap) + 10,
        "bar": bar,
    }


# --- participant page ---------------------------------------------------------------------


def participant_panel(request, participant):
    """The participant's sessions (those the user may see) with planned, realised, not
    realised and to-come hours."""
    user = request.user
    if participant is None:
        return None
    if not participants_visible_to(user=user).filter(pk=participant.pk).exists():
        return None
    enrolments = list(
        annotate_enrolment_hours(
            enrolments_visible_to(user=user)
            .filter(participant=participant)
            .select_related("session__formation")
        )
        .annotate(
            first_start=Subquery(
                Slot.objects.filter(session_id=OuterRef("session_id"))
                .order_by("starts_at")
                .values("starts_at")[:1]
            )
        )
        .order_by("first_start", "session__code")
    )
    for enrolment in enrolments:
        label_hours(enrolment)
        enrolment.first_local = (
            timezone.localtime(enrolment.first_start, enrolment.session.tzinfo)
            if enrolment.first_start
            else None
        )
    return (
        "sessions/panels/participant.html",
        {
            "participant_enrolments": enrolments,
            "participant_total": hours_totals(enrolments),
        },
    )


# --- structure page -----------------------------------------------------------------------


def structure_panel(request, structure):
    """Hours per participant of the structure (planned, realised, not realised, to come),
    over the sessions the user may see."""
    user = request.user
    if structure is None:
        return None
    people = list(
        hours_by_participant(
            participants_qs=participants_visible_to(user=user).filter(structure=structure),
            sessions_qs=sessions_visible_to(user=user),
        ).order_by("sort_key", "pk")
    )
    if not people:
        return None
    for person in people:
        label_hours(person)
    return (
        "sessions/panels/structure.html",
        {"structure_people": people, "structure_total": hours_totals(people)},
    )


# --- the participant's own space ----------------------------------------------------------


def space_sessions_panel(request, participant):
    """The signed-in participant's sessions (upcoming with place and the convocation to
    download; past with their status per half-day) and realised hours per formation."""
    if participant is None:
        return None
    rows = space_sessions(participant=participant)
    formations = hours_per_formation(rows)
    for entry in formations:
        entry.planned_label = hours_label(entry.planned_minutes)
        entry.realised_label = hours_label(entry.realised_minutes)
    return (
        "sessions/panels/space_sessions.html",
        {
            "upcoming": [row for row in rows if row.is_upcoming],
            "past": [row for row in rows if not row.is_upcoming],
            "formation_hours": formations,
        },
    )


def register(registry) -> None:
    """Appends the panels to ``formations.panels`` once (``ready()`` may run twice in tests)."""
    for name, panels in (
        ("DASHBOARD_PANELS", (dashboard_upcoming_panel, dashboard_hours_panel)),
        ("FORMATION_PANELS", (formation_panel, audit_risks_panel)),
        ("PARTICIPANT_PANELS", (participant_panel,)),
        ("STRUCTURE_PANELS", (structure_panel,)),
        ("SPACE_PANELS", (space_sessions_panel,)),
        ("WORKSPACE_FORMATION_PANELS", (workspace_hours_panel, workspace_risks_panel)),
    ):
        target = getattr(registry, name)
        for panel in panels:
            if panel not in target:
                target.append(panel)
