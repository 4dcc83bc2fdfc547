"""The outbox: every e-mail and SMS is a row (`OutboxMessage`) written in the transaction of
the act that causes it, and delivered afterwards by a background task.

Writing: `outbox_enqueue(...)` writes one row in the caller's transaction; unless told not
to, it enqueues its delivery once that transaction commits (`transaction.on_commit`), so a
message of a transaction that rolls back is never sent. A caller writing many messages in
one act passes `deliver=False` and then calls `outbox_deliver_after_commit(messages, job=…)`:
one task delivers them all and advances the job's progress.

Delivering (`deliver_message`, run by `formations.tasks.deliver_messages`):
1. claim: a conditional UPDATE takes a pending, due row whose claim is free or past its
   lease (`claimed_until`), and counts the attempt. On PostgreSQL the candidate is first
   locked with SELECT … FOR UPDATE SKIP LOCKED, so two workers never wait on, nor take,
   the same row; on SQLite every write transaction is serialised (IMMEDIATE), so the
   conditional UPDATE alone decides. Never two workers on one message.
2. checks: a message past `expires_at` is abandoned; `DELIVERY_CHECKS` (the person's
   consent, asked again: a STOP may have arrived since the row was written) may refuse it,
   which abandons it with the reason.
3. hand over: `handovers` is incremented and committed *before* the mailer or SMS
   provider is called, with the message's `uuid` as idempotency key (e-mail: `Message-ID`
   and `X-Idempotency-Key` headers; SMS: the sender's `idempotency_key`).
4. record: sent (with the provider's id), or, if the mailer or provider raised, the error,
   `handovers` taken back and a retry planned (backoff `RETRY_DELAYS`) until
   `SUIVI_OUTBOX_MAX_ATTEMPTS`, then « échec »; at once « échec » when the SMS provider
   says trying again cannot help (`SmsError.retryable` false: an invalid number…).

Consent (`formations.consent`): each purpose says what it is sent on — a service message
(convocation, signing link, password link) or a purpose that needs the person's consent
for the channel (evaluation follow-up, news and campaigns). `outbox_enqueue` asks
`may_contact` for the row's participant (or, for an account, `may_contact_address`) and
records the legal basis, or writes the row as abandoned with the reason.

A worker killed between 3 and 4 leaves the row pending with its claim: once the lease is
past, `run_periodic` takes it back and enqueues it again. The next claim sees
`handovers == 1` and sends once more, with the same key; if that worker dies at the same
point too (`handovers == 2`), the message is not handed over a third time but marked
« échec » saying the provider may have received it. So a killed worker costs at most one
repeat.

Statuses: en attente (also between retries), envoyé (accepted by the mailer or provider),
délivré (the provider reported delivery), échec (with the error; a coordinator may retry
it by hand from the outbox page), abandonné (never sent and no longer to be sent: refused
for lack of consent, expired, or withdrawn).
"""

import base64
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations import sms
from formations.audit import log_action
from formations.consent import ContactDecision, may_contact, may_contact_address
from formations.jobs import job_advance, job_finish
from formations.models import (
    STRUCTURE_PURPOSES,
    BackgroundJob,
    OutboxMessage,
    Participant,
    SmsEvent,
)
from formations.models import Purpose as ContactPurpose
from formations.permissions import can_manage, works_in_alertes

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status

# After the n-th failed attempt, wait RETRY_DELAYS[n-1] (the last one repeats). With
# `run_periodic` every five minutes, the retries leave within five minutes of these.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
# A message handed over this many times without a recorded outcome is not sent again.
MAX_HANDOVERS = 2


def max_attempts() -> int:
    return int(getattr(settings, "SUIVI_OUTBOX_MAX_ATTEMPTS", 5))


def lease() -> timedelta:
    """How long a claim holds. Longer than the slowest send (the SMTP timeout)."""
    return timedelta(seconds=int(getattr(settings, "SUIVI_OUTBOX_LEASE_SECONDS", 600)))


