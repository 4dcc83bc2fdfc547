"""An invitation's link: `/evaluation/<key>/<token>/`. The key is the invitation's public
UUID; the token is an HMAC of it under the secret key, so it is unguessable, never stored
(a copy of the database gives no link) and can be written again in every reminder. A
token checked against another invitation's key fails."""

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "evaluations.invitation"


def invitation_token(key) -> str:
    return salted_hmac(SALT, str(key), algorithm="sha256").hexdigest()[:40]


def token_matches(key, token: str) -> bool:
    return constant_time_compare(invitation_token(key), token or "")


def invitation_path(invitation) -> str:
    return reverse("evaluations:answer", args=[invitation.key, invitation_token(invitation.key)])


def invitation_url(invitation) -> str:
    """The absolute link written in invitations and reminders."""
    return settings.SUIVI_BASE_URL.rstrip("/") + invitation_path(invitation)
