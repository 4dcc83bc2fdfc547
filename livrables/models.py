from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class IssuedDocument(models.Model):
    """The register of every document the application issued: its printed number and the
    SHA-256 of the exact bytes handed out, so that anyone holding a copy can check on the
    public verification page that it is genuine and unaltered.

    Append-only: a row is written once by the service that issues the document and never
    changed or deleted (the admin is read-only, `save()` refuses updates, `delete()` refuses).
    Nothing here may identify a person except `issued_by`, which the public page never shows.
    """

    class Kind(models.TextChoices):
        ATTENDANCE_SHEET = "attendance_sheet", _("Feuille d'émargement")
        BLANK_SHEET = "blank_sheet", _("Feuille d'émargement vierge")
        # Only one structure's people (a referent's proof): numbered EXT-…
        ATTENDANCE_SHEET_EXTRACT = "attendance_sheet_extract", _("Extrait de feuille d'émargement")
        # Certificates (attestation de présence, certificat de réalisation, certificat
        # d'assiduité) will be added here when livrables issues them.

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

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("An issued document is append-only: it is never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An issued document is append-only: it is never deleted.")
