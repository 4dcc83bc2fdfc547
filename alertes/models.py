"""Seed 002's « Alertes »: a member's administrative dates with their reminders, and the
structure's campaigns (a scheduled message to groups or chosen members). The members and
groups themselves are the registry's (`formations.models_members`); every message is an
outbox row (`formations.outbox`), sent for the structure (`OutboxMessage.structure`).

Idempotence is in the schema: a step's occurrence is reminded at most once on a channel
(`StepReminder`), a campaign writes at most one message per member and channel
(`CampaignRecipient`), so `run_periodic` may run as often as it likes."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from formations.models import MemberGroup, Membership, OutboxMessage, Structure


class AdministrativeStep(models.Model):
    """A dated step of a member's administrative life (actualisation France Travail,
    rendez-vous CAF, renouvellement de titre de séjour, a child's activity…), one-off or
    recurring, with the reminder the member asked for."""

    class Recurrence(models.TextChoices):
        ONCE = "once", _("Une seule fois")
        MONTHLY = "monthly", _("Tous les mois")
        YEARLY = "yearly", _("Tous les ans")

    class Category(models.TextChoices):
        EMPLOYMENT = "employment", _("Emploi (France Travail)")
        BENEFITS = "benefits", _("Prestations (CAF, MSA)")
        HEALTH = "health", _("Santé (CPAM, complémentaire)")
        RESIDENCE = "residence", _("Titre de séjour, identité")
        HOUSING = "housing", _("Logement")
        CHILD = "child", _("Enfant, scolarité, loisirs")
        TAX = "tax", _("Impôts")
        OTHER = "other", _("Autre démarche")

    membership = models.ForeignKey(
        Membership,
        verbose_name=_("adhérent·e"),
        on_delete=models.CASCADE,
        related_name="administrative_steps",
    )
    title = models.CharField(_("démarche"), max_length=200)
    category = models.CharField(
        _("catégorie"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    # The first (or only) date; a recurring step falls on the same day of each month or
    # year (the 31st is the month's last day in shorter months).
    due_on = models.DateField(_("date"))
    recurrence = models.CharField(
        _("répétition"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    # A recurring step stops after this date (a title valid until its renewal).
    until = models.DateField(_("jusqu'au"), null=True, blank=True)
    followed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suivi par"),
        on_delete=models.PROTECT,
        related_name="followed_steps",
    )
    remind_days_before = models.PositiveSmallIntegerField(
        _("rappel (jours avant)"), default=3, validators=[MaxValueValidator(60)]
    )
    remind_by_sms = models.BooleanField(_("rappel par SMS"), default=False)
    remind_by_email = models.BooleanField(_("rappel par e-mail"), default=False)
    note = models.CharField(_("précision"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Stopped (done for good, no longer needed): kept, reminds nothing more.
    ended_at = models.DateTimeField(_("arrêtée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("démarche administrative")
        verbose_name_plural = _("démarches administratives")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("due_on")),
                name="step_until_after_first_date",
                violation_error_message=_("La fin de la répétition précède la première date."),
            ),
        ]

    def __str__(self):
        return self.title


class StepReminder(models.Model):
    """One reminder of one occurrence of a step on one channel: the unique constraint is
    what makes the reminders idempotent (a monthly step is reminded once a month however
    often `run_periodic` runs)."""

    step = models.ForeignKey(
        AdministrativeStep,
        verbose_name=_("démarche"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    occurrence = models.DateField(_("échéance rappelée"))
    channel = models.CharField(_("canal"), max_length=10, choices=OutboxMessage.Channel.choices)
    message = models.OneToOneField(
        OutboxMessage,
        verbose_name=_("message"),
        on_delete=models.PROTECT,
        related_name="step_reminder",
    )
    created_at = models.DateTimeField(_("écrit le"), auto_now_add=True)

    class Meta:
        verbose_name = _("rappel de démarche")
        verbose_name_plural = _("rappels de démarches")
        ordering = ["-occurrence", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "occurrence", "channel"], name="step_reminded_once_per_occurrence"
            ),
        ]

    def __str__(self):
        return f"{self.step} — {self.occurrence:%d/%m/%Y} ({self.get_channel_display()})"


class AlertCampaign(models.Model):
    """A message a structure schedules to some of its groups or chosen members, by SMS
    and/or e-mail. Never to « everyone »: seed 002 asks for a tool that accompanies, not
    one that mass-mails every member."""

    class Category(models.TextChoices):
        NEWS = "news", _("Actualité de la structure")
        EVENT = "event", _("Événement, sortie")
        WORKSHOP = "workshop", _("Atelier, activité")
        CHILDHOOD = "childhood", _("Enfance, jeunesse")
        RIGHTS = "rights", _("Accès aux droits")
        EMPLOYMENT = "employment", _("Emploi, insertion")
        PRACTICAL = "practical", _("Information pratique")
        OTHER = "other", _("Autre")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Programmée")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyée")
        CANCELLED = "cancelled", _("Annulée")
        # Sending raised: nothing was written; not retried by the periodic job.
        FAILED = "failed", _("Échec d'envoi")

    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="alert_campaigns",
    )
    title = models.CharField(_("titre de la campagne"), max_length=200)
    category = models.CharField(
        _("catégorie"), max_length=20, choices=Category.choices, default=Category.NEWS
    )
    # The text, with « {prénom} » where the member's first name goes.
    body = models.TextField(_("message"), max_length=2000)
    email_subject = models.CharField(_("objet de l'e-mail"), max_length=200, blank=True)
    send_sms = models.BooleanField(_("par SMS"), default=False)
    send_email = models.BooleanField(_("par e-mail"), default=False)
    groups = models.ManyToManyField(
        MemberGroup, verbose_name=_("groupes"), related_name="alert_campaigns", blank=True
    )
    members = models.ManyToManyField(
        Membership,
        verbose_name=_("adhérent·es choisi·es"),
        related_name="chosen_in_campaigns",
        blank=True,
    )
    scheduled_at = models.DateTimeField(_("envoi programmé le"), db_index=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # « Réutiliser »: the sent campaign this one copies.
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("copie de"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
    )
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    # Why sending failed (status « échec d'envoi »), for the campaign's page.
    failure_reason = models.TextField(_("motif de l'échec d'envoi"), blank=True)
    failed_at = models.DateTimeField(_("échec d'envoi le"), null=True, blank=True)
    # The form's one-time token: the same form posted twice creates one campaign (the
    # unique constraint, on non-empty tokens, is the guard).
    form_token = models.CharField(_("jeton du formulaire"), max_length=64, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("annulée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["-scheduled_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scheduled_at"], condition=Q(status="scheduled"), name="campaign_due_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["form_token"],
                condition=~Q(form_token=""),
                name="campaign_form_token_unique",
            ),
            models.CheckConstraint(
                condition=Q(send_sms=True) | Q(send_email=True),
                name="campaign_has_a_channel",
                violation_error_message=_("Choisissez au moins un canal : SMS ou e-mail."),
            ),
        ]

    def __str__(self):
        return self.title


class CampaignRecipient(models.Model):
    """One member × channel of a sent campaign: the outbox message written for them, or
    why none was (no consent on that channel, no address…). Written once, when the
    campaign is sent; the groups the member was in then are kept for the statistics."""

    campaign = models.ForeignKey(
        AlertCampaign,
        verbose_name=_("campagne"),
        on_delete=models.CASCADE,
        related_name="recipients",
    )
    membership = models.ForeignKey(
        Membership,
        verbose_name=_("adhérent·e"),
        on_delete=models.CASCADE,
        related_name="campaign_receipts",
    )
    channel = models.CharField(_("canal"), max_length=10, choices=OutboxMessage.Channel.choices)
    message = models.OneToOneField(
        OutboxMessage,
        verbose_name=_("message"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaign_recipient",
    )
    groups = models.ManyToManyField(
        MemberGroup,
        verbose_name=_("groupes au moment de l'envoi"),
        related_name="sent_receipts",
        blank=True,
    )
    skipped_reason = models.CharField(_("non envoyé : motif"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("destinataire de campagne")
        verbose_name_plural = _("destinataires de campagnes")
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "membership", "channel"],
                name="campaign_once_per_member_and_channel",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} → {self.membership.participant} ({self.get_channel_display()})"