class OutboxError(Exception):
    """A refused outbox action. Codes: ``forbidden``, ``not_retryable``."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --------------------------------------------------------------------------- purposes


@dataclass(frozen=True)
class MessagePurpose:
    label: str
    # Its body holds a secret meant for the recipient alone (a password link): outside the
    # demo, the outbox page shows its status but not its text.
    confidential: bool = False
    # What it is sent on (`formations.models.Purpose`): a service message the person needs
    # or asked for, or a purpose that needs their consent for the channel.
    contact_purpose: str = ContactPurpose.SERVICE


# What a message is about, as the outbox page names it. Later issues add theirs.
PURPOSES: dict[str, MessagePurpose] = {
    "convocation": MessagePurpose(gettext_lazy("Convocation")),
    "remote_link": MessagePurpose(gettext_lazy("Lien d'émargement à distance")),
    "password_link": MessagePurpose(gettext_lazy("Lien de mot de passe"), confidential=True),
    # A participant's one-time link to their own space (formations.space): they asked.
    "space_link": MessagePurpose(
        gettext_lazy("Lien de connexion"),
        confidential=True,
        contact_purpose=ContactPurpose.SERVICE,
    ),
    # To the OLD address or number of a participant whose contact details were changed
    # (formations.contact_notice): a security notice about their own record, like a
    # « password changed » notice, not programme news: a service message, no consent asked.
    "contact_changed": MessagePurpose(
        gettext_lazy("Coordonnées modifiées"),
        contact_purpose=ContactPurpose.SERVICE,
    ),
}


def purpose_label(code: str) -> str:
    purpose = PURPOSES.get(code)
    return str(purpose.label) if purpose else code


def is_confidential(message: OutboxMessage) -> bool:
    purpose = PURPOSES.get(message.purpose)
    return bool(purpose and purpose.confidential)


def contact_purpose(code: str) -> str:
    purpose = PURPOSES.get(code)
    return purpose.contact_purpose if purpose else ContactPurpose.SERVICE


def contact_decision(
    *, channel: str, purpose: str, recipient: str, participant: Participant | None, structure=None
) -> ContactDecision:
    """May this message go? The participant's consents when the row names one (exact even
    when a phone is shared), else what the address allows (an account's e-mail). For a
    structure's purpose (Alertes), what the person agreed to with that `structure`."""
    wanted = contact_purpose(purpose)
    if participant is not None:
        # The row's address, not the participant's current one, is what would be used.
        person = Participant(pk=participant.pk, email=recipient, phone=recipient)
        if wanted in STRUCTURE_PURPOSES:
            return may_contact(person, channel, wanted, structure=structure)
        return may_contact(person, channel, wanted)
    return may_contact_address(channel, recipient, wanted)


def consent_refusal(message: OutboxMessage) -> str | None:
    """The consent check at delivery: a withdrawal (a STOP) since the row was written
    stops the message."""
    decision = contact_decision(
        channel=message.channel,
        purpose=message.purpose,
        recipient=message.recipient,
        participant=message.participant,
        structure=message.structure,
    )
    if decision.allowed:
        return None
    return _("Refusé à l'envoi : %(reason)s.") % {"reason": decision.label}


# Called before each handover with the message; a non-empty string refuses it (the
# message is abandoned with that reason).
DELIVERY_CHECKS: list[Callable[[OutboxMessage], str | None]] = [consent_refusal]


# --------------------------------------------------------------------------- writing


@dataclass
class Queued:
    """What an act put in the outbox."""

    messages: list[OutboxMessage] = field(default_factory=list)
    job: BackgroundJob | None = None

    @property
    def count(self) -> int:
        return len(self.messages)


def _encode_attachments(attachments) -> list[dict]:
    encoded = []
    for filename, content, mimetype in attachments:
        if isinstance(content, str):
            content = content.encode()
        encoded.append(
            {
                "filename": filename,
                "mimetype": mimetype,
                "content": base64.b64encode(content).decode(),
            }
        )
    return encoded


def decoded_attachments(message: OutboxMessage) -> list[tuple[str, bytes, str]]:
    return [
        (
            item.get("filename") or f"piece-jointe-{index + 1}",
            base64.b64decode(item.get("content", "")),
            item.get("mimetype") or "application/octet-stream",
        )
        for index, item in enumerate(message.attachments or [])
    ]


def outbox_build(
    *,
    purpose: str,
    recipient: str,
    body: str,
    channel: str = OutboxMessage.Channel.EMAIL,
    subject: str = "",
    html_body: str = "",
    attachments: Iterable[tuple[str, bytes | str, str]] = (),
    headers: dict | None = None,
    about: models.Model | None = None,
    participant: Participant | None = None,
    structure=None,
    requested_by=None,
    recipient_name: str = "",
    expires_at=None,
    job: BackgroundJob | None = None,
    deliver: bool = True,
    decision: ContactDecision | None = None,
    now=None,
) -> OutboxMessage:
    """The row `outbox_enqueue` writes, unsaved: the legal basis it is sent on, or
    abandoned with the reason when the person may not receive it. ``decision``: the
    consent decision already taken for this participant, channel and purpose (a caller
    writing many rows asks `may_contact_many` once); by default it is asked here."""
    now = now or timezone.now()
    recipient = recipient.strip()
    if decision is None:
        decision = contact_decision(
            channel=channel,
            purpose=purpose,
            recipient=recipient,
            participant=participant,
            structure=structure,
        )
    refused_reason = "" if decision.allowed else str(decision.label)
    message = OutboxMessage(
        channel=channel,
        purpose=purpose,
        legal_basis=decision.legal_basis or _refused_basis(purpose),
        participant=participant,
        structure=structure,
        recipient=recipient,
        recipient_name=recipient_name[:300],
        from_email=settings.DEFAULT_FROM_EMAIL if channel == OutboxMessage.Channel.EMAIL else "",
        subject=" ".join(subject.split())[:255],
        body=body,
        html_body=html_body,
        attachments=_encode_attachments(attachments),
        headers=dict(headers or {}),
        about_type=about._meta.label_lower if about is not None else "",
        about_id=str(about.pk) if about is not None else "",
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        expires_at=expires_at,
        job=job,
        next_attempt_at=now,
    )
    if refused_reason:
        message.status = Status.ABANDONED
        message.refused_reason = (_("Refusé : %(reason)s.") % {"reason": refused_reason})[:300]
        message.finished_at = now
        message.next_attempt_at = None
    elif deliver:
        message.queued_at = now
    return message


@transaction.atomic
def outbox_enqueue(*, deliver: bool = True, **fields) -> OutboxMessage:
    """Writes one message in the caller's transaction and, with ``deliver``, enqueues its
    delivery once that transaction has committed.

    ``participant``: the person it goes to, whose consents decide (see `contact_decision`);
    the row records the legal basis it is sent on. A message the person may not receive
    (no consent for the channel and purpose, consent withdrawn, no usable address) is
    written as abandoned with the reason, and never sent. ``structure``: the structure
    it is sent for (an Alertes message), whose consents decide for its purposes. The
    other arguments are `outbox_build`'s."""
    message = outbox_build(deliver=deliver, **fields)
    message.save()
    if deliver and message.status == Status.PENDING:
        outbox_deliver_after_commit([message])
    return message


def outbox_write_many(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Writes rows built by `outbox_build(..., deliver=False)` in one statement (their
    pks are set: PostgreSQL and SQLite return them). The caller then calls
    `outbox_deliver_after_commit` with the pending ones."""
    return OutboxMessage.objects.bulk_create(messages, batch_size=500)


def _refused_basis(purpose: str) -> str:
    """The basis a refused row would have been sent on, for the outbox page's filters."""
    if contact_purpose(purpose) == ContactPurpose.SERVICE:
        return OutboxMessage.LegalBasis.SERVICE
    return OutboxMessage.LegalBasis.CONSENT


def outbox_deliver_after_commit(messages: list[OutboxMessage], *, job=None) -> None:
    """Enqueues one delivery task for ``messages`` once the current transaction commits
    (at once outside a transaction)."""
    ids = [m.pk for m in messages if m.status == Status.PENDING]
    refused = len(messages) - len(ids)
    if job is not None and refused:
        # Refused when written: processed (and failed) for the job's progress now.
        transaction.on_commit(
            lambda: job_advance(job_id=job.pk, done=refused, failed=refused), robust=True
        )
    if job is not None and job.total == 0:
        transaction.on_commit(lambda: job_finish(job_id=job.pk), robust=True)
    if not ids:
        return
    OutboxMessage.objects.filter(pk__in=ids, queued_at__isnull=True).update(
        queued_at=timezone.now()
    )
    job_id = str(job.pk) if job is not None else None
    # Robust: the act has committed; if the task queue cannot be reached now, the
    # messages are written and `run_periodic` enqueues them once their lease has passed.
    transaction.on_commit(lambda: enqueue_delivery(ids, job_id=job_id), robust=True)


def enqueue_delivery(message_ids: list[int], *, job_id: str | None = None) -> None:
    """Hands the ids to the task queue, by chunks (a task's arguments stay small)."""
    from formations.tasks import deliver_messages

    for start in range(0, len(message_ids), 100):
        deliver_messages.enqueue(message_ids[start : start + 100], job_id=job_id)


# --------------------------------------------------------------------------- claiming


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def _claimable(now):
    return OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=Status.PENDING,
        next_attempt_at__lte=now,
    )


def claim_message(*, worker: str, message_ids: Iterable[int] | None = None):
    """Takes one due message (among ``message_ids`` if given) for ``worker`` and counts the
    attempt; returns it, or None when there is nothing to take."""
    now = timezone.now()
    with transaction.atomic():
        candidates = _claimable(now)
        if message_ids is not None:
            candidates = candidates.filter(pk__in=list(message_ids))
        if connection.features.has_select_for_update_skip_locked:
            # Rows another worker is claiming right now are skipped, not waited for.
            candidates = candidates.select_for_update(skip_locked=True)
        pk = candidates.order_by("next_attempt_at", "pk").values_list("pk", flat=True).first()
        if pk is None:
            return None
        # The guard that holds on every database: only a still-claimable row is updated.
        taken = (
            _claimable(now)
            .filter(pk=pk)
            .update(
                claimed_by=worker,
                claimed_until=now + lease(),
                attempts=F("attempts") + 1,
            )
        )
        if not taken:
            return None
    return OutboxMessage.objects.get(pk=pk)


def release_expired_claims() -> int:
    """Frees the claims of messages whose worker did not finish within the lease (killed,
    or its machine stopped). Run by `run_periodic`; returns how many."""
    now = timezone.now()
    return OutboxMessage.objects.filter(status=Status.PENDING, claimed_until__lt=now).update(
        claimed_by="",
        claimed_until=None,
        queued_at=None,
        last_error=_("Reprise : le traitement précédent ne s'est pas terminé."),
    )


def due_message_ids(*, limit: int = 10_000) -> list[int]:
    """Pending messages that are due, not claimed, and not handed to the queue within the
    last lease (a task for them is probably still waiting for a worker)."""
    now = timezone.now()
    return list(
        _claimable(now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - lease()))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def enqueue_due_messages() -> dict:
    """The periodic job: takes back expired claims, then enqueues what is due (new
    messages whose task was lost, retries whose delay has passed)."""
    released = release_expired_claims()
    ids = due_message_ids()
    if ids:
        OutboxMessage.objects.filter(pk__in=ids).update(queued_at=timezone.now())
        enqueue_delivery(ids)
    return {"released": released, "enqueued": len(ids)}


# --------------------------------------------------------------------------- delivering


class DeliveryError(Exception):
    """The mailer or provider refused the message (raised by the senders below)."""


def _message_domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)
    if len(address) == 2 and address[1].strip(">"):
        return address[1].strip(">")
    return urlsplit(settings.SUIVI_BASE_URL).hostname or "localhost"


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The e-mail for a row. Its Message-ID and X-Idempotency-Key come from the row's uuid,
    so a repeat after a crash carries the same ones."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={
            **(message.headers or {}),
            "Message-ID": f"<{message.uuid}@{_message_domain()}>",
            "X-Idempotency-Key": message.idempotency_key,
        },
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    for filename, content, mimetype in decoded_attachments(message):
        email.attach(filename, content, mimetype)
    return email


