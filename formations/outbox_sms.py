"""The SMS side of the outbox, kept to one small interface: a sender has
``send_sms(*, to, body, idempotency_key) -> str`` (the provider's message id) and raises
on refusal. ``SUIVI_OUTBOX_SMS_SENDER`` names its class (dotted path); without one, an SMS
cannot leave and its delivery fails with that reason.

`MemorySmsSender` keeps what it is given (tests, the demo: the outbox page shows the text).
A provider's adapter (Brevo) and the consent records plug in behind this interface.
"""

import itertools

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


class SmsNotConfigured(Exception):
    pass


class MemorySmsSender:
    """Keeps every SMS in `MemorySmsSender.outbox` (a list of dicts), like Django's locmem
    mail backend keeps e-mails in `mail.outbox`."""

    outbox: list[dict] = []
    _ids = itertools.count(1)

    def send_sms(self, *, to: str, body: str, idempotency_key: str) -> str:
        provider_id = f"memory-{next(self._ids)}"
        self.outbox.append(
            {"to": to, "body": body, "idempotency_key": idempotency_key, "id": provider_id}
        )
        return provider_id


def get_sender():
    path = getattr(settings, "SUIVI_OUTBOX_SMS_SENDER", "")
    if not path:
        raise SmsNotConfigured(_("Aucun fournisseur de SMS n'est configuré."))
    return import_string(path)()
