"""A structure's members (seed 002, « Alertes »): the people a centre social follows —
residents, volunteers, partners — are `Participant` rows of the one registry, each tied to
the structures that follow them by a `Membership`, and sorted into the structure's own
`MemberGroup`s. Imported by `formations.models`; services are in `formations.members`,
the messaging itself (administrative dates, campaigns) in the `alertes` app.

Each structure sees only its own memberships and groups: a person followed by two centres
sociaux has two memberships, and neither centre sees the other's."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from formations.models import Participant, SortKeyModel, Structure


class MemberGroup(SortKeyModel):
    """A structure's sending group (petite enfance, jeunesse, RSA, culture…), as data."""

    SORT_KEY_SOURCES = ("name",)

    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="member_groups",
    )
    name = models.CharField(_("nom du groupe"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    # Archived instead of deleted once a sent campaign used it: past campaigns and the
    # statistics keep saying whom they went to. Hidden from the pickers and the list.
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("groupe")
        verbose_name_plural = _("groupes")
        ordering = ["sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                "structure", Lower("name"), name="member_group_name_unique_per_structure"
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person followed by one structure: their groups there, and who registered them.
    Ending a membership (the person left) keeps it, for the statistics and the messages
    already sent; an ended membership receives nothing."""

    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("personne"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    groups = models.ManyToManyField(
        MemberGroup, verbose_name=_("groupes"), related_name="memberships", blank=True
    )
    note = models.TextField(_("remarque"), blank=True, max_length=2000)
    registered_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inscrit·e par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("fin du suivi"), null=True, blank=True)

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        ordering = ["participant__sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "participant"], name="membership_once_per_structure"
            ),
        ]

    def __str__(self):
        return f"{self.participant} — {self.structure}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
