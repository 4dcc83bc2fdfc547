"""A notice to a participant's OLD e-mail address or mobile number when it is changed,
by the person in their space (`formations.space.space_contact_update`) or by a
coordinator (`formations.services.participant_save`).

Why: the address and number of a participant are what opens their space (a one-time
link goes there). Someone who changed them would receive the links, the convocations and
the documents in the person's place; the notice to the old one lets the person notice
and say so. It never gives the new address in full (a masked hint only: « a***@e***.org »,
« se terminant par 45 »): the old mailbox may itself be the one read by someone else.

Consent: the purpose ``contact_changed`` is a **service** message (`formations.consent`,
no consent asked, legal basis « service »), as a bank's or a website's « your password
was changed » notice: it is about the security of the person's own record, sent once
because of an act on it, and carries no programme news or marketing. A consent withdrawn
for the other purposes (a STOP) does not stop it; with SMS, the number must still be a
mobile (`may_contact`), else the row is written abandoned with the reason.

No notice when the old value was empty (nothing to warn), when it is the same address but
for case, or when only other fields changed.
"""

from django.template.loader import render_to_string
from django.utils import timezone, translation

from formations.models import Channel, OutboxMessage, Participant
from formations.outbox import outbox_enqueue
from formations.selectors import provider_identity

EMAIL_TEMPLATES = "formations/space/emails"
PURPOSE = "contact_changed"


def mask_email(address: str) -> str:
    """« aicha.madi@example.org » → « a***@e***.org »: enough to recognise one's own
    address, not enough to write to it."""
    local, _at, domain = (address or "").partition("@")
    if not local or not domain:
        return "***"
    name, dot, tld = domain.rpartition(".")
    masked_domain = f"{name[:1]}***{dot}{tld}" if dot else f"{domain[:1]}***"
    return f"{local[:1]}***@{masked_domain}"


def phone_tail(phone: str) -> str:
    """The last two digits of a number (« 45 »)."""
    digits = [c for c in phone or "" if c.isdigit()]
    return "".join(digits[-2:])


def _changed_email(old: str, new: str) -> bool:
    return bool(old) and old.strip().casefold() != (new or "").strip().casefold()


def contact_changed_notify(
    *, participant: Participant, old_email: str, old_phone: str, by_participant: bool, actor=None
) -> list[OutboxMessage]:
    """Writes, in the caller's transaction, the notices for a change of ``participant``'s
    contact details (already holding the new ones): an e-mail to ``old_email`` if the
    address changed, an SMS to ``old_phone`` if the number changed (neither when the
    old value was empty). Returns the messages."""
    email_changed = _changed_email(old_email, participant.email)
    phone_changed = bool(old_phone) and old_phone != participant.phone
    if not (email_changed or phone_changed):
        return []
    provider = provider_identity()
    context = {
        "person": participant,
        "when": timezone.localtime(),
        "by_participant": by_participant,
        "email_changed": email_changed,
        "phone_changed": phone_changed,
        "new_email": mask_email(participant.email) if participant.email else "",
        "new_phone_tail": phone_tail(participant.phone),
        "provider": provider.legal_name if provider else "",
    }
    messages = []
    with translation.override("fr"):
        if email_changed:
            messages.append(
                outbox_enqueue(
                    purpose=PURPOSE,
                    channel=Channel.EMAIL,
                    recipient=old_email,
                    recipient_name=participant.full_name,
                    participant=participant,
                    subject=render_to_string(
                        f"{EMAIL_TEMPLATES}/contact_changed_subject.txt", context
                    ),
                    body=render_to_string(f"{EMAIL_TEMPLATES}/contact_changed.txt", context),
                    about=participant,
                    requested_by=actor,
                )
            )
        if phone_changed:
            messages.append(
                outbox_enqueue(
                    purpose=PURPOSE,
                    channel=Channel.SMS,
                    recipient=old_phone,
                    recipient_name=participant.full_name,
                    participant=participant,
                    body=render_to_string(
                        f"{EMAIL_TEMPLATES}/contact_changed_sms.txt", context
                    ).strip(),
                    about=participant,
                    requested_by=actor,
                )
            )
    return messages
