"""What SMS providers report on the webhook: stored once each, and a STOP withdraws the
SMS consents of the person who sent it."""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.consent import consent_withdraw_channel
from formations.models import Channel, ContactConsent, Participant, SmsEvent
from formations.outbox import outbox_mark_delivered, outbox_mark_undelivered
from formations.phones import is_e164
from formations.sms.base import ProviderEvent

logger = logging.getLogger(__name__)

# French operators' opt-out words (« STOP », « ARRET »), and the English one some phones
# suggest. Only the first word counts: « Stop merci » is a STOP, « pas stop » is not.
STOP_WORDS = frozenset({"STOP", "STOPSMS", "ARRET", "ARRETER", "UNSUBSCRIBE"})


def is_stop(text: str) -> bool:
    words = text.split()
    if not words:
        return False
    first = unicodedata.normalize("NFKD", words[0])
    first = "".join(c for c in first if c.isalnum()).upper()
    return first in STOP_WORDS


def _dedupe_key(event: ProviderEvent) -> str:
    canonical = json.dumps(event.payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{event.provider}\n{canonical}".encode()).hexdigest()


def opts_out(event: SmsEvent | ProviderEvent) -> bool:
    return event.status == SmsEvent.Status.UNSUBSCRIBED or (
        event.status == SmsEvent.Status.REPLY and is_stop(event.text)
    )


@transaction.atomic
def sms_events_record(*, events: list[ProviderEvent]) -> list[SmsEvent]:
    """Store each provider event once (a payload received again is skipped) and return
    the rows written.

    A reply whose first word is STOP (or ARRET), or the provider's own unsubscribe event,
    withdraws every SMS consent of each participant whose stored number is the sender's,
    the structures' purposes too (`consent_withdraw_channel`, method « réponse STOP »,
    audit entries `consent_withdrawn`); a STOP from a number nobody has is journaled as
    `sms_stop_unmatched`. A delivery receipt updates the outbox row with the provider's
    `message_id`: `delivered` makes it « délivré », `failed` (unknown or unreachable
    number) « échec » with the report."""
    stored = []
    for event in events:
        row, created = SmsEvent.objects.get_or_create(
            dedupe_key=_dedupe_key(event),
            defaults={
                "provider": event.provider,
                "status": event.status,
                "provider_status": event.provider_status,
                "message_id": event.message_id,
                "phone": event.phone,
                "text": event.text,
                "occurred_at": event.occurred_at,
                "payload": event.payload,
            },
        )
        if not created:
            continue
        stored.append(row)
        if opts_out(row):
            _withdraw_sms_consents(row)
        elif row.status == SmsEvent.Status.DELIVERED:
            outbox_mark_delivered(provider_message_id=row.message_id, delivered_at=row.occurred_at)
        elif row.status == SmsEvent.Status.FAILED:
            outbox_mark_undelivered(
                provider_message_id=row.message_id,
                error=row.provider_status or str(SmsEvent.Status.FAILED.label),
            )
    return stored


def _withdraw_sms_consents(event: SmsEvent) -> None:
    people = list(Participant.objects.filter(phone=event.phone)) if is_e164(event.phone) else []
    logger.info("SMS STOP from %s: %d participant(s)", event.phone, len(people))
    if not people:
        log_action(
            actor=None,
            action="sms_stop_unmatched",
            summary=_("Réponse STOP reçue d'un numéro qu'aucune fiche ne porte (%(phone)s).")
            % {"phone": event.phone or "?"},
            data={"sms_event_id": event.pk, "phone": event.phone},
        )
        return
    now = timezone.now()
    at = min(event.occurred_at, now) if event.occurred_at else now
    note = _("Réponse « %(text)s » au SMS %(id)s (%(provider)s)") % {
        "text": event.text.strip()[:40] or event.provider_status,
        "id": event.message_id or "?",
        "provider": event.provider,
    }
    for person in people:
        consent_withdraw_channel(
            participant=person,
            channel=Channel.SMS,
            method=ContactConsent.Method.SMS_STOP,
            actor=None,
            at=at,
            note=note,
        )
