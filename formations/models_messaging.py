"""Consent records and SMS provider events. Imported by `formations.models` (kept apart so
that the base models module stays readable); services and selectors live in
`formations.consent` and `formations.sms`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.models import Participant, Structure, User


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class Purpose(models.TextChoices):
    """Why a message is sent. Service messages need no consent (see `formations.consent`);
    the other purposes are what a person consents to, channel by channel."""

    SERVICE = "service", _("message de service")
    EVALUATION_FOLLOW_UP = "evaluation_follow_up", _("suivi des évaluations")
    NEWS_CAMPAIGNS = "news_campaigns", _("actualités et campagnes")
    # Seed 002 (Alertes): what a person agrees to with ONE structure, recorded with it.
    STRUCTURE_NEWS = "structure_news", _("actualités de la structure")
    # Reminders of their administrative dates the person asked for: a service they
    # requested (sent on that basis), recorded and withdrawn like a consent.
    ADMIN_REMINDERS = "admin_reminders", _("rappels de démarches demandés")


# Purposes agreed to with the programme (no structure on the row).
CONSENT_PURPOSES = (Purpose.EVALUATION_FOLLOW_UP, Purpose.NEWS_CAMPAIGNS)
# Purposes agreed to with one structure (the row names it).
STRUCTURE_PURPOSES = (Purpose.STRUCTURE_NEWS, Purpose.ADMIN_REMINDERS)


class LegalBasis(models.TextChoices):
    """What every outbox row records as the ground for sending it (GDPR art. 6)."""

    SERVICE = "service", _("message de service demandé ou nécessaire")
    CONSENT = "consent", _("consentement de la personne")


class ContactConsent(models.Model):
    """One consent given or withdrawn, for one person, channel and purpose. Append-only:
    a withdrawal is a new row, never an update, so the record proves what the person
    agreed to (the wording's version), when, through whom and how, and when it ended.
    The current state is the latest row by effective date (`formations.consent`)."""

    class Action(models.TextChoices):
        GIVEN = "given", _("accordé")
        WITHDRAWN = "withdrawn", _("retiré")

    class Method(models.TextChoices):
        PAPER = "paper", _("bulletin papier signé")
        WRITTEN = "written", _("demande écrite de la personne (e-mail, courrier)")
        ORAL = "oral", _("accord ou refus oral, noté par l'équipe")
        IMPORT = "import", _("fichier importé (recueilli par la structure)")
        WEB_LINK = "web_link", _("lien personnel envoyé à la personne")
        SMS_STOP = "sms_stop", _("réponse STOP à un SMS")
        MIGRATION = "migration", _("reprise de l'ancienne case « accepte d'être recontacté·e »")
        MERGE = "merge", _("fusion de deux fiches (accord donné pour une autre adresse)")

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant·e"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        _("finalité"),
        max_length=30,
        choices=[(p.value, p.label) for p in (*CONSENT_PURPOSES, *STRUCTURE_PURPOSES)],
    )
    # For `STRUCTURE_PURPOSES`: the structure the person agreed with (a consent to one
    # centre social lets no other centre write to them).
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    wording_version = models.CharField(
        _("version du texte"),
        max_length=80,
        blank=True,
        help_text=_("Le texte accepté par la personne (voir formations.consent.WORDINGS)."),
    )
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    collected_by = models.ForeignKey(
        User,
        verbose_name=_("recueilli par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("comment"), max_length=20, choices=Method.choices)
    note = models.CharField(_("précision"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        ordering = ["participant", "channel", "purpose", "at", "pk"]
        indexes = [models.Index(fields=["participant", "channel", "purpose", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(purpose__in=["structure_news", "admin_reminders"], structure__isnull=False)
                    | (
                        ~Q(purpose__in=["structure_news", "admin_reminders"])
                        & Q(structure__isnull=True)
                    )
                ),
                name="consent_structure_for_structure_purposes",
                violation_error_message=_(
                    "Un accord donné à une structure nomme cette structure, et elle seule."
                ),
            ),
            models.CheckConstraint(
                condition=Q(action="withdrawn") | ~Q(wording_version=""),
                name="consent_given_names_its_wording",
                violation_error_message=_("Un consentement donné indique la version du texte."),
            ),
        ]

    def __str__(self):
        return f"{self.participant} — {self.get_channel_display()} — {self.get_purpose_display()}"


class SmsEvent(models.Model):
    """What an SMS provider reported on its webhook: a delivery receipt for a message it
    sent (by its message id) or a reply from a person. Append-only; a payload received
    twice (providers retry) is stored once."""

    class Status(models.TextChoices):
        SENT = "sent", _("remis à l'opérateur")
        DELIVERED = "delivered", _("délivré")
        FAILED = "failed", _("échec")
        REPLY = "reply", _("réponse reçue")
        UNSUBSCRIBED = "unsubscribed", _("désinscription (STOP)")
        OTHER = "other", _("autre")

    provider = models.CharField(_("fournisseur"), max_length=30)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices)
    provider_status = models.CharField(_("statut du fournisseur"), max_length=40, blank=True)
    message_id = models.CharField(
        _("identifiant chez le fournisseur"), max_length=64, blank=True, db_index=True
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    text = models.TextField(_("texte"), blank=True)
    occurred_at = models.DateTimeField(_("survenu le"), null=True, blank=True)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    payload = models.JSONField(_("données reçues"), default=dict)
    dedupe_key = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("événement SMS")
        verbose_name_plural = _("événements SMS")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.provider} {self.message_id} {self.status}"
