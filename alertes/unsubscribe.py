"""The unsubscribe link every campaign e-mail carries: a signed token of (participant,
structure) (`django.core.signing`, no expiry: a link in an old e-mail still works). It
names no one and cannot be altered to name someone else; opening it shows a confirmation,
confirming withdraws the person's e-mail consent to that structure's news."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "alertes.unsubscribe"


def unsubscribe_token(*, participant_id: int, structure_id: int) -> str:
    return signing.dumps({"p": participant_id, "s": structure_id}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(participant pk, structure pk), or None for a forged, altered or truncated token."""
    try:
        value = signing.loads(token, salt=SALT)
        return int(value["p"]), int(value["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(*, participant_id: int, structure_id: int) -> str:
    token = unsubscribe_token(participant_id=participant_id, structure_id=structure_id)
    return settings.SUIVI_BASE_URL.rstrip("/") + reverse("alertes:unsubscribe", args=[token])
