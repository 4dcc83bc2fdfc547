"""Brevo's transactional SMS over its HTTP API (https://developers.brevo.com).

Sending: `POST {SUIVI_BREVO_SMS_URL}` (by default
https://api.brevo.com/v3/transactionalSMS/send, which replaced the deprecated
…/transactionalSMS/sms) with the `api-key` header and a JSON body (`sender`, `recipient`
without « + », `content`, `type` transactional or marketing, `tag`, `unicodeEnabled`);
the answer carries Brevo's `messageId`, which we return. Brevo has no idempotency key: the
outbox's key goes in the message's `tag`, where a repeat can be found in Brevo's logs,
but Brevo itself will send a repeat again.

Receipts and replies: Brevo calls our webhook (`formations.sms.webhook`) with JSON
events (`msg_status` sent, delivered, soft_bounce, hard_bounce, replied…; `messageId`;
`to` without « + »). Brevo does not sign webhook bodies; it authenticates its calls with
a bearer token set when the webhook is created, or with a user and password written in
the webhook's URL (basic authentication). We accept either, compared in constant time
with `SUIVI_SMS_WEBHOOK_SECRET`, and refuse everything while that setting is empty.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings

from formations.models import SmsEvent
from formations.phones import PhoneError, is_e164, normalize_phone
from formations.sms.base import (
    BaseSmsBackend,
    ProviderEvent,
    SmsError,
    SmsMessage,
    WebhookPayloadError,
)

DEFAULT_URL = "https://api.brevo.com/v3/transactionalSMS/send"

# GSM 03.38 (basic set and extension table): a text using only these goes as plain SMS
# (160 characters); anything else (ê, ç, â, ’, emoji) needs Brevo's unicode mode.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€\f"
)
# A marketing SMS must tell how to opt out; Brevo replaces this code with its short number.
STOP_MENTION = "STOP au [STOP CODE]"

STATUSES = {
    "sent": SmsEvent.Status.SENT,
    "accepted": SmsEvent.Status.SENT,
    "delivered": SmsEvent.Status.DELIVERED,
    "soft_bounce": SmsEvent.Status.FAILED,
    "softbounce": SmsEvent.Status.FAILED,
    "hard_bounce": SmsEvent.Status.FAILED,
    "hardbounce": SmsEvent.Status.FAILED,
    "rejected": SmsEvent.Status.FAILED,
    "blacklisted": SmsEvent.Status.FAILED,
    "blocked": SmsEvent.Status.FAILED,
    "skip": SmsEvent.Status.FAILED,
    "error": SmsEvent.Status.FAILED,
    "replied": SmsEvent.Status.REPLY,
    "reply": SmsEvent.Status.REPLY,
    "unsubscribe": SmsEvent.Status.UNSUBSCRIBED,
    "unsubscribed": SmsEvent.Status.UNSUBSCRIBED,
}


def needs_unicode(text: str) -> bool:
    return any(char not in GSM7 for char in text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class SmsBackend(BaseSmsBackend):
    provider = "brevo"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        url: str | None = None,
        sender: str | None = None,
        webhook_secret: str | None = None,
        timeout: float | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.api_key = api_key if api_key is not None else settings.SUIVI_BREVO_API_KEY
        self.url = url or getattr(settings, "SUIVI_BREVO_SMS_URL", "") or DEFAULT_URL
        self.sender = sender or self.default_sender()
        self.webhook_secret = (
            webhook_secret if webhook_secret is not None else settings.SUIVI_SMS_WEBHOOK_SECRET
        )
        self.timeout = timeout or getattr(settings, "SUIVI_SMS_TIMEOUT", 10)

    # --- Sending ---------------------------------------------------------------------------

    def send_messages(self, messages: list[SmsMessage]) -> list[str]:
        ids: list[str] = []
        for message in messages:
            try:
                ids.append(self._send(message))
            except SmsError as exc:
                exc.sent_ids = list(ids)
                raise
        return ids

    def request_body(self, message: SmsMessage) -> dict:
        content = message.body
        if message.marketing and "[STOP CODE]" not in content:
            content = f"{content}\n{STOP_MENTION}"
        body = {
            "sender": message.sender or self.sender,
            "recipient": message.to.removeprefix("+"),
            "content": content,
            "type": "marketing" if message.marketing else "transactional",
            "unicodeEnabled": needs_unicode(content),
        }
        if message.idempotency_key:
            body["tag"] = message.idempotency_key
        return body

    def _send(self, message: SmsMessage) -> str:
        if not self.api_key:
            raise SmsError(
                "La clé d'API Brevo n'est pas configurée (réglage SUIVI_BREVO_API_KEY).",
                code="not_configured",
            )
        request = urllib.request.Request(
            self.url,
            data=json.dumps(self.request_body(message)).encode("utf-8"),
            method="POST",
            headers={
                "api-key": self.api_key,
                "accept": "application/json",
                "content-type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsError(
                f"Brevo est injoignable : {reason}.", code="unreachable", retryable=True
            ) from exc
        try:
            message_id = json.loads(raw or b"{}").get("messageId")
        except (ValueError, AttributeError):
            message_id = None
        if message_id in (None, ""):
            raise SmsError(
                "Brevo a accepté l'envoi sans donner d'identifiant de message.",
                code="no_message_id",
            )
        return str(message_id)

    @staticmethod
    def _http_error(exc: urllib.error.HTTPError) -> SmsError:
        try:
            raw = exc.read()
        except OSError:
            raw = b""
        code, text = "", ""
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                code, text = str(data.get("code") or ""), str(data.get("message") or "")
        except ValueError:
            text = raw.decode("utf-8", "replace")[:500]
        status = exc.code
        return SmsError(
            f"Brevo a refusé le SMS (HTTP {status}) : {text or exc.reason}",
            code=code or f"http_{status}",
            status=status,
            retryable=status == 429 or status >= 500,
            provider_message=text,
        )

    # --- Webhook ---------------------------------------------------------------------------

    def verify_webhook(self, request) -> bool:
        secret = self.webhook_secret
        if not secret:
            return False
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            token = decoded.partition(":")[2]
        else:
            return False
        return hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))

    def parse_webhook(self, body: bytes) -> list[ProviderEvent]:
        try:
            # NaN and Infinity are not JSON (PostgreSQL's JSON type refuses them).
            data = json.loads(body, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookPayloadError("not JSON") from exc
        items = data if isinstance(data, list) else [data]  # batched webhooks send lists
        events = []
        for item in items:
            if not isinstance(item, dict):
                raise WebhookPayloadError("an event is not a JSON object")
            events.append(self._event(item))
        return events

    def _event(self, item: dict) -> ProviderEvent:
        provider_status = str(item.get("msg_status") or item.get("event") or "")
        status = STATUSES.get(provider_status.lower(), SmsEvent.Status.OTHER)
        if status == SmsEvent.Status.REPLY:
            number = item.get("from") or item.get("to") or item.get("phoneNumber")
            text = item.get("reply") or item.get("text") or item.get("content") or ""
        else:
            number = item.get("to") or item.get("phoneNumber")
            text = item.get("reason") or item.get("description") or ""
        return ProviderEvent(
            provider=self.provider,
            status=status,
            provider_status=provider_status[:40],
            message_id=str(item.get("messageId") or item.get("message-id") or "")[:64],
            phone=_phone(number),
            text=str(text),
            occurred_at=_occurred_at(item),
            payload=item,
        )


def _phone(number) -> str:
    """Brevo writes numbers with the country code and no « + » (33612345678)."""
    if number in (None, ""):
        return ""
    text = str(number).strip()
    candidate = text if text.startswith("+") else "+" + text
    if is_e164(candidate):
        return candidate
    try:
        return normalize_phone(text)
    except PhoneError:
        return text[:30]


def _occurred_at(item: dict) -> dt.datetime | None:
    """`ts_event` (seconds, UTC) or `ts_epoch` (milliseconds, UTC); `date` is in Brevo's
    local time (CET/CEST) and is not used."""
    for key, scale in (("ts_event", 1), ("ts_epoch", 1000)):
        value = item.get(key)
        if isinstance(value, int | float) and value > 0:
            try:
                return dt.datetime.fromtimestamp(value / scale, tz=dt.UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None