def send_email(message: OutboxMessage) -> str:
    """Hands an e-mail to Django's default mailer; returns its Message-ID."""
    email = build_email(message)
    with mailers.default as mailer:
        accepted = mailer.send_messages([email])
    if not accepted:
        raise DeliveryError(_("Le serveur de messagerie n'a pas accepté le message."))
    return email.extra_headers["Message-ID"]


def send_sms(message: OutboxMessage) -> str:
    """Hands an SMS to the configured backend (`SMS_BACKEND`); returns the provider's
    message id. News and campaigns go as marketing messages (opt-out mention)."""
    return sms.send_sms(
        to=message.recipient,
        body=message.body,
        idempotency_key=message.idempotency_key,
        # A structure's news (Alertes campaigns) is marketing too: French rules ask for the
        # opt-out mention on it as on the programme's news.
        marketing=contact_purpose(message.purpose)
        in (ContactPurpose.NEWS_CAMPAIGNS, ContactPurpose.STRUCTURE_NEWS),
    )


SENDERS: dict[str, Callable[[OutboxMessage], str]] = {
    OutboxMessage.Channel.EMAIL: send_email,
    OutboxMessage.Channel.SMS: send_sms,
}


def _finish(message: OutboxMessage, *, worker: str, **fields) -> bool:
    """Records the outcome, if ``worker`` still holds the claim: a worker whose lease
    ran out (and whose message another worker took) must not overwrite what the other
    records. Returns whether it did."""
    now = timezone.now()
    fields.setdefault("finished_at", now)
    return bool(
        OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
            claimed_by="", claimed_until=None, next_attempt_at=None, **fields
        )
    )


