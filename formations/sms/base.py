"""The SMS backend interface, modelled on Django's e-mail backends.

    with get_connection() as connection:
        ids = connection.send_messages([SmsMessage(to="+33612345678", body="…")])

`SMS_BACKEND` names the class (like Django's EMAIL_BACKEND). A backend returns one
provider message id per message, in order, and raises `SmsError` when a message is not
accepted (`SmsError.sent_ids` holds the ids of the messages of the same call accepted
before it). Backends that receive delivery receipts and replies implement
`verify_webhook` and `parse_webhook` (see `formations.sms.webhook`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class SmsMessage:
    """One text to one number. `to` is E.164 (as stored on participants).

    `idempotency_key`: the outbox row's key; a provider that can deduplicate is given it,
    others carry it where it can be searched (Brevo: the message's tag). `marketing`:
    news and campaigns, which French rules treat apart (opt-out mention, quiet hours)."""

    to: str
    body: str
    sender: str = ""
    idempotency_key: str = ""
    marketing: bool = False


class SmsError(Exception):
    """A message the backend could not hand over. `code`: stable ("http_400",
    "unreachable", "not_configured", "no_message_id", or the provider's own code);
    `retryable`: whether trying again later may work (network, 5xx, rate limit);
    `provider_message`: what the provider said, as it said it."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        retryable: bool = False,
        status: int | None = None,
        provider_message: str = "",
        sent_ids: list[str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable
        self.status = status
        self.provider_message = provider_message
        self.sent_ids = sent_ids or []


class WebhookPayloadError(ValueError):
    """A webhook body the backend cannot read (not JSON, not the provider's shape)."""


@dataclass
class ProviderEvent:
    """A receipt or reply as a backend read it from its provider's webhook."""

    provider: str
    status: str  # SmsEvent.Status
    provider_status: str = ""
    message_id: str = ""
    phone: str = ""  # E.164 when the provider's number could be read, else as given
    text: str = ""  # the reply, or the provider's reason for a failure
    occurred_at: dt.datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class BaseSmsBackend:
    """Subclasses implement `send_messages`; `open`/`close` are there for backends that
    keep a connection (none of ours needs one)."""

    #: Name in webhook URLs and on stored events; None: no webhook.
    provider: str | None = None

    def __init__(self, *, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def open(self):
        return False

    def close(self):
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def send_messages(self, messages: list[SmsMessage]) -> list[str]:
        raise NotImplementedError

    def default_sender(self) -> str:
        return getattr(settings, "SMS_SENDER", "")

    # Webhooks: receipts and replies. A backend without a provider refuses them all.
    def verify_webhook(self, request) -> bool:
        return False

    def parse_webhook(self, body: bytes) -> list[ProviderEvent]:
        raise WebhookPayloadError("this backend receives no webhook")


class DisabledSmsBackend(BaseSmsBackend):
    """The default until a provider is configured: every message fails, saying why."""

    def send_messages(self, messages):
        if not messages:
            return []
        raise SmsError(
            "Aucun fournisseur de SMS n'est configuré (réglage SUIVI_SMS_BACKEND).",
            code="not_configured",
        )


def get_connection(backend: str | None = None, *, fail_silently: bool = False, **kwargs):
    """An instance of `backend` (dotted path), by default `settings.SMS_BACKEND`."""
    klass = import_string(backend or getattr(settings, "SMS_BACKEND", None) or _DISABLED)
    return klass(fail_silently=fail_silently, **kwargs)


_DISABLED = "formations.sms.base.DisabledSmsBackend"


def send_sms(
    *, to: str, body: str, idempotency_key: str = "", marketing: bool = False, connection=None
) -> str:
    """One SMS through `connection` (by default the configured backend): the provider's
    message id, or `SmsError`. Checks no consent: the outbox (`formations.outbox`), the one
    caller, asks `formations.consent` when it writes the message and again before sending."""
    connection = connection or get_connection()
    message = SmsMessage(to=to, body=body, idempotency_key=idempotency_key, marketing=marketing)
    [message_id] = connection.send_messages([message])
    return message_id
