"""Sessions, half-day slots, enrolments, attendance (émargement), seals and rectifications.

Attendance is the unit funders audit. Rows are written only through `sessions.services`;
once a slot is sealed its rows never change in place except through a rectification,
which `verify_seals` can undo to recompute the original digest.
"""

import zoneinfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# validate_time_zone: named by the migrations as sessions.models.validate_time_zone.
from formations.french import TIME_ZONE_CHOICES, validate_time_zone  # noqa: F401
from formations.models import Formation, Participant
from formations.storage import documents_storage
from sessions.public_holidays import HOLIDAY_SUBDIVISION_CHOICES, holiday_subdivision_for


class TrainingSession(models.Model):
    class Modality(models.TextChoices):
        ON_SITE = "on_site", _("Présentiel")
        REMOTE = "remote", _("À distance")
        HYBRID = "hybrid", _("Hybride")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Programmée")
        COMPLETED = "completed", _("Terminée")
        CANCELLED = "cancelled", _("Annulée")

    TIME_ZONE_CHOICES = TIME_ZONE_CHOICES

    formation = models.ForeignKey(
        Formation, verbose_name=_("formation"), on_delete=models.PROTECT, related_name="sessions"
    )
    # The code appears in document numbers and URLs: letters, digits, dot, dash, underscore.
    code = models.CharField(
        _("code"),
        max_length=60,
        unique=True,
        help_text=_("Ex. : LABO-2021-1 (lettres, chiffres, point, tiret, souligné)."),
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                _(
                    "Le code ne peut contenir que des lettres sans accent, des chiffres, "
                    "« . », « - » et « _ »."
                ),
            )
        ],
    )
    place = models.CharField(_("lieu"), max_length=255, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    # The venue's public holidays differ across France (Mayotte keeps 27 April, Alsace-
    # Moselle 26 December…): the audit risks read them from this subdivision, which
    # `holiday_region` derives from the postal code when left blank.
    postal_code = models.CharField(
        _("code postal du lieu"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("Code postal à cinq chiffres."))],
    )
    holiday_subdivision = models.CharField(
        _("jours fériés du lieu"),
        max_length=8,
        blank=True,
        choices=HOLIDAY_SUBDIVISION_CHOICES,
        help_text=_("Laissez vide pour les déduire du code postal (ou du fuseau horaire)."),
    )
    room_capacity = models.PositiveIntegerField(
        _("capacité de la salle"),
        null=True,
        blank=True,
        help_text=_(
            "Nombre de places : au-delà, les signatures d'une demi-journée sont signalées."
        ),
    )
    time_zone = models.CharField(
        _("fuseau horaire"),
        max_length=64,
        default="Europe/Paris",
        choices=TIME_ZONE_CHOICES,
        validators=[validate_time_zone],
    )
    modality = models.CharField(
        _("modalité"), max_length=20, choices=Modality.choices, default=Modality.ON_SITE
    )
    remote_url = models.URLField(_("lien de visioconférence"), blank=True)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("formateur·rices"),
        related_name="trained_sessions",
        blank=True,
        limit_choices_to={"role": "trainer"},
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    notes = models.TextField(_("notes"), blank=True)
    # Off by default: one phone signs for one person per half-day (QR code). A trainer may
    # allow it for a group that shares phones; such signatures are then recorded and
    # flagged instead of refused. Changed only through `session_set_shared_devices` (logged).
    allow_shared_devices = models.BooleanField(
        _("Autoriser plusieurs signatures depuis un même téléphone"),
        default=False,
        help_text=_(
            "Par défaut, un téléphone ne signe que pour une personne par demi-journée. "
            "Si vous l'autorisez, les signatures suivantes sont acceptées mais signalées."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # SEQUENCE of the session's calendar events (RFC 5545 §3.8.7.4): raised by
    # `session_save` whenever what the events show changes (half-days, place, status…),
    # so that an invitation sent after a change replaces the entry already in agendas.
    calendar_sequence = models.PositiveIntegerField(
        _("version du calendrier"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["code"]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("sessions:session_detail", args=[self.pk])

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def holiday_region(self) -> str | None:
        """The subdivision of the `holidays` package whose public holidays apply at the
        venue: the one chosen, else from the postal code, else from the time zone."""
        return holiday_subdivision_for(
            chosen=self.holiday_subdivision, postal_code=self.postal_code, time_zone=self.time_zone
        )


class Slot(models.Model):
    """A half-day (demi-journée): the unit of attendance funders audit."""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="slots"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contresigné par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    countersigned_at = models.DateTimeField(_("contresigné le"), null=True, blank=True)
    countersignature = models.JSONField(_("contre-signature"), null=True, blank=True)

    class Meta:
        verbose_name = _("demi-journée")
        verbose_name_plural = _("demi-journées")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="slot_starts_before_end"
            ),
            models.UniqueConstraint(
                fields=["session", "starts_at"], name="slot_unique_start_per_session"
            ),
        ]

    def __str__(self):
        local = self.local_start
        return f"{self.session.code} {local:%d/%m/%Y %H:%M}–{self.local_end:%H:%M}"

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, self.session.tzinfo)

    @property
    def local_end(self):
        return timezone.localtime(self.ends_at, self.session.tzinfo)

    @property
    def planned_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_sealed(self) -> bool:
        return hasattr(self, "seal")

    @property
    def is_countersigned(self) -> bool:
        return self.countersigned_at is not None


class Enrolment(models.Model):
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant·e"),
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    enrolled_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    convocation_sent_at = models.DateTimeField(_("convocation envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["participant__sort_key", "participant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"], name="enrolment_unique_per_session"
            ),
        ]

    def __str__(self):
        return f"{self.participant} — {self.session}"


class PaperSheetScan(models.Model):
    """The scan of a paper sheet signed in the room, kept as the proof of keyed-in attendance."""

    slot = models.ForeignKey(
        Slot, verbose_name=_("demi-journée"), on_delete=models.PROTECT, related_name="paper_scans"
    )
    # Private storage: the sheet carries names and signatures. No URL serves it; the scan
    # is read by `sessions:slot_paper_scan` after a permission check.
    file = models.FileField(
        _("fichier"), upload_to="paper_sheets/%Y/%m/", storage=documents_storage
    )
    original_name = models.CharField(_("nom d'origine"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("scan de feuille papier")
        verbose_name_plural = _("scans de feuilles papier")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name


class Attendance(models.Model):
    """One émargement: one participant, one half-day."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Présent·e")
        LATE = "late", _("Retard")
        LEFT_EARLY = "left_early", _("Départ anticipé")
        LATE_AND_LEFT_EARLY = "late_left_early", _("Retard et départ anticipé")
        ABSENT_EXCUSED = "absent_excused", _("Absent·e excusé·e")
        ABSENT = "absent", _("Absent·e")

    class Method(models.TextChoices):
        TABLET = "tablet", _("Tablette du formateur")
        QR_CODE = "qr_code", _("QR code sur son téléphone")
        REMOTE_LINK = "remote_link", _("Lien personnel à distance")
        PAPER = "paper", _("Feuille papier saisie")
        TRAINER = "trainer", _("Relevé par le formateur")
        # Written by the close for everyone with no row: the person never signed and
        # nobody recorded them; the sheet says so instead of « relevé par le formateur ».
        CLOSING = "closing", _("Constaté à la clôture")

    PARTIAL_STATUSES = frozenset({Status.LATE, Status.LEFT_EARLY, Status.LATE_AND_LEFT_EARLY})
    # Statuses that carry an arrival time, and those that carry a departure time.
    ARRIVAL_STATUSES = frozenset({Status.LATE, Status.LATE_AND_LEFT_EARLY})
    DEPARTURE_STATUSES = frozenset({Status.LEFT_EARLY, Status.LATE_AND_LEFT_EARLY})
    ABSENT_STATUSES = frozenset({Status.ABSENT, Status.ABSENT_EXCUSED})

    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("inscription"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    slot = models.ForeignKey(
        Slot, verbose_name=_("demi-journée"), on_delete=models.PROTECT, related_name="attendances"
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices)
    # What the trainer saw: the arrival of a late person, the departure of one who left
    # early. `minutes_attended` is derived from them (planned − minutes missed) and kept
    # so that hours stay a plain SQL sum.
    arrived_at = models.DateTimeField(_("arrivée"), null=True, blank=True)
    left_at = models.DateTimeField(_("départ"), null=True, blank=True)
    minutes_attended = models.PositiveSmallIntegerField(
        _("minutes de présence"), null=True, blank=True
    )
    method = models.CharField(_("mode de recueil"), max_length=20, choices=Method.choices)
    signature = models.JSONField(_("signature (tracé vectoriel)"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signé le (serveur)"), null=True, blank=True)
    device_signed_at = models.DateTimeField(_("signé le (appareil)"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=500, blank=True)
    nonce = models.CharField(_("nonce client"), max_length=64, null=True, blank=True, unique=True)
    # QR code signatures: the random id of the scan ticket (one visit of the QR page) and
    # of the phone (a long-lived signed cookie). Two people of one half-day with the same
    # ticket or phone are refused, or flagged when the session allows shared phones
    # (`sessions.selectors.risks.shared_device_signatures`). NULL, not "", when unknown:
    # SQL never finds NULL equal to NULL, so unknown phones never match each other.
    device_ticket = models.CharField(  # noqa: DJ001
        _("ticket de scan"), max_length=64, null=True, blank=True, db_index=True
    )
    device_id = models.CharField(  # noqa: DJ001
        _("identifiant du téléphone"), max_length=64, null=True, blank=True, db_index=True
    )
    paper_scan = models.ForeignKey(
        PaperSheetScan,
        verbose_name=_("scan papier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relevé par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The person as the sheet names them, taken when the row is written and again when
    # they sign: a later rename of the participant never changes a signed (and sealed) line.
    signer_name = models.CharField(_("nom à la signature"), max_length=255, blank=True)
    signer_structure = models.CharField(_("structure à la signature"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("émargement")
        verbose_name_plural = _("émargements")
        ordering = ["slot__starts_at"]
        constraints = [
            # The rule funders rely on: one signature per person and half-day.
            models.UniqueConstraint(
                fields=["enrolment", "slot"], name="attendance_unique_per_enrolment_slot"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["late", "left_early", "late_left_early"])
                | Q(minutes_attended__isnull=False),
                name="attendance_partial_has_minutes",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["late", "late_left_early"], arrived_at__isnull=False)
                | Q(~Q(status__in=["late", "late_left_early"]), arrived_at__isnull=True),
                name="attendance_arrival_iff_late",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["left_early", "late_left_early"], left_at__isnull=False)
                | Q(~Q(status__in=["left_early", "late_left_early"]), left_at__isnull=True),
                name="attendance_departure_iff_left_early",
            ),
        ]

    def __str__(self):
        return f"{self.enrolment.participant} — {self.slot} — {self.get_status_display()}"

    @property
    def is_signed(self) -> bool:
        """Signed by the participant, or keyed in from a scanned paper sheet."""
        return bool(self.signature) or (
            self.method == self.Method.PAPER and self.paper_scan_id is not None
        )


class Seal(models.Model):
    """Closing a half-day seals it: a SHA-256 digest over its records, chained to the
    session's previous seal. `version` says which canonical form the digests were computed
    over (`sessions.sealing`), so seals made before a format change still verify."""

    # 1: records and times only. 2: adds the formation (programme, reference, title), the
    # time zone, arrival and departure times, each signer's name and structure at signing
    # and the scan ticket and phone of a QR code signature.
    CURRENT_VERSION = 2

    slot = models.OneToOneField(
        Slot, verbose_name=_("demi-journée"), on_delete=models.PROTECT, related_name="seal"
    )
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="seals")
    version = models.PositiveSmallIntegerField(_("format"), default=CURRENT_VERSION)
    sequence = models.PositiveIntegerField(_("rang dans la chaîne"))
    previous_digest = models.CharField(_("empreinte précédente"), max_length=64, blank=True)
    digest = models.CharField(_("empreinte"), max_length=64)
    record_digests = models.JSONField(_("empreintes des émargements"), default=dict)
    # The half-day as sealed (its canonical form, hashed into `digest`): verification
    # names what changed since (time zone, times, formation) instead of a bare mismatch.
    sealed_slot = models.JSONField(_("demi-journée scellée"), null=True, blank=True)
    sealed_at = models.DateTimeField(_("scellé le"))
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("scellement")
        verbose_name_plural = _("scellements")
        ordering = ["session", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "sequence"], name="seal_unique_sequence_per_session"
            ),
        ]

    def __str__(self):
        return f"{self.slot} {self.digest[:12]}"


class Rectification(models.Model):
    """A correction to a sealed émargement: append-only, with author, reason and time."""

    attendance = models.ForeignKey(
        Attendance,
        verbose_name=_("émargement"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    old_values = models.JSONField(_("anciennes valeurs"))
    new_values = models.JSONField(_("nouvelles valeurs"))
    reason = models.TextField(_("motif"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("date"))
    previous_digest = models.CharField(_("empreinte précédente"), max_length=64)
    digest = models.CharField(_("empreinte"), max_length=64)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.attendance} ({self.created_at:%d/%m/%Y})"


class AuditRiskAcknowledgement(models.Model):
    """A coordinator's written answer to one audit risk of a formation
    (`sessions.selectors.audit_risks`): the risk stays listed, shown as acknowledged with
    this explanation, and the audit pack carries it. Kept here, beside the detection, so
    that every page of sessions can show it and livrables reads it (never the reverse).

    `risk_key` is the risk's stable key (« late_signature:attendance:42 »): a risk that
    disappears leaves its acknowledgement unused, one that comes back finds it again.
    A new acknowledgement of the same risk replaces the text (logged each time)."""

    formation = models.ForeignKey(
        Formation,
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        related_name="audit_risk_acknowledgements",
    )
    risk_key = models.CharField(_("risque"), max_length=120)
    explanation = models.TextField(_("explication"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("le"))

    class Meta:
        verbose_name = _("explication d'un risque d'audit")
        verbose_name_plural = _("explications des risques d'audit")
        ordering = ["formation", "risk_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["formation", "risk_key"], name="audit_risk_ack_unique_per_formation"
            ),
        ]

    def __str__(self):
        return f"{self.formation} — {self.risk_key}"
