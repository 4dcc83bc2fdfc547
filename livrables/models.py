from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AppendOnlyModel(models.Model):
    """A row written once and never changed or deleted: `save()` refuses updates and
    `delete()` refuses (the admin is read-only too). A queryset `update()` or `delete()`
    would still pass: no code of the application issues one on these tables."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} is append-only: it is never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} is append-only: it is never deleted.")


class IssuedDocument(AppendOnlyModel):
    """The register of every document the application issued: its printed number and the
    SHA-256 of the exact bytes handed out, so that anyone holding a copy can check on the
    public verification page that it is genuine and unaltered. The bytes themselves are
    kept in the private documents storage (`storage_name`) and served again, unchanged, on
    every later download; they are never deleted (not before `retention_until`, and the
    application deletes none at all).

    Append-only. A document's state (current, superseded, revoked) is not a column: it is
    derived from its `DocumentEntry` rows (`livrables.selectors.document_state`).

    What the document is about: nullable foreign keys, one per kind of subject (a session
    for sheets; a structure too for a structure's extract; later an enrolment or a
    participant for certificates, a structure for fiches, a formation for statements,
    syntheses and packs), so that scoping is a plain filter on a visible queryset.

    Nothing here may identify a person except `issued_by`, which the public page never shows,
    and the holder's initials of a certificate (`holder_initials`), which it shows on purpose:
    enough for a reader holding the PDF to match it, not enough to name anyone.
    """

    class Kind(models.TextChoices):
        ATTENDANCE_SHEET = "attendance_sheet", _("Feuille d'émargement")
        BLANK_SHEET = "blank_sheet", _("Feuille d'émargement vierge")
        # Only one structure's people (a referent's proof): numbered EXT-…
        ATTENDANCE_SHEET_EXTRACT = "attendance_sheet_extract", _("Extrait de feuille d'émargement")
        # Per participant and formation (subject: participant + formation).
        COMPLETION_CERTIFICATE = "completion_certificate", _("Certificat de réalisation")
        ATTENDANCE_ATTESTATION = "attendance_attestation", _("Attestation d'assiduité")
        # Per structure and formation (subject: structure + formation), one per CCAS.
        STRUCTURE_ATTENDANCE_CERTIFICATE = (
            "structure_attendance_certificate",
            _("Certificat d'assiduité de la structure"),
        )
        # Per formation and period (subject: formation; period in covers_from / covers_to).
        SERVICE_FAIT_STATEMENT = "service_fait_statement", _("État de service fait")
        # Per formation and period (subject: formation; period in covers_from / covers_to,
        # empty for the whole formation): the ZIP of its justificatifs (`livrables.pack`).
        AUDIT_PACK = "audit_pack", _("Dossier de justificatifs")
        # Per formation (or session), questionnaire and period (subject: formation, session
        # when one, questionnaire; period in covers_from / covers_to, empty for no bound):
        # the funder's copy of an evaluation's results (`livrables.services_synthesis`).
        EVALUATION_SYNTHESIS = "evaluation_synthesis", _("Synthèse d'évaluation")
        # Per programme and structure (subject: programme + structure; the fiche's
        # `revision` in fiche_revision): the fiche projet, and the « fiche individuelle »
        # (the fiche with the follow-up, participation, tasks and certificates).
        PROJECT_FICHE = "project_fiche", _("Fiche projet")
        STRUCTURE_FICHE = "structure_fiche", _("Fiche individuelle de la structure")
        # Per programme (subject: programme): every partner structure's fiche projet.
        PROJECT_BOOKLET = "project_booklet", _("Livret des projets")

    number = models.CharField(_("numéro"), max_length=120, unique=True)
    kind = models.CharField(_("type de document"), max_length=40, choices=Kind.choices)
    title = models.CharField(
        _("intitulé public"),
        max_length=255,
        help_text=_(
            "Affiché sur la page publique de vérification : jamais de données personnelles."
        ),
    )
    sha256 = models.CharField(
        _("empreinte SHA-256"),
        max_length=64,
        validators=[RegexValidator(r"\A[0-9a-f]{64}\Z", _("Empreinte SHA-256 invalide."))],
    )
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    issued_at = models.DateTimeField(_("émis le"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("émis par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vide pour un document produit par une commande."),
    )
    session = models.ForeignKey(
        "training_sessions.TrainingSession",
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    enrolment = models.ForeignKey(
        "training_sessions.Enrolment",
        verbose_name=_("inscription"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    participant = models.ForeignKey(
        "formations.Participant",
        verbose_name=_("participant·e"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    structure = models.ForeignKey(
        "formations.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    formation = models.ForeignKey(
        "formations.Formation",
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    # An evaluation synthesis: the questionnaire whose results it gives.
    questionnaire = models.ForeignKey(
        "evaluations.Questionnaire",
        verbose_name=_("questionnaire"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    # A fiche projet, a fiche individuelle or the livret of a programme's projects.
    programme = models.ForeignKey(
        "formations.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_documents",
    )
    # The fiche projet's `revision` it printed (« à rééditer » once the fiche moved on).
    fiche_revision = models.PositiveIntegerField(_("version de la fiche"), null=True, blank=True)
    # Name of the file in the documents storage (`formations.storage.documents_storage`);
    # empty for documents registered before files were kept (their digest alone remains).
    storage_name = models.CharField(_("fichier conservé"), max_length=255, blank=True)
    filename = models.CharField(_("nom du fichier remis"), max_length=255, blank=True)
    content_type = models.CharField(_("type de contenu"), max_length=100, default="application/pdf")
    # What the public page says of a certificate (empty for the other kinds): the period
    # covered, hours realised and planned, whether it is final or an « état au » statement.
    holder_initials = models.CharField(
        _("initiales du ou de la titulaire"), max_length=20, blank=True
    )
    covers_from = models.DateField(_("période couverte : du"), null=True, blank=True)
    covers_to = models.DateField(_("période couverte : au"), null=True, blank=True)
    planned_minutes = models.PositiveIntegerField(_("minutes prévues"), null=True, blank=True)
    realised_minutes = models.PositiveIntegerField(_("minutes réalisées"), null=True, blank=True)
    final = models.BooleanField(
        _("définitif"),
        null=True,
        blank=True,
        help_text=_("Faux : « état au » (des sessions de la formation restent à sceller)."),
    )
    retention_until = models.DateField(
        _("à conserver au moins jusqu'au"),
        null=True,
        blank=True,
        help_text=_("Justificatif d'une opération cofinancée : ne pas détruire avant cette date."),
    )

    class Meta:
        verbose_name = _("document émis")
        verbose_name_plural = _("documents émis")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(number=""), name="issued_document_has_number"),
        ]
        indexes = [
            # The public page names the document an uploaded file is, found by its digest.
            models.Index(fields=["sha256"], name="issued_document_sha256"),
        ]

    def __str__(self):
        return self.number


class DocumentEntry(AppendOnlyModel):
    """What happened to an issued document after its issue, one append-only row per event:
    superseded by a reissue (`replaced_by`), or revoked (withdrawn, with a reason). The
    document's current state is derived from these rows, never stored on the document.
    Later kinds (« à rééditer » when the data behind a document changed) join them.
    """

    class Kind(models.TextChoices):
        SUPERSEDED = "superseded", _("Remplacé")
        REVOKED = "revoked", _("Révoqué")

    document = models.ForeignKey(
        IssuedDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    kind = models.CharField(_("événement"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("le"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vide pour une commande."),
    )
    replaced_by = models.ForeignKey(
        IssuedDocument,
        verbose_name=_("remplacé par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces_entries",
    )
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("événement d'un document émis")
        verbose_name_plural = _("événements des documents émis")
        ordering = ["at", "pk"]
        constraints = [
            # A document is replaced once and revoked once: a second reissue replaces the
            # new document, not the old one again.
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(kind="superseded"),
                name="document_superseded_once",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(kind="revoked"),
                name="document_revoked_once",
            ),
            models.CheckConstraint(
                condition=(Q(kind="superseded") & Q(replaced_by__isnull=False))
                | (Q(kind="revoked") & Q(replaced_by__isnull=True) & ~Q(reason="")),
                name="document_entry_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(replaced_by=models.F("document")),
                name="document_entry_not_replaced_by_itself",
            ),
        ]

    def __str__(self):
        return f"{self.document_id} {self.kind}"


# Expenses live in their own module; imported here so that Django registers them.
from livrables.models_claims import Payment, ServiceFaitClaim  # noqa: E402
from livrables.models_deliverables import (  # noqa: E402, F401
    DeliverableDue,
    DeliverableReminder,
    DeliverableVersion,
    ExpectedDeliverable,
)
from livrables.models_expenses import Expense, ExpenseNumbering, Mission  # noqa: E402, F401

__all__ = ["AppendOnlyModel", "DocumentEntry", "IssuedDocument", "Payment", "ServiceFaitClaim"]