def _error_text(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__} : {text}"[:2000]


def deliver_message(message: OutboxMessage, *, worker: str) -> str | None:
    """Delivers a message ``worker`` has claimed (`claim_message`) and records the outcome.
    Returns the new status. Must not run inside a transaction: the handover is committed
    before the mailer or provider is called."""
    now = timezone.now()
    if message.expires_at is not None and message.expires_at <= now:
        _finish(
            message,
            worker=worker,
            status=Status.ABANDONED,
            refused_reason=_("Pas envoyé à temps : le message n'avait plus d'objet."),
        )
        return Status.ABANDONED
    for check in DELIVERY_CHECKS:
        reason = check(message)
        if reason:
            _finish(
                message, worker=worker, status=Status.ABANDONED, refused_reason=str(reason)[:300]
            )
            return Status.ABANDONED
    if message.handovers >= MAX_HANDOVERS:
        _finish(
            message,
            worker=worker,
            status=Status.FAILED,
            last_error=_(
                "Remis %(count)s fois au fournisseur sans que l'envoi ait pu être enregistré "
                "(traitement interrompu) : pas de nouvel essai automatique. Le destinataire "
                "l'a peut-être reçu ; vérifiez avant de le relancer."
            )
            % {"count": message.handovers},
        )
        return Status.FAILED

    # Recorded before the handover, in its own committed write: if this worker dies
    # while the provider holds the message, the next one knows it may have gone.
    still_ours = OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
        handovers=F("handovers") + 1
    )
    if not still_ours:
        # This worker took longer than its lease and another one has the message now:
        # sending as well would be the double the claims exist to prevent.
        logger.warning("outbox message %s: claim lost before handover by %s", message.pk, worker)
        return None
    try:
        provider_id = SENDERS[message.channel](message)
    except Exception as exc:  # the mailer's or provider's refusal, whatever its type
        return _record_failure(message, exc, worker=worker)
    return _record_sent(message, provider_id, worker=worker)


