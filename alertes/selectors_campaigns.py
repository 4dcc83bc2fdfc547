"""Reads of a structure's campaigns, and the one definition of « sent » that the list,
the campaign page and the statistics share."""

from django.db.models import Count, Prefetch, Q

from alertes.models import AlertCampaign
from formations.models import MemberGroup


def sent_q(prefix: str = "") -> Q:
    """A campaign recipient the campaign wrote a message for (handed to the outbox, which
    then says en attente, envoyé, délivré, échec or abandonné). The others were never
    written to: no consent on that channel, consent withdrawn, no usable address."""
    return Q(**{f"{prefix}message__isnull": False, f"{prefix}skipped_reason": ""})


def skipped_q(prefix: str = "") -> Q:
    return ~sent_q(prefix)


def campaigns_of(structure):
    """The structure's campaigns with their figures (messages written, recipients apart,
    chosen members) and groups. `distinct=True` on every count: two multi-valued joins
    (recipients, members) multiply each other's rows."""
    return (
        AlertCampaign.objects.filter(structure=structure)
        .annotate(
            sent_count=Count("recipients", filter=sent_q("recipients__"), distinct=True),
            skipped_count=Count("recipients", filter=skipped_q("recipients__"), distinct=True),
            member_count=Count("members", distinct=True),
        )
        .prefetch_related(
            Prefetch("groups", queryset=MemberGroup.objects.order_by("sort_key", "pk"))
        )
    )
