"""The unsubscribe link of the e-mails a structure sends its members: a signed token of
(participant, structure, purpose) (`django.core.signing`, no expiry: a link in an old
e-mail still works). It names no one and cannot be altered to name someone else; opening
it shows a confirmation, confirming withdraws the person's e-mail consent (or request)
for that purpose with that structure.

Purposes: `structure_news` (campaign e-mails: « ne plus recevoir les actualités ») and
`admin_reminders` (reminder e-mails: « ne plus recevoir les rappels »). Campaign links
written before the purpose was carried have none: they are `structure_news`.

A record merged away since the e-mail left (`alertes.services_merge`) no longer exists:
its pk is followed through the merge's journal entries (`members_merged`, `other_id` →
`keep_id`, as many merges as were made) to the person kept."""

from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.urls import reverse

from formations.models import AuditEntry, Participant, Purpose

SALT = "alertes.unsubscribe"
PURPOSES = (Purpose.STRUCTURE_NEWS, Purpose.ADMIN_REMINDERS)
# A chain of merges longer than this is a loop in the journal, not a person.
_MAX_MERGES = 20


class Unsubscribe(NamedTuple):
    participant_id: int
    structure_id: int
    purpose: str


def unsubscribe_token(
    *, participant_id: int, structure_id: int, purpose: str = Purpose.STRUCTURE_NEWS
) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"no unsubscribe link for {purpose!r}")
    value = {"p": participant_id, "s": structure_id}
    if purpose != Purpose.STRUCTURE_NEWS:
        value["k"] = str(purpose)
    return signing.dumps(value, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> Unsubscribe | None:
    """(participant pk, structure pk, purpose), or None for a forged, altered or
    truncated token."""
    try:
        value = signing.loads(token, salt=SALT)
        purpose = value.get("k", Purpose.STRUCTURE_NEWS)
        if purpose not in PURPOSES:
            return None
        return Unsubscribe(int(value["p"]), int(value["s"]), purpose)
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


def unsubscribe_url(
    *, participant_id: int, structure_id: int, purpose: str = Purpose.STRUCTURE_NEWS
) -> str:
    token = unsubscribe_token(
        participant_id=participant_id, structure_id=structure_id, purpose=purpose
    )
    return settings.SUIVI_BASE_URL.rstrip("/") + reverse("alertes:unsubscribe", args=[token])


def participant_of_link(participant_id: int) -> Participant | None:
    """The person a link names: the record itself, or the one it was merged into."""
    pk = participant_id
    for _n in range(_MAX_MERGES):
        person = Participant.objects.filter(pk=pk).first()
        if person is not None:
            return person
        keep_id = (
            AuditEntry.objects.filter(action="members_merged", data__other_id=pk)
            .order_by("-pk")
            .values_list("data__keep_id", flat=True)
            .first()
        )
        if keep_id is None:
            return None
        pk = int(keep_id)
    return None
