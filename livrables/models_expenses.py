"""Expenses (frais engagés) of a formation and the missions they belong to.

Funders reimburse « sur production de justificatifs des frais engagés »: each expense
keeps its amounts (HT + TVA = TTC, checked by the database), who paid it and its receipt,
kept in the private documents storage (`formations.storage.documents_storage`), never
served by a public URL. Imported by `livrables.models` so that Django finds them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from formations.models import Formation
from formations.storage import documents_storage
from sessions.models import TrainingSession

# Where receipts are kept inside the documents storage (names chosen by the service).
RECEIPTS_FOLDER = "receipts"
# The folder of the audit pack (and of the follow-up file's links) holding the receipts.
PACK_FOLDER = "frais"


class Mission(models.Model):
    """A named mission of a formation outside its sessions (a preparation trip, a
    steering committee…), with its dates and place: expenses are grouped by it."""

    formation = models.ForeignKey(
        Formation, verbose_name=_("formation"), on_delete=models.PROTECT, related_name="missions"
    )
    name = models.CharField(_("intitulé"), max_length=200)
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    place = models.CharField(_("lieu"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["start_date", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")),
                name="mission_starts_before_end",
                violation_error_message=_("La mission ne peut pas finir avant de commencer."),
            ),
        ]

    def __str__(self):
        return self.name


class ExpenseNumbering(models.Model):
    """The last expense number given in a formation. An expense's n° is printed in the
    funder's follow-up file and names its receipt in the audit pack: once given, it is
    never given again, even when the expense is deleted (its row goes, with its receipt)."""

    formation = models.OneToOneField(
        Formation,
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        related_name="expense_numbering",
    )
    last_number = models.PositiveIntegerField(_("dernier n° donné"), default=0)

    class Meta:
        verbose_name = _("numérotation des dépenses")
        verbose_name_plural = _("numérotations des dépenses")

    def __str__(self):
        return f"{self.formation_id}: {self.last_number}"


class Expense(models.Model):
    """One expense of a formation: its receipt is part of the audit pack under
    `pack_name` (`frais/<n°>-<description>.<ext>`)."""

    class Category(models.TextChoices):
        TRAVEL = "travel", _("Déplacement")
        LODGING = "lodging", _("Hébergement")
        MEALS = "meals", _("Restauration")
        FEES = "fees", _("Honoraires")
        ROOM = "room", _("Location de salle")
        EQUIPMENT = "equipment", _("Matériel")
        OTHER = "other", _("Autre")

    formation = models.ForeignKey(
        Formation, verbose_name=_("formation"), on_delete=models.PROTECT, related_name="expenses"
    )
    # Numbered per formation by the service (`ExpenseNumbering`), never reused, even after
    # a deletion: the n° of the follow-up file and of the receipt's name in the pack.
    number = models.PositiveIntegerField(_("n°"))
    date = models.DateField(_("date"))
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    description = models.CharField(_("description"), max_length=255)
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="expenses",
        null=True,
        blank=True,
    )
    mission = models.ForeignKey(
        Mission,
        verbose_name=_("mission"),
        on_delete=models.PROTECT,
        related_name="expenses",
        null=True,
        blank=True,
    )
    amount_ht = models.DecimalField(_("montant HT (€)"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("TVA (€)"), max_digits=12, decimal_places=2)
    amount_ttc = models.DecimalField(_("montant TTC (€)"), max_digits=12, decimal_places=2)
    paid_by = models.CharField(
        _("payé par"),
        max_length=200,
        help_text=_("Ex. : l'organisme (carte de l'association), la formatrice (à rembourser)."),
    )
    receipt = models.FileField(
        _("justificatif"), storage=documents_storage, upload_to=RECEIPTS_FOLDER, max_length=255
    )
    receipt_sha256 = models.CharField(_("empreinte SHA-256 du justificatif"), max_length=64)
    receipt_original_name = models.CharField(_("nom du fichier déposé"), max_length=255)
    receipt_content_type = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("dépense (frais engagés)")
        verbose_name_plural = _("frais engagés")
        ordering = ["date", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["formation", "number"], name="expense_unique_number_per_formation"
            ),
            models.CheckConstraint(
                condition=Q(amount_ttc=F("amount_ht") + F("vat")),
                name="expense_ttc_is_ht_plus_vat",
                violation_error_code="ttc_mismatch",
                violation_error_message=_(
                    "Le montant TTC doit être égal au montant HT plus la TVA."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount_ht__gte=0) & Q(vat__gte=0),
                name="expense_amounts_not_negative",
                violation_error_message=_("Les montants ne peuvent pas être négatifs."),
            ),
            # A session or a named mission, not both (neither: « hors mission »).
            models.CheckConstraint(
                condition=Q(session__isnull=True) | Q(mission__isnull=True),
                name="expense_session_or_mission",
                violation_error_message=_(
                    "Rattachez la dépense à une session ou à une mission, pas aux deux."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.description}"

    @property
    def receipt_extension(self) -> str:
        return RECEIPT_EXTENSIONS.get(self.receipt_content_type, "bin")

    @property
    def pack_name(self) -> str:
        """The receipt's name in the audit pack and in the follow-up file."""
        slug = short_slug(self.description) or "frais"
        return f"{PACK_FOLDER}/{self.number:03d}-{slug}.{self.receipt_extension}"


def short_slug(text: str, limit: int = 40) -> str:
    """`slugify(text)` cut after a whole word within `limit` characters (a single longer
    word is cut at the limit)."""
    slug = slugify(text)
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    if slug[limit] != "-" and "-" in cut:
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


RECEIPT_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
