"""« Livrables attendus » on the formation page and on the coordinator's dashboard: what is
late or due within `SOON_DAYS` days, and what awaits the funder's decision (auditors see
those of the formations they audit). The formation page already found the formation
through `formations_visible_to`; each panel costs one query, whatever the
number of deliverables."""

from django.db.models import Count
from django.utils import timezone

from formations.permissions import can_manage, is_funder_auditor
from formations.selectors import formations_visible_to
from livrables.models_deliverables import DeliverableStatus
from livrables.selectors_deliverables import (
    SOON_DAYS,
    formation_watch_dues,
    urgent_dues,
    watched,
)

# Rows on the dashboard, the most urgent (the formation pages list them all; the others
# are counted per formation, with a link to each).
DASHBOARD_SHOWN = 8


def _label(dues, today):
    for due in dues:
        due.state = due.state_label(today)
        due.late = due.is_late(today)
    return dues


def formation_deliverables_panel(request, formation):
    user = request.user
    if not (can_manage(user) or is_funder_auditor(user)):
        return None
    today = timezone.localdate()
    every = formation_watch_dues(formation=formation, today=today)
    dues = _label([due for due in every if watched(due, today)], today)
    return (
        "livrables/panels/formation_deliverables.html",
        {
            "deliverables_defined": bool(every),
            "urgent_dues": [d for d in dues if d.status != DeliverableStatus.SUBMITTED],
            "awaiting_dues": [d for d in dues if d.status == DeliverableStatus.SUBMITTED],
            "can_edit_deliverables": can_manage(user),
            "soon_days": SOON_DAYS,
        },
    )


def dashboard_deliverables_panel(request, obj=None):
    """Coordinators: the `DASHBOARD_SHOWN` most urgent due items late or due within
    `SOON_DAYS` days, every formation, and how many others per formation (one query, two
    when there are others)."""
    user = request.user
    if not can_manage(user):
        return None
    today = timezone.localdate()
    urgent = urgent_dues(formations=formations_visible_to(user=user), today=today)
    dues = list(urgent[: DASHBOARD_SHOWN + 1])
    if not dues:
        return None
    others = []
    if len(dues) > DASHBOARD_SHOWN:
        shown = [due.pk for due in dues[:DASHBOARD_SHOWN]]
        others = list(
            urgent.exclude(pk__in=shown)
            .order_by("deliverable__formation__contract_reference")
            .values("deliverable__formation_id", "deliverable__formation__contract_reference")
            .annotate(count=Count("pk"))
        )
    return (
        "livrables/panels/dashboard_deliverables.html",
        {
            "urgent_dues": _label(dues[:DASHBOARD_SHOWN], today),
            "urgent_others": [
                {
                    "formation_id": row["deliverable__formation_id"],
                    "reference": row["deliverable__formation__contract_reference"],
                    "count": row["count"],
                }
                for row in others
            ],
            "urgent_others_count": sum(row["count"] for row in others),
            "soon_days": SOON_DAYS,
        },
    )
