"""Reads of a structure's members (`formations.Membership`): its own only. A membership of
another structure is a 404, like a structure out of reach (`alertes_structure`)."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from formations.consent import annotate_structure_consents, consent_history, structure_consents
from formations.models import ContactConsent, MemberGroup, Membership, Structure


def members_of(
    structure: Structure,
    *,
    search: str = "",
    group: MemberGroup | None = None,
    kind: str = "",
    consent_channel: str = "",
    include_ended: bool = False,
) -> QuerySet[Membership]:
    """The structure's members in French alphabetical order (accents and case aside),
    with their person, their groups (prefetched) and `consent_<channel>_<purpose>` for the
    structure's purposes: a constant number of queries whatever the rows. Ended
    memberships only with `include_ended`. `search`: every word in the name, e-mail or
    phone; `consent_channel`: those who agreed to the structure's news on that channel."""
    members = Membership.objects.filter(structure=structure).select_related("participant")
    if not include_ended:
        members = members.filter(ended_at__isnull=True)
    if group is not None:
        members = members.filter(groups=group)
    if kind:
        members = members.filter(participant__kind=kind)
    compact = "".join(ch for ch in search if ch not in " .-+()")
    if len(compact) >= 4 and compact.isdigit():
        # A phone number, as people type it: « 06 12 34 » finds +33612…, the national
        # digits without their leading 0.
        members = members.filter(participant__phone__contains=compact.lstrip("0"))
    else:
        for word in search.split():
            members = members.filter(
                Q(participant__last_name__icontains=word)
                | Q(participant__first_name__icontains=word)
                | Q(participant__email__icontains=word)
            )
    members = annotate_structure_consents(members, structure, prefix="participant__")
    if consent_channel:
        members = members.filter(
            **{f"consent_{consent_channel}_structure_news": ContactConsent.Action.GIVEN}
        )
    return members.prefetch_related(
        Prefetch("groups", queryset=MemberGroup.objects.order_by("sort_key", "pk"))
    ).order_by("participant__sort_key", "pk")


def membership_of(structure: Structure, pk) -> Membership:
    """The membership `pk` of `structure` (ended included), else 404."""
    try:
        return (
            Membership.objects.select_related("participant", "registered_by", "structure")
            .prefetch_related(
                Prefetch("groups", queryset=MemberGroup.objects.order_by("sort_key", "pk"))
            )
            .get(pk=pk, structure=structure)
        )
    except (Membership.DoesNotExist, ValueError):
        raise Http404 from None


def member_consent_state(membership: Membership) -> dict:
    """For the profile: the latest row per (channel, purpose) agreed with the structure,
    and every row of that structure, latest first (never another structure's)."""
    return {
        "current": structure_consents(membership.participant, membership.structure),
        "history": list(consent_history(membership.participant, structure=membership.structure)),
    }