def _record_sent(message: OutboxMessage, provider_id: str, *, worker: str) -> str:
    now = timezone.now()
    _finish(
        message,
        worker=worker,
        status=Status.SENT,
        sent_at=now,
        provider_message_id=(provider_id or "")[:255],
        last_error="",
    )
    if provider_id:
        _apply_early_receipt(provider_id)
    return Status.SENT


def _apply_early_receipt(provider_id: str) -> None:
    """A provider may report delivery before the worker has recorded the message as sent
    (the webhook then found no « envoyé » row to update): apply what it reported."""
    receipt = (
        SmsEvent.objects.filter(
            message_id=provider_id,
            status__in=[SmsEvent.Status.DELIVERED, SmsEvent.Status.FAILED],
        )
        .order_by("-received_at", "-pk")
        .first()
    )
    if receipt is None:
        return
    if receipt.status == SmsEvent.Status.DELIVERED:
        outbox_mark_delivered(provider_message_id=provider_id, delivered_at=receipt.occurred_at)
    else:
        outbox_mark_undelivered(
            provider_message_id=provider_id,
            error=receipt.provider_status or str(SmsEvent.Status.FAILED.label),
        )


def _record_failure(message: OutboxMessage, exc: Exception, *, worker: str) -> str:
    error = _error_text(exc)
    logger.warning("outbox message %s, attempt %s: %s", message.pk, message.attempts, error)
    attempts = message.attempts  # counted by the claim
    if attempts >= max_attempts() or getattr(exc, "retryable", True) is False:
        _finish(
            message,
            worker=worker,
            status=Status.FAILED,
            last_error=error,
            handovers=F("handovers") - 1,
        )
        return Status.FAILED
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    OutboxMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
        claimed_by="",
        claimed_until=None,
        queued_at=None,
        next_attempt_at=timezone.now() + delay,
        last_error=error,
        # The provider said no: this handover did not deliver anything.
        handovers=F("handovers") - 1,
    )
    return Status.PENDING


