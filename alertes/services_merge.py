"""Coordinators merge two records of the same member (issue 12: « coordinators can merge
duplicates across structures »).

A structure registering someone another structure already follows creates its own record
(`formations.members.member_register` never looks elsewhere, so that a structure never
learns who another one follows); a coordinator, who sees every structure, merges them:

    members_merge(keep=participant_a, other=participant_b, actor=coordinator)

Why here and not in `formations`: the merge rewrites Alertes rows (administrative steps,
campaign recipients and the members chosen for a campaign) in the same transaction as the
registry's rows; `alertes` may import `formations`, not the reverse. A hook list in
`formations` would split one transaction's logic over two apps and make its order
implicit, for no other caller. `MEMBERSHIP_RELATIONS` / `PARTICIPANT_RELATIONS` name every
row the merge moves; a test checks they cover every relation of the two models, so a new
model pointing at a member is not silently left behind (or deleted with `other`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from alertes.models import AdministrativeStep, AlertCampaign, CampaignRecipient
from formations.audit import log_action
from formations.consent import consent_withdraw
from formations.members import MemberError
from formations.models import (
    Channel,
    ContactConsent,
    Membership,
    OutboxMessage,
    Participant,
    Purpose,
    SpaceSignInLink,
    Structure,
)
from formations.permissions import ensure_manager

# What the merge does with each relation: moved to `keep`, or (sign-in links, one-time and
# short-lived) deleted with `other`. Anything else pointing at `other` refuses the merge.
PARTICIPANT_RELATIONS = {
    "formations.Membership": "moved (folded when both are members of one structure)",
    "formations.ContactConsent": "moved",
    "formations.OutboxMessage": "moved",
    "formations.SpaceSignInLink": "deleted",
}
MEMBERSHIP_RELATIONS = {
    "alertes.AdministrativeStep": "moved",
    "alertes.AlertCampaign": "moved (the campaign's chosen members)",
    "alertes.CampaignRecipient": "moved, one per (campaign, channel)",
}
# How each channel reaches the person: a consent was given for that address.
CHANNEL_ADDRESS = {"sms": "phone", "email": "email"}


@dataclass(frozen=True)
class StaleConsent:
    """A consent of `other`'s given for an address the merge drops (keep's differs): it
    would count for keep's address, which the person never agreed to (review finding
    15). The merge writes a withdrawal for it."""

    channel: str
    purpose: str
    structure: Structure | None

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def purpose_label(self) -> str:
        return str(Purpose(self.purpose).label)


def _address(person: Participant, channel: str) -> str:
    value = getattr(person, CHANNEL_ADDRESS[channel]) or ""
    return value.casefold() if channel == "email" else value


def stale_consents(keep: Participant, other: Participant) -> list[StaleConsent]:
    """`other`'s consents that stand given after the merge (the latest row of their
    channel, purpose and structure among both records' rows) on a channel where both
    records have an address and the addresses differ: given for the address dropped.
    What the confirmation page shows and the merge withdraws. One query."""
    channels = [
        channel
        for channel in CHANNEL_ADDRESS
        if _address(keep, channel)
        and _address(other, channel)
        and _address(keep, channel) != _address(other, channel)
    ]
    if not channels:
        return []
    latest: dict[tuple, ContactConsent] = {}
    for row in (
        ContactConsent.objects.filter(participant__in=[keep, other], channel__in=channels)
        .select_related("structure")
        .order_by("at", "pk")
    ):
        latest[(row.channel, row.purpose, row.structure_id)] = row
    return [
        StaleConsent(row.channel, row.purpose, row.structure)
        for row in latest.values()
        if row.participant_id == other.pk and row.action == ContactConsent.Action.GIVEN
    ]


def _withdraw_stale(keep: Participant, stale: list[StaleConsent], actor) -> int:
    for item in stale:
        consent_withdraw(
            participant=keep,
            channel=item.channel,
            purposes=[item.purpose],
            structure=item.structure,
            method=ContactConsent.Method.MERGE,
            actor=actor,
            note=_("accord donné pour un autre numéro ou une autre adresse (fusion de fiches)"),
        )
    return len(stale)


# Blank fields of `keep` taken from `other`.
FILLED_FIELDS = ("email", "phone", "date_of_birth", "address", "postal_code", "commune")


def merge_refusal(keep: Participant, other: Participant) -> MemberError | None:
    """Why these two records cannot be merged, or None. Codes: "same_person",
    "professional", "linked_records" (and "gone" from `members_merge`)."""
    if keep.pk == other.pk:
        return MemberError(
            _("Une fiche ne peut pas être fusionnée avec elle-même."), code="same_person"
        )
    if Participant.Kind.PROFESSIONAL in (keep.kind, other.kind):
        return MemberError(
            _(
                "Seules les fiches d'adhérent·es se fusionnent ici : une des deux est celle "
                "d'un·e professionnel·le en formation."
            ),
            code="professional",
        )
    linked = _other_relations_in_use(other)
    if linked:
        return MemberError(
            _("La fiche à fusionner a des données hors Alertes (%(what)s) : fusion impossible ici.")
            % {"what": ", ".join(linked)},
            code="linked_records",
        )
    return None


def _other_relations_in_use(person: Participant) -> list[str]:
    """The relations not handled by the merge that hold rows of `person` (inscriptions,
    evaluations…): a member has none."""
    used = []
    for relation in Participant._meta.related_objects:
        if relation.related_model._meta.label in PARTICIPANT_RELATIONS:
            continue
        model = relation.related_model
        if model._default_manager.filter(**{relation.field.name: person}).exists():
            used.append(str(model._meta.verbose_name_plural))
    return used


@transaction.atomic
def members_merge(*, keep: Participant, other: Participant, actor) -> Participant:
    """Merge `other` into `keep` and delete `other`. Coordinators only (`ensure_manager`).

    Memberships move to `keep`; if both are members of the same structure, the two fold
    into `keep`'s: union of groups, earliest registration, notes joined, active if either
    was, and `other`'s steps, campaign recipients (one per campaign and channel: `keep`'s,
    unless only `other`'s carries a message) and campaign choices follow it. Consents and
    outbox messages move; blank fields of `keep` are filled from `other`. Where both have
    a phone (an e-mail) and they differ, `other`'s consents standing on that channel were
    given for the address dropped: a withdrawal (method « fusion ») is written for each
    (`stale_consents`), so a number that said STOP is not written to again. Audit
    `members_merged`. Each structure still sees only its own membership afterwards.
    Raises `MemberError` (see `merge_refusal`)."""
    ensure_manager(actor)
    if keep.pk == other.pk:
        raise merge_refusal(keep, other)
    locked = {
        person.pk: person
        for person in Participant.objects.select_for_update()
        .filter(pk__in=[keep.pk, other.pk])
        .order_by("pk")
    }
    if len(locked) < 2:
        raise MemberError(_("Une des deux fiches n'existe plus."), code="gone")
    keep, other = locked[keep.pk], locked[other.pk]
    refusal = merge_refusal(keep, other)
    if refusal is not None:
        raise refusal

    before = {"keep": _describe(keep), "other": _describe(other)}
    stale = stale_consents(keep, other)
    folded = _move_memberships(keep, other)
    ContactConsent.objects.filter(participant=other).update(participant=keep)
    _withdraw_stale(keep, stale, actor)
    OutboxMessage.objects.filter(participant=other).update(participant=keep)
    SpaceSignInLink.objects.filter(participant=other).delete()
    filled = []
    for name in FILLED_FIELDS:
        if not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
            filled.append(name)
    other_pk = other.pk
    other.delete()
    if filled:
        keep.full_clean()
        keep.save()
    log_action(
        actor=actor,
        action="members_merged",
        obj=keep,
        summary=_("Fiche %(other)s (n° %(other_id)s) fusionnée dans %(keep)s (n° %(keep_id)s)")
        % {"other": other, "other_id": other_pk, "keep": keep, "keep_id": keep.pk},
        data={
            "keep_id": keep.pk,
            "other_id": other_pk,
            "before": before,
            "filled": filled,
            "folded_memberships": folded,
            "withdrawn_for_dropped_address": [
                [item.channel, item.purpose, item.structure.pk if item.structure else None]
                for item in stale
            ],
        },
    )
    return keep


def _describe(person: Participant) -> dict:
    return {
        "name": str(person),
        "kind": person.kind,
        "email": person.email,
        "phone": person.phone,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "structure_ids": sorted(person.memberships.values_list("structure_id", flat=True)),
    }


def _move_memberships(keep: Participant, other: Participant) -> list[dict]:
    """Moves `other`'s memberships; returns the folded ones ({structure, kept, removed})."""
    kept_by_structure = {m.structure_id: m for m in keep.memberships.select_for_update()}
    folded = []
    for membership in other.memberships.select_for_update().order_by("pk"):
        target = kept_by_structure.get(membership.structure_id)
        if target is None:
            membership.participant = keep
            membership.save(update_fields=["participant"])
            continue
        _fold(target, membership)
        folded.append(
            {"structure": membership.structure_id, "kept": target.pk, "removed": membership.pk}
        )
    return folded


