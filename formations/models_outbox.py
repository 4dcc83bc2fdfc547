"""The outbox (every e-mail and SMS, as a row), background jobs' progress, and the record
of `run_periodic` runs. Services are in `formations/outbox.py`, `formations/jobs.py` and
`formations/periodic.py`; `formations/models.py` re-exports these models."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One message to one recipient, written in the transaction of the act that causes it
    and delivered afterwards by a background task (`formations.tasks.deliver_messages`).

    The delivery state lives here, not in the task queue: a worker claims the row for a
    lease (`claimed_by`, `claimed_until`), records that it hands the message over
    (`handovers`) before calling the mailer or the SMS provider, then records the
    outcome. See `formations/outbox.py` for the rules."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Envoyé")
        DELIVERED = "delivered", _("Délivré")
        FAILED = "failed", _("Échec")
        ABANDONED = "abandoned", _("Abandonné")

    class LegalBasis(models.TextChoices):
        # A message the person needs or asked for (convocation, signing link, sign-in link).
        SERVICE = "service", _("Service demandé ou nécessaire")
        # News, campaigns, optional reminders: only with the person's consent for the channel.
        CONSENT = "consent", _("Consentement")

    # The idempotency key: the same on every attempt, given to the provider.
    uuid = models.UUIDField(_("clé d'idempotence"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(
        _("canal"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    purpose = models.CharField(_("motif"), max_length=40, db_index=True)
    legal_basis = models.CharField(
        _("base légale"), max_length=10, choices=LegalBasis.choices, default=LegalBasis.SERVICE
    )
    recipient = models.CharField(_("destinataire"), max_length=254)
    recipient_name = models.CharField(_("nom du destinataire"), max_length=300, blank=True)
    from_email = models.CharField(_("expéditeur"), max_length=254, blank=True)
    subject = models.CharField(_("objet"), max_length=255, blank=True)
    body = models.TextField(_("message"))
    html_body = models.TextField(_("message HTML"), blank=True)
    # [{"filename", "mimetype", "content" (base64)}]: small files only (an .ics).
    attachments = models.JSONField(_("pièces jointes"), default=list, blank=True)
    # Extra e-mail headers ({"List-Unsubscribe": "<https://…>", …}): a campaign e-mail's
    # one-click unsubscribe (RFC 8058). Never Message-ID nor X-Idempotency-Key (the row's).
    headers = models.JSONField(_("en-têtes de l'e-mail"), default=dict, blank=True)
    # What the message is about (as in the audit journal: "training_sessions.enrolment", "12").
    about_type = models.CharField(_("à propos de (type)"), max_length=80, blank=True)
    about_id = models.CharField(_("à propos de (identifiant)"), max_length=40, blank=True)
    # The person it goes to, whose consents are asked when the row is written and again
    # before each handover; empty for a message to an account (a password link).
    participant = models.ForeignKey(
        "formations.Participant",
        verbose_name=_("participant·e"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    # The structure it is sent for (an Alertes campaign or reminder): whose consents are
    # asked, whose team sees it, whose statistics count it. Empty for the programme's own.
    structure = models.ForeignKey(
        "formations.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    job = models.ForeignKey(
        "formations.BackgroundJob",
        verbose_name=_("tâche"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)
    # Not sent after this moment (a signing link once its half-day is closed): abandoned.
    expires_at = models.DateTimeField(_("à envoyer avant"), null=True, blank=True)

    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    queued_at = models.DateTimeField(_("confié au worker le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("essais"), default=0)
    claimed_by = models.CharField(_("pris par"), max_length=100, blank=True)
    claimed_until = models.DateTimeField(_("pris jusqu'à"), null=True, blank=True)
    # Times the message was handed to the mailer or provider without a definite refusal.
    handovers = models.PositiveIntegerField(_("remises au fournisseur"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    refused_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)
    provider_message_id = models.CharField(
        _("identifiant chez le fournisseur"), max_length=255, blank=True, db_index=True
    )
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("délivré le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message de la file d'envoi")
        verbose_name_plural = _("file d'envoi")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What run_periodic and the workers look for.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_due_idx",
            ),
            models.Index(fields=["about_type", "about_id"], name="outbox_about_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient} : {self.subject or self.purpose}"

    @property
    def idempotency_key(self) -> str:
        return str(self.uuid)


class BackgroundJob(models.Model):
    """A long job's progress, which its page polls (`formations:job_progress`): how many
    of `total` items are done, how many failed, and whether it has finished."""

    class Status(models.TextChoices):
        RUNNING = "running", _("En cours")
        FINISHED = "finished", _("Terminée")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type"), max_length=60)
    label = models.CharField(_("libellé"), max_length=300)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("faits"), default=0)
    failed = models.PositiveIntegerField(_("en échec"), default=0)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lancée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lancée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    # What the job works on, e.g. « certificates:formation:12 »: a second start on the same
    # scope while one runs finds it instead of doing the work twice. Empty: no such check.
    scope = models.CharField(_("portée"), max_length=100, blank=True, db_index=True)
    # Where its result is fetched once finished (a ZIP of the documents issued, …): the
    # progress box shows the link. Empty: the job has no result to download.
    result_url = models.CharField(_("adresse du résultat"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("tâche de fond")
        verbose_name_plural = _("tâches de fond")
        ordering = ["-created_at"]

    def __str__(self):
        return self.label


class PeriodicRun(models.Model):
    """One run of one periodic job for one time slot: the unique constraint is what makes
    `run_periodic` idempotent (a second run in the same slot cannot insert its row)."""

    name = models.CharField(_("tâche"), max_length=80)
    slot = models.DateTimeField(_("créneau"))
    started_at = models.DateTimeField(_("commencé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    result = models.JSONField(_("résultat"), default=dict, blank=True)

    class Meta:
        verbose_name = _("passage périodique")
        verbose_name_plural = _("passages périodiques")
        ordering = ["-slot", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once_per_slot")
        ]

    def __str__(self):
        return f"{self.name} {self.slot:%Y-%m-%d %H:%M}"
