"""A structure's sending groups (seed 002: « petite enfance, jeunesse, RSA, culture… »):
created, renamed and deleted by the structure's administrator and staff (coordinators for
any structure). A name is unique within its structure whatever its case; another
structure may use the same name, and never sees this one's.

A group a scheduled campaign targets cannot be deleted (the campaign would lose its
recipients without anyone noticing). A group a sent campaign used (targeted, or one of
its recipients was in it when it left) is archived instead of deleted: past campaigns
and the statistics keep saying whom they went to, and an auditor finds last month's
figures unchanged. An archived group is hidden from the pickers and the group list; a
group never used is deleted."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.members import MemberError, ensure_may_follow
from formations.models import MemberGroup, Structure

# `AlertCampaign.Status.SCHEDULED` and `SENDING` (formations never imports alertes): the
# campaigns still to send.
_PENDING_CAMPAIGN_STATUSES = ("scheduled", "sending")
# `SENT` and `FAILED`: campaigns whose page shows their groups for good.
_PAST_CAMPAIGN_STATUSES = ("sent", "failed")


def current_groups(structure: Structure):
    """The structure's groups one may still choose (not archived), in French order."""
    return MemberGroup.objects.filter(structure=structure, archived_at__isnull=True).order_by(
        "sort_key", "pk"
    )


@dataclass(frozen=True)
class GroupData:
    name: str
    description: str = ""


def _clean(structure: Structure, data: GroupData, *, instance: MemberGroup | None = None):
    name = " ".join((data.name or "").split())
    if not name:
        raise MemberError(_("Donnez un nom au groupe."), code="name_required")
    same = MemberGroup.objects.filter(structure=structure, name__iexact=name)
    if instance is not None:
        same = same.exclude(pk=instance.pk)
    archived = same.filter(archived_at__isnull=False).first()
    if archived is not None:
        raise MemberError(
            _(
                "Un groupe archivé porte déjà le nom « %(name)s » (il reste sur les campagnes "
                "envoyées) : choisissez un autre nom."
            )
            % {"name": archived.name},
            code="duplicate_name",
        )
    if same.exists():
        raise MemberError(
            _("La structure a déjà un groupe « %(name)s » : choisissez un autre nom.")
            % {"name": name},
            code="duplicate_name",
        )
    return name, " ".join((data.description or "").split())


@transaction.atomic
def group_create(*, structure: Structure, actor, data: GroupData) -> MemberGroup:
    ensure_may_follow(actor, structure)
    # Serialises two creations of one name (the unique index would refuse the second
    # with an IntegrityError instead of the message).
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    name, description = _clean(structure, data)
    group = MemberGroup(structure=structure, name=name, description=description)
    group.full_clean()
    group.save()
    log_action(
        actor=actor,
        action="member_group_created",
        obj=group,
        summary=_("Groupe « %(name)s » créé (%(structure)s)")
        % {"name": name, "structure": structure.name},
    )
    return group


@transaction.atomic
def group_update(*, group: MemberGroup, actor, data: GroupData) -> MemberGroup:
    ensure_may_follow(actor, group.structure)
    Structure.objects.select_for_update().filter(pk=group.structure_id).first()
    before = group.name
    group.name, group.description = _clean(group.structure, data, instance=group)
    group.full_clean()
    group.save()
    log_action(
        actor=actor,
        action="member_group_updated",
        obj=group,
        summary=_("Groupe « %(before)s » modifié : « %(name)s »")
        % {"before": before, "name": group.name},
    )
    return group


@dataclass(frozen=True)
class GroupUse:
    members: int  # active members in the group
    pending_campaigns: int  # scheduled campaigns that target it
    sent: bool = False  # a sent campaign used it: archived, never deleted


def _used_by_sent_campaigns() -> Q:
    """Filter: a campaign that left (or failed to) targeted the group, or one of its
    recipients was in it when it left (`CampaignRecipient.groups`, reverse name
    `sent_receipts`)."""
    through = MemberGroup.sent_receipts.through
    return Q(alert_campaigns__status__in=_PAST_CAMPAIGN_STATUSES) | Q(
        Exists(through.objects.filter(membergroup_id=OuterRef("pk")))
    )


def group_use(group: MemberGroup) -> GroupUse:
    figures = MemberGroup.objects.filter(pk=group.pk).aggregate(
        members=Count("memberships", filter=Q(memberships__ended_at__isnull=True), distinct=True),
        pending=Count(
            "alert_campaigns",
            filter=Q(alert_campaigns__status__in=_PENDING_CAMPAIGN_STATUSES),
            distinct=True,
        ),
    )
    sent = MemberGroup.objects.filter(pk=group.pk).filter(_used_by_sent_campaigns()).exists()
    return GroupUse(members=figures["members"], pending_campaigns=figures["pending"], sent=sent)


@transaction.atomic
def group_delete(*, group: MemberGroup, actor) -> str:
    """Deletes the group (its members stay, in their other groups), or archives it when a
    sent campaign used it; returns "deleted" or "archived". Refused (`MemberError`
    "group_in_use") while a scheduled campaign targets it."""
    ensure_may_follow(actor, group.structure)
    MemberGroup.objects.select_for_update().filter(pk=group.pk).first()
    use = group_use(group)
    if use.pending_campaigns:
        raise MemberError(
            _(
                "Le groupe « %(name)s » est destinataire d'une campagne programmée : retirez-le "
                "de la campagne ou annulez-la avant de supprimer le groupe."
            )
            % {"name": group.name},
            code="group_in_use",
        )
    if use.sent:
        group.archived_at = timezone.now()
        group.save(update_fields=["archived_at"])
        log_action(
            actor=actor,
            action="member_group_archived",
            obj=group,
            summary=_("Groupe « %(name)s » archivé : des campagnes envoyées l'ont utilisé")
            % {"name": group.name},
            data={"name": group.name, "structure": group.structure_id, "members": use.members},
        )
        return "archived"
    log_action(
        actor=actor,
        action="member_group_deleted",
        obj=group,
        summary=_("Groupe « %(name)s » supprimé (%(members)s membres)")
        % {"name": group.name, "members": use.members},
        data={"name": group.name, "structure": group.structure_id, "members": use.members},
    )
    group.delete()
    return "deleted"
