"""SMS: a backend interface modelled on Django's e-mail backends (`base`), local backends
for the demo and tests (`console`, `locmem`, `filebased`), the Brevo adapter (`brevo`),
and the webhook that records delivery receipts and replies (`webhook`, `receipts`)."""

from formations.sms.base import (
    BaseSmsBackend,
    ProviderEvent,
    SmsError,
    SmsMessage,
    WebhookPayloadError,
    get_connection,
    send_sms,
)

# The memory backend's messages (`formations.sms.locmem`), like django.core.mail.outbox.
outbox: list[SmsMessage] = []

__all__ = [
    "BaseSmsBackend",
    "ProviderEvent",
    "SmsError",
    "SmsMessage",
    "WebhookPayloadError",
    "get_connection",
    "outbox",
    "send_sms",
]
