"""The phone's cookie for QR code signing: a random id, signed (`django.core.signing`) so
that nobody can pick someone else's, kept a year, so that the same phone is recognised
on every visit of the QR page even though each visit gets a new scan ticket.

Nothing personal is in it; it serves only the rule « one phone, one person per
half-day » (`attendance_sign`, code device_already_used). A missing, damaged or forged
cookie is treated as a new phone: a fresh id is issued, nothing is refused for it.
"""

import re
import secrets

from django.conf import settings

DEVICE_COOKIE = "suivi_telephone"
DEVICE_COOKIE_SALT = "sessions.device-cookie"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
_DEVICE_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def new_device_id() -> str:
    return secrets.token_hex(16)


def device_id_from(request) -> str | None:
    """The phone's id from its cookie, or None when absent, damaged or forged."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT)
    if not isinstance(value, str) or not _DEVICE_ID_RE.fullmatch(value):
        return None
    return value


def remember_device(request, response, device_id: str) -> None:
    """Sets the phone's cookie: HttpOnly (no script reads it), SameSite=Lax, Secure
    wherever the session cookie is (production) or the request came over HTTPS."""
    response.set_signed_cookie(
        DEVICE_COOKIE,
        device_id,
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
    )
