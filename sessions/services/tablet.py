"""Tablet mode is locked: the trainer's tablet passes from hand to hand, so once it shows
a half-day's tablet pages, nothing else opens in that browser until the trainer types
their password again.

The lock lives in the user's server-side session (`request.session`, a database row the
browser cannot edit): the id of the slot whose tablet pages stay open. The middleware
`sessions.middleware.TabletLockMiddleware` sends every other page to the unlock page.
Wrong passwords are counted in the same session: after UNLOCK_MAX_ATTEMPTS, each further
wrong try imposes a pause of UNLOCK_PAUSE, so a participant cannot guess at leisure.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from sessions.exceptions import SessionsError
from sessions.models import Slot
from sessions.permissions import ensure_runs_session

LOCK_KEY = "sessions.tablet_lock"
FAILURES_KEY = "sessions.tablet_unlock_failures"
PAUSED_UNTIL_KEY = "sessions.tablet_unlock_paused_until"
UNLOCK_MAX_ATTEMPTS = 5
UNLOCK_PAUSE = dt.timedelta(minutes=5)


def locked_slot_id(store) -> int | None:
    """The slot whose tablet pages are the only ones open, or None when not locked."""
    value = store.get(LOCK_KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@transaction.atomic
def tablet_lock(*, store, slot: Slot, actor) -> bool:
    """Locks the browser session on `slot`'s tablet pages (called by the tablet pages
    themselves, once the slot was fetched through the trainer's scope). Returns whether
    the lock is new; audit action `tablet.locked` only then.

    Codes: not_trainer (the actor neither trains the session nor coordinates)."""
    ensure_runs_session(actor, slot.session)
    if locked_slot_id(store) == slot.pk:
        return False
    store[LOCK_KEY] = slot.pk
    log_action(
        actor=actor,
        action="tablet.locked",
        obj=slot,
        summary=_("Mode tablette verrouillé sur %(slot)s") % {"slot": slot},
        data={"slot": slot.pk},
    )
    return True


def _pause_error(paused_until: dt.datetime, now: dt.datetime) -> SessionsError:
    minutes = max(1, -(-int((paused_until - now).total_seconds()) // 60))
    return SessionsError(
        ngettext(
            "Trop d'essais de mot de passe : réessayez dans %(minutes)d minute.",
            "Trop d'essais de mot de passe : réessayez dans %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        code="unlock_paused",
    )


# Not one transaction: the refusal that starts a pause must keep its audit entry (a single
# INSERT, atomic by itself) although it ends in an exception.
def tablet_unlock(*, store, actor, password: str, now: dt.datetime | None = None) -> int | None:
    """Leaves tablet mode when `password` is the signed-in trainer's own (the account the
    session belongs to). Clears the lock and the failure count, audit action
    `tablet.unlocked`; returns the slot id that was locked (None if there was no lock).

    Codes: unlock_paused (too many wrong passwords: wait, the password is not even
    checked), wrong_password (the message says how many tries are left before a pause;
    audit action `tablet.unlock_paused` when a pause begins).
    """
    now = now or timezone.now()
    slot_id = locked_slot_id(store)
    if slot_id is None:
        return None
    paused_until = _paused_until(store)
    if paused_until is not None and now < paused_until:
        raise _pause_error(paused_until, now)
    if not password or not actor.check_password(password):
        failures = int(store.get(FAILURES_KEY, 0)) + 1
        store[FAILURES_KEY] = failures
        if failures >= UNLOCK_MAX_ATTEMPTS:
            until = now + UNLOCK_PAUSE
            store[PAUSED_UNTIL_KEY] = until.isoformat()
            log_action(
                actor=actor,
                action="tablet.unlock_paused",
                obj=Slot.objects.filter(pk=slot_id).first(),
                summary=_("Mode tablette : %(count)d mots de passe erronés, pause imposée")
                % {"count": failures},
                data={"slot": slot_id, "failures": failures, "until": until.isoformat()},
            )
            raise _pause_error(until, now)
        left = UNLOCK_MAX_ATTEMPTS - failures
        raise SessionsError(
            _("Mot de passe incorrect.")
            + " "
            + ngettext(
                "Encore %(left)d essai avant une pause de %(minutes)d minutes.",
                "Encore %(left)d essais avant une pause de %(minutes)d minutes.",
                left,
            )
            % {"left": left, "minutes": UNLOCK_PAUSE.seconds // 60},
            code="wrong_password",
        )
    failures = int(store.get(FAILURES_KEY, 0))
    for key in (LOCK_KEY, FAILURES_KEY, PAUSED_UNTIL_KEY):
        store.pop(key, None)
    log_action(
        actor=actor,
        action="tablet.unlocked",
        obj=Slot.objects.filter(pk=slot_id).first(),
        summary=_("Mode tablette quitté (mot de passe vérifié)"),
        data={"slot": slot_id, "failed_attempts": failures},
    )
    return slot_id


def _paused_until(store) -> dt.datetime | None:
    value = store.get(PAUSED_UNTIL_KEY)
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