def _fold(target: Membership, extra: Membership) -> None:
    """`extra` (the same person's second membership of the structure) into `target`."""
    target.groups.add(*extra.groups.all())
    fields = {}
    if extra.registered_at < target.registered_at:
        fields.update(registered_at=extra.registered_at, registered_by=extra.registered_by)
    if extra.note and extra.note not in target.note:
        fields["note"] = "\n\n".join(part for part in (target.note, extra.note) if part)[:2000]
    if target.ended_at is not None:
        if extra.ended_at is None:
            fields["ended_at"] = None
        elif extra.ended_at > target.ended_at:
            fields["ended_at"] = extra.ended_at
    if fields:
        Membership.objects.filter(pk=target.pk).update(**fields)
        for name, value in fields.items():
            setattr(target, name, value)

    AdministrativeStep.objects.filter(membership=extra).update(membership=target)
    for campaign in AlertCampaign.objects.filter(members=extra):
        campaign.members.add(target)
    taken = {
        (row.campaign_id, row.channel): row
        for row in CampaignRecipient.objects.filter(membership=target)
    }
    for row in CampaignRecipient.objects.filter(membership=extra).order_by("pk"):
        mine = taken.get((row.campaign_id, row.channel))
        if mine is None:
            row.membership = target
            row.save(update_fields=["membership"])
        elif mine.message_id is None and row.message_id is not None:
            # Only the other record was actually sent the message: that row tells the truth.
            mine.delete()
            row.membership = target
            row.save(update_fields=["membership"])
        else:
            row.delete()
    extra.delete()
