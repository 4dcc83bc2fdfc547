"""What each account sees of Alertes: coordinators every structure, a structure's
administrator and staff their own structure only. A structure out of reach is a 404, as
everywhere (a structure never learns that another one's member, group or campaign exists)."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from formations.members import may_follow_members
from formations.models import Structure
from formations.permissions import can_manage, works_in_alertes


def alertes_structures_visible_to(*, user) -> QuerySet[Structure]:
    """The structures whose members `user` may follow, in French alphabetical order."""
    structures = Structure.objects.order_by("sort_key", "pk")
    if can_manage(user):
        return structures
    if works_in_alertes(user):
        return structures.filter(pk=user.structure_id)
    return structures.none()


def alertes_structure(*, user, pk) -> Structure:
    """The structure `pk` if `user` may follow its members, else 404."""
    if not may_follow_members(user, int(pk)):
        raise Http404
    try:
        return Structure.objects.get(pk=pk)
    except Structure.DoesNotExist:
        raise Http404 from None


def structures_with_member_counts(*, user) -> QuerySet[Structure]:
    """For the coordinators' Alertes home: each structure with its active members."""
    return alertes_structures_visible_to(user=user).annotate(
        member_count=Count("memberships", filter=Q(memberships__ended_at__isnull=True))
    )
