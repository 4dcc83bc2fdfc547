"""Handing one SMS for a participant to the configured backend, consent checked at the
last moment: a STOP may have arrived since the message was written."""

from __future__ import annotations

from dataclasses import dataclass

from formations.consent import may_contact
from formations.models import Channel, Participant, Purpose
from formations.sms.base import SmsMessage, get_connection


@dataclass(frozen=True)
class Delivery:
    """What happened: `sent` with the provider's id, or refused with the `reason` code
    (`formations.consent.Reason`) the outbox records on its row."""

    sent: bool
    reason: str
    legal_basis: str | None
    provider_id: str = ""


def deliver_sms(
    *,
    participant: Participant,
    body: str,
    purpose: str,
    idempotency_key: str = "",
    connection=None,
) -> Delivery:
    """Send `body` to `participant`'s mobile if `may_contact` allows it now.

    Refused (no consent, consent withdrawn, no valid mobile): nothing reaches the backend
    and the `Delivery` says why. Sent: the provider's message id and the legal basis.
    Raises `SmsError` when the backend refuses (the outbox retries or records it).
    News and campaigns go as marketing messages (opt-out mention, quiet hours)."""
    decision = may_contact(participant, Channel.SMS, purpose)
    if not decision.allowed:
        return Delivery(sent=False, reason=decision.reason, legal_basis=None)
    message = SmsMessage(
        to=participant.phone,
        body=body,
        idempotency_key=idempotency_key,
        marketing=purpose == Purpose.NEWS_CAMPAIGNS,
    )
    connection = connection or get_connection()
    [provider_id] = connection.send_messages([message])
    return Delivery(
        sent=True,
        reason=decision.reason,
        legal_basis=decision.legal_basis,
        provider_id=provider_id,
    )
