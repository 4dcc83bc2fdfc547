"""What the follow-up of structures shows on other pages (registered by
`register_followup.register()`): on the programme page, how many structures have had no
contact for N days and how many have nobody enrolled in the next session; on a
structure's page, its last contact in each programme and a link to its log. Only for
those who may read the log (never a structure's referent)."""

from django.db.models import DateField, OuterRef, Subquery

from formations.models import Programme, Structure
from formations.permissions import is_structure_referent
from formations.selectors import programmes_visible_to
from projects.models import FollowUpEntry
from projects.selectors_followup import (
    can_read_follow_up,
    contact_q,
    follow_up_overview,
    silence_days_default,
)


def programme_follow_up_panel(request, programme: Programme):
    if not can_read_follow_up(user=request.user, programme=programme):
        return None
    overview = follow_up_overview(programme=programme, user=request.user)
    return (
        "projects/panels/programme_follow_up.html",
        {
            "follow_up_programme": programme,
            "follow_up_structures": len(overview.rows),
            "follow_up_silent": len(overview.silent),
            "follow_up_nobody_next": len(overview.nobody_next),
            "follow_up_next_session": overview.next_session,
            "follow_up_days": overview.silence_days,
        },
    )


def structure_follow_up_panel(request, structure: Structure):
    user = request.user
    if not user.is_authenticated or is_structure_referent(user):
        return None
    # The programmes the user sees that the structure is a partner of: coordinators all,
    # auditors those of their funders, trainers those they train in, each of which lets
    # them read the log of every partner structure (`follow_up_structures`).
    last_contact = (
        FollowUpEntry.objects.filter(contact_q(), programme_id=OuterRef("pk"), structure=structure)
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    programmes = list(
        programmes_visible_to(user=user)
        .filter(structures=structure)
        .annotate(last_contact=Subquery(last_contact, output_field=DateField()))
        .order_by("-start_date", "title")
    )
    if not programmes:
        return None
    return (
        "projects/panels/structure_follow_up.html",
        {
            "follow_up_structure": structure,
            "follow_up_programmes": programmes,
            "follow_up_days": silence_days_default(),
        },
    )
