"""Expected deliverables (livrables attendus) of a formation: what the contract requires on
a rhythm (seed 000, Lille Sud: « un récit collectif bimestriel », « un cadre de référence
en publication semestrielle », « une note support annuelle »), the due items generated
from that rhythm and the execution period, and the versions uploaded for each due item
with the funder's decision.

A due item's `status` is written by the services only (`livrables.services_deliverables`),
beside its latest version's: « à produire » (nothing submitted yet; « en retard » once its
date has passed, derived at read time), « soumis », « validé », « à reprendre »,
« diffusé ». Files are kept in the private documents storage, never served by a public
URL. Imported by `livrables.models` so that Django finds them."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from formations.models import Formation, Funder
from formations.storage import documents_storage

# Where versions and the funders' messages are kept inside the documents storage.
VERSIONS_FOLDER = "deliverables"
FUNDER_MESSAGES_FOLDER = "deliverables/funder-messages"
# The folder of the audit pack holding the validated versions.
PACK_FOLDER = "livrables-attendus"


class ExpectedDeliverable(models.Model):
    """A document the contract requires of the formation, on a rhythm."""

    class Rhythm(models.TextChoices):
        BIMONTHLY = "bimonthly", _("Bimestriel")
        HALF_YEARLY = "half_yearly", _("Semestriel")
        YEARLY = "yearly", _("Annuel")
        AT_END = "at_end", _("Une fois, en fin d'exécution")
        GIVEN_DATES = "given_dates", _("À des dates données")

    formation = models.ForeignKey(
        Formation,
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        related_name="expected_deliverables",
    )
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rhythm = models.CharField(_("rythme"), max_length=20, choices=Rhythm.choices)
    # Days allowed after the end of each period to hand the deliverable in (0: due on the
    # period's last day). Not applied to given dates, which are due dates already.
    lead_days = models.PositiveSmallIntegerField(_("délai de remise (jours)"), default=0)
    # For `GIVEN_DATES` only: the due dates as ISO strings, sorted.
    given_dates = models.JSONField(_("dates données"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("livrable attendu")
        verbose_name_plural = _("livrables attendus")
        ordering = ["formation", "title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["formation", "title"], name="deliverable_unique_title_per_formation"
            ),
            models.CheckConstraint(
                condition=Q(lead_days__lte=365),
                name="deliverable_lead_days_within_a_year",
                violation_error_message=_("Le délai de remise ne peut dépasser 365 jours."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def given_date_values(self) -> list[dt.date]:
        return [dt.date.fromisoformat(value) for value in self.given_dates or []]


class DeliverableStatus(models.TextChoices):
    PENDING = "pending", _("À produire")
    SUBMITTED = "submitted", _("Soumis")
    VALIDATED = "validated", _("Validé")
    TO_REWORK = "to_rework", _("À reprendre")
    DIFFUSED = "diffused", _("Diffusé")


# Statuses of a due item that still wait for the coordinator's work (a version to upload):
# those are late once their date has passed, and reminded.
OPEN_STATUSES = (DeliverableStatus.PENDING, DeliverableStatus.TO_REWORK)


class DeliverableDue(models.Model):
    """One due item of an expected deliverable: a period (None for given dates) and the
    date the deliverable is due."""

    deliverable = models.ForeignKey(
        ExpectedDeliverable,
        verbose_name=_("livrable attendu"),
        on_delete=models.CASCADE,
        related_name="dues",
    )
    period_start = models.DateField(_("période du"), null=True, blank=True)
    period_end = models.DateField(_("période au"), null=True, blank=True)
    due_date = models.DateField(_("échéance"))
    status = models.CharField(
        _("état"),
        max_length=20,
        choices=DeliverableStatus.choices,
        default=DeliverableStatus.PENDING,
    )

    class Meta:
        verbose_name = _("échéance de livrable")
        verbose_name_plural = _("échéances de livrables")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deliverable", "due_date"], name="deliverable_due_unique_date"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=F("period_end")),
                name="deliverable_due_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="deliverable_due_open_idx")]

    def __str__(self):
        return f"{self.deliverable} — {self.due_date:%d/%m/%Y}"

    def is_late(self, today: dt.date) -> bool:
        return self.status in OPEN_STATUSES and self.due_date < today

    def state_label(self, today: dt.date) -> str:
        """« En retard » for a due item not produced past its date (« À reprendre, en
        retard » for one to rework); else its status."""
        if self.status == DeliverableStatus.PENDING and self.due_date < today:
            return str(_("En retard"))
        if self.status == DeliverableStatus.TO_REWORK and self.due_date < today:
            return str(_("À reprendre, en retard"))
        return str(DeliverableStatus(self.status).label)


class DeliverableVersion(models.Model):
    """One uploaded version of a due item (numbered 1, 2… per due item), with the funder's
    decision on it (validated, or to rework with a comment) and its diffusion."""

    class DecidedAs(models.TextChoices):
        AUDITOR = "auditor", _("par l'auditeur·rice du financeur")
        COORDINATOR = "coordinator", _("par la coordination, message du financeur joint")

    due = models.ForeignKey(
        DeliverableDue,
        verbose_name=_("échéance"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("état"),
        max_length=20,
        choices=DeliverableStatus.choices,
        default=DeliverableStatus.SUBMITTED,
    )
    file = models.FileField(
        _("fichier"), storage=documents_storage, upload_to=VERSIONS_FOLDER, max_length=255
    )
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    original_name = models.CharField(_("nom du fichier déposé"), max_length=255)
    content_type = models.CharField(max_length=80)
    uploaded_at = models.DateTimeField(_("déposée le"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The funder's decision.
    decided_at = models.DateTimeField(_("décision le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décision enregistrée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_as = models.CharField(max_length=20, choices=DecidedAs.choices, blank=True)
    funder = models.ForeignKey(
        Funder,
        verbose_name=_("financeur"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.TextField(_("commentaire"), blank=True)
    message_text = models.TextField(_("message du financeur"), blank=True)
    message_file = models.FileField(
        _("message du financeur (fichier)"),
        storage=documents_storage,
        upload_to=FUNDER_MESSAGES_FOLDER,
        max_length=255,
        blank=True,
    )
    message_sha256 = models.CharField(max_length=64, blank=True)
    message_original_name = models.CharField(max_length=255, blank=True)
    message_content_type = models.CharField(max_length=80, blank=True)
    diffused_at = models.DateTimeField(_("diffusée le"), null=True, blank=True)
    diffused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diffusion enregistrée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("version de livrable")
        verbose_name_plural = _("versions de livrables")
        ordering = ["due", "number"]
        constraints = [
            models.UniqueConstraint(fields=["due", "number"], name="deliverable_version_unique"),
            # « À reprendre » always says what to rework.
            models.CheckConstraint(
                condition=~Q(status="to_rework") | ~Q(comment=""),
                name="deliverable_rework_has_comment",
                violation_error_message=_("Dites ce qui est à reprendre."),
            ),
            # Only a validated version is diffused.
            models.CheckConstraint(
                condition=Q(diffused_at__isnull=True) | Q(status="diffused"),
                name="deliverable_diffused_coherent",
            ),
        ]

    def __str__(self):
        return f"{self.due} v{self.number}"

    @property
    def extension(self) -> str:
        return VERSION_EXTENSIONS.get(self.content_type, "bin")

    @property
    def pack_name(self) -> str:
        """The version's name in the audit pack:
        `livrables-attendus/<livrable>-<n° du livrable>/<échéance>-v<n>.<ext>`. The number
        keeps two titles apart that slug alike (« Récit » and « Recit », or two long titles
        cut at the same place), as the certificates' folders carry the person's."""
        from livrables.models_expenses import short_slug

        deliverable = self.due.deliverable
        slug = short_slug(deliverable.title) or "livrable"
        return (
            f"{PACK_FOLDER}/{slug}-{deliverable.pk}/"
            f"{self.due.due_date:%Y-%m-%d}-v{self.number}.{self.extension}"
        )

    @property
    def download_name(self) -> str:
        """The name the file is downloaded under: the pack's, without its folders."""
        from livrables.models_expenses import short_slug

        slug = short_slug(self.due.deliverable.title) or "livrable"
        return f"{slug}-{self.due.due_date:%Y-%m-%d}-v{self.number}.{self.extension}"


class DeliverableReminder(models.Model):
    """A reminder sent for a due item (`kind`: 15 days before, on the day): the unique
    constraint makes `run_periodic` send each one once, however often it runs."""

    class Kind(models.TextChoices):
        BEFORE = "before_15", _("15 jours avant l'échéance")
        ON_DAY = "on_day", _("le jour de l'échéance")

    due = models.ForeignKey(DeliverableDue, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("rappel d'échéance")
        verbose_name_plural = _("rappels d'échéances")
        constraints = [
            models.UniqueConstraint(fields=["due", "kind"], name="deliverable_reminder_once"),
        ]

    def __str__(self):
        return f"{self.due} — {self.get_kind_display()}"


VERSION_EXTENSIONS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "message/rfc822": "eml",
    "application/vnd.ms-outlook": "msg",
    "image/jpeg": "jpg",
    "image/png": "png",
}