def deliver_pending(*, message_ids: Iterable[int], worker: str | None = None, on_each=None):
    """Claims and delivers each of ``message_ids`` that is still due; ``on_each(status)``
    is called after each (the task advances its job with it). Returns the statuses by id."""
    worker = worker or new_worker_id()
    outcomes = {}
    for message_id in message_ids:
        message = claim_message(worker=worker, message_ids=[message_id])
        if message is None:
            # Sent, taken by another worker, or waiting for a retry: not this task's.
            outcomes[message_id] = None
        else:
            outcomes[message_id] = deliver_message(message, worker=worker)
        if on_each is not None:
            on_each(outcomes[message_id])
    return outcomes


# --------------------------------------------------------------------------- reading


def latest_messages_about(*, objects, purpose: str) -> dict:
    """The newest message of ``purpose`` about each of ``objects`` (one query), by pk:
    a page shows its delivery status beside the object."""
    objects = list(objects)
    if not objects:
        return {}
    about_type = objects[0]._meta.label_lower
    latest = {}
    rows = (
        OutboxMessage.objects.filter(
            purpose=purpose, about_type=about_type, about_id__in=[str(o.pk) for o in objects]
        )
        .only("pk", "about_id", "status", "sent_at", "created_at", "last_error", "channel")
        .order_by("created_at", "pk")
    )
    for message in rows:
        latest[int(message.about_id)] = message
    return latest


# --------------------------------------------------------------------------- coordinators


def outbox_messages_visible_to(*, user):
    """Every message for coordinators; for a structure's administrator or staff, the
    messages sent for their structure (its campaigns and reminders); none for anyone else."""
    messages = OutboxMessage.objects.select_related("requested_by")
    if can_manage(user):
        return messages
    if works_in_alertes(user):
        return messages.filter(structure_id=user.structure_id)
    return OutboxMessage.objects.none()


@transaction.atomic
def outbox_retry(*, message: OutboxMessage, actor) -> OutboxMessage:
    """A coordinator sends again a message in « échec »: it goes back to « en attente »
    with a fresh count of attempts and handovers (the coordinator has checked it did not
    arrive). Anything else, or a message past its `expires_at`, is ``not_retryable``.
    Audit action ``outbox.retried``."""
    if not can_manage(actor):
        raise OutboxError(_("Seule la coordination peut relancer un envoi."), code="forbidden")
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    expired = message.expires_at is not None and message.expires_at <= timezone.now()
    if message.status != Status.FAILED or expired:
        raise OutboxError(
            _("Ce message ne peut pas être relancé (%(status)s).")
            % {"status": message.get_status_display().lower()},
            code="not_retryable",
        )
    previous = message.status
    message.status = Status.PENDING
    message.attempts = 0
    message.handovers = 0
    message.next_attempt_at = timezone.now()
    message.finished_at = None
    message.refused_reason = ""
    message.queued_at = timezone.now()
    message.save(
        update_fields=[
            "status",
            "attempts",
            "handovers",
            "next_attempt_at",
            "finished_at",
            "refused_reason",
            "queued_at",
        ]
    )
    log_action(
        actor=actor,
        action="outbox.retried",
        obj=message,
        summary=_("Envoi relancé : %(subject)s à %(recipient)s")
        % {
            "subject": message.subject or purpose_label(message.purpose),
            "recipient": message.recipient,
        },
        data={"previous_status": previous, "last_error": message.last_error[:500]},
    )
    outbox_deliver_after_commit([message])
    return message


def outbox_mark_delivered(*, provider_message_id: str, delivered_at=None) -> int:
    """Records a provider's delivery report (a webhook calls it): « envoyé » becomes
    « délivré ». Returns how many rows changed (0 for an unknown id)."""
    if not provider_message_id:
        return 0
    return OutboxMessage.objects.filter(
        provider_message_id=provider_message_id, status=Status.SENT
    ).update(status=Status.DELIVERED, delivered_at=delivered_at or timezone.now())


def outbox_mark_undelivered(*, provider_message_id: str, error: str) -> int:
    """Records a provider's report that a message it accepted never reached the phone
    (unknown or unreachable number): « envoyé » becomes « échec » with the report."""
    if not provider_message_id:
        return 0
    return OutboxMessage.objects.filter(
        provider_message_id=provider_message_id, status__in=[Status.SENT, Status.DELIVERED]
    ).update(
        status=Status.FAILED,
        last_error=(_("Non délivré selon le fournisseur : %(error)s") % {"error": error})[:2000],
        finished_at=timezone.now(),
    )
