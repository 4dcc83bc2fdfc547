"""Tokens that let a participant sign without an account.

* QR code shown in the room: `"<slot id>.<window>.<mac>"`, where `window` is the number
  of SUIVI_QR_ROTATION_SECONDS periods since the epoch and `mac` an HMAC-SHA256 (key
  derived from SECRET_KEY with a dedicated salt) over slot id and window, cut to 22
  URL-safe characters (132 bits). The code changes every period; a scanned code stays
  valid during the next period too, so someone scanning at the last second is not
  refused, but a photo sent to an absent colleague soon stops working.
* Personal remote link (sent by e-mail for remote sessions): a signed, compressed
  `{"e": enrolment id, "s": slot id}` (`django.core.signing`). It works only during the
  slot's signing window, and only once: a second use is refused by `attendance_sign`
  (already_signed).

Both are checked before the signature goes to `attendance_sign`, which re-checks the
window and everything else.
"""

import base64
import datetime as dt
import re

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from sessions.exceptions import AttendanceError
from sessions.models import Enrolment, Slot
from sessions.services.attendance import ensure_signing_window

QR_SALT = "sessions.qr-token"
REMOTE_LINK_SALT = "sessions.remote-link"
MAC_CHARS = 22
_QR_TOKEN_RE = re.compile(rf"^(\d{{1,18}})\.(\d{{1,18}})\.([A-Za-z0-9_-]{{{MAC_CHARS}}})$")
MAX_LINK_TOKEN_CHARS = 500


def _window(at: dt.datetime) -> int:
    return int(at.timestamp()) // settings.SUIVI_QR_ROTATION_SECONDS


def _mac(slot_id: int, window: int) -> str:
    digest = salted_hmac(QR_SALT, f"{slot_id}:{window}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:MAC_CHARS]


def qr_token(*, slot: Slot, at: dt.datetime | None = None) -> str:
    """The token the room's QR code carries at `at` (now by default); it changes every
    SUIVI_QR_ROTATION_SECONDS."""
    window = _window(at or timezone.now())
    return f"{slot.pk}.{window}.{_mac(slot.pk, window)}"


def qr_seconds_until_rotation(*, at: dt.datetime | None = None) -> int:
    """Seconds before the QR token changes (for the display page's refresh)."""
    period = settings.SUIVI_QR_ROTATION_SECONDS
    return period - int((at or timezone.now()).timestamp()) % period


def _qr_invalid() -> AttendanceError:
    return AttendanceError(
        _("Ce QR code n'est pas valide. Scannez le QR code affiché dans la salle."),
        code="qr_invalid",
    )


def check_qr_token(*, token: str, slot: Slot, now: dt.datetime | None = None) -> None:
    """Accepts a token of this slot from the current or the previous period, while the
    slot's signing window is open.

    Codes: qr_invalid (malformed or forged), qr_wrong_slot (a genuine code of another
    half-day), qr_expired (older than one period of grace), outside_window.
    """
    now = now or timezone.now()
    match = _QR_TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise _qr_invalid()
    slot_id, window, mac = int(match[1]), int(match[2]), match[3]
    if not constant_time_compare(mac, _mac(slot_id, window)):
        raise _qr_invalid()
    if slot_id != slot.pk:
        raise AttendanceError(
            _(
                "Ce QR code est celui d'une autre demi-journée. "
                "Scannez celui affiché dans votre salle."
            ),
            code="qr_wrong_slot",
        )
    current = _window(now)
    if window > current + 1:
        # Issued in the future: only a clock gone wrong (or a stolen key) gets here.
        raise _qr_invalid()
    if window < current - 1:
        raise AttendanceError(
            _("Ce QR code a expiré. Scannez à nouveau le QR code affiché dans la salle."),
            code="qr_expired",
        )
    ensure_signing_window(slot=slot, now=now)


def remote_link_token(*, enrolment: Enrolment, slot: Slot) -> str:
    """The token of one participant's personal link for one half-day."""
    return signing.dumps({"e": enrolment.pk, "s": slot.pk}, salt=REMOTE_LINK_SALT, compress=True)


def _link_invalid() -> AttendanceError:
    return AttendanceError(
        _(
            "Ce lien d'émargement n'est pas valide. "
            "Utilisez le lien reçu par e-mail, sans le modifier."
        ),
        code="link_invalid",
    )


def check_remote_link_token(
    *, token: str, now: dt.datetime | None = None
) -> tuple[Enrolment, Slot]:
    """Returns (enrolment, slot) of a genuine link whose slot is open for signing.

    Codes: link_invalid (forged, damaged, or the enrolment / half-day no longer exists
    or do not match), outside_window.
    """
    now = now or timezone.now()
    if not isinstance(token, str) or not token or len(token) > MAX_LINK_TOKEN_CHARS:
        raise _link_invalid()
    try:
        data = signing.loads(token, salt=REMOTE_LINK_SALT)
    except (signing.BadSignature, ValueError):
        raise _link_invalid() from None
    if not isinstance(data, dict):
        raise _link_invalid()
    enrolment_id, slot_id = data.get("e"), data.get("s")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (enrolment_id, slot_id)):
        raise _link_invalid()
    enrolment = (
        Enrolment.objects.select_related("participant", "session").filter(pk=enrolment_id).first()
    )
    slot = Slot.objects.select_related("session").filter(pk=slot_id).first()
    if enrolment is None or slot is None or enrolment.session_id != slot.session_id:
        raise _link_invalid()
    ensure_signing_window(slot=slot, now=now)
    return enrolment, slot
