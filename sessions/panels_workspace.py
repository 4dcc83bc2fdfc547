"""Sessions' blocks in the auditor's workspace (`formations.panels.WORKSPACE_FORMATION_PANELS`):
per formation, realised against planned trainee-hours (with a bar) and the audit risks
counted. Each panel is called once with every formation of the page and reads them all
together: one query for the hours, the audit risks' constant few for the risks."""

from decimal import Decimal

from django.urls import reverse

from formations.french import hours_label
from formations.models import Formation
from formations.permissions import is_funder_auditor
from sessions.selectors.audit_risks import audit_risks_by_formation
from sessions.selectors.hours import hours_by_formation
from sessions.selectors.visibility import sessions_visible_to

# Width of the bars' drawing (SVG user units): the percentage drawn, capped at 100.
BAR_WIDTH = 100


def _percent(part: int, whole: int | Decimal) -> int | None:
    return round(100 * part / whole) if whole else None


def _bar(percent: int | None) -> float:
    return round(BAR_WIDTH * min(percent or 0, 100) / 100, 1)


def workspace_hours_panel(request, formations) -> dict:
    """Trainee-hours realised (signed and countersigned) against those scheduled in the
    formation's sessions (not cancelled), from `hours_by_formation` in one query; for a
    contract priced per trainee-hour, against the hours it plans as well."""
    user = request.user
    if not is_funder_auditor(user):
        return {}
    rows = hours_by_formation(
        formations_qs=Formation.objects.filter(pk__in=[f.pk for f in formations]),
        sessions_qs=sessions_visible_to(user=user),
    ).values("pk", "session_count", "planned_minutes", "realised_minutes")
    blocks = {}
    by_pk = {formation.pk: formation for formation in formations}
    for row in rows:
        formation = by_pk[row["pk"]]
        planned, realised = row["planned_minutes"], row["realised_minutes"]
        percent = _percent(realised, planned)
        contract = None
        if (
            formation.pricing_mode == Formation.PricingMode.PER_TRAINEE_HOUR
            and formation.planned_units
        ):
            contract_percent = _percent(realised, formation.planned_units * 60)
            contract = {
                "label": hours_label(formation.planned_units * 60),
                "percent": contract_percent,
                "bar": _bar(contract_percent),
            }
        blocks[formation.pk] = (
            "sessions/panels/workspace_hours.html",
            {
                "ws_hours": {
                    "formation": formation,
                    "session_count": row["session_count"],
                    "planned_label": hours_label(planned),
                    "realised_label": hours_label(realised),
                    "percent": percent,
                    "bar": _bar(percent),
                    "bar_width": BAR_WIDTH,
                    "contract": contract,
                }
            },
        )
    return blocks


def workspace_risks_panel(request, formations) -> dict:
    """The audit risks of each formation counted (all, and those no coordinator has
    explained yet), with a link to their list on the formation page, read-only for the
    auditor: the same lists as the formation page (`audit_risks_by_formation`)."""
    if not is_funder_auditor(request.user):
        return {}
    risks = audit_risks_by_formation(formations=formations)
    blocks = {}
    for formation in formations:
        found = risks.get(formation.pk, [])
        blocks[formation.pk] = (
            "sessions/panels/workspace_risks.html",
            {
                "ws_risks": {
                    "formation": formation,
                    "count": len(found),
                    "unexplained": sum(1 for risk in found if not risk.is_acknowledged),
                    "url": reverse("formations:formation_detail", args=[formation.pk])
                    + "#audit-risks",
                }
            },
        )
    return blocks
