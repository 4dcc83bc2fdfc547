"""Tablet mode is locked: the trainer's tablet passes from hand to hand, so once it shows
a half-day's tablet pages, nothing else opens in that browser until the trainer types
their password again.

The lock lives in the user's server-side session (`request.session`, a database row the
browser cannot edit): the id of the slot whose tablet pages stay open. The middleware
`sessions.middleware.TabletLockMiddleware` sends every other page to the unlock page.
Wrong passwords are counted in the same session: after UNLOCK_MAX_ATTEMPTS, each further
wrong try imposes a pause of UNLOCK_PAUSE, so a participant cannot guess at leisure.

Other apps lock the tablet on their own pages the same way (evaluations: à chaud answered
on the tablet, each participant in turn): they register a `TabletScope` in TABLET_SCOPES
from their `AppConfig.ready()` (sessions never imports them) and lock with
`tablet_lock_scope`; the lock then holds ``[scope, pk]`` instead of a slot id.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class TabletScope:
    """Another app's locked tablet pages: the view names that stay open, when their `pk`
    argument is the locked object's; the model of that object (for the journal); the
    list page to go back to and the page to land on once unlocked; how the unlock page
    names the list."""

    pages: frozenset[str]
    model: type
    list_url: Callable[[int], str]
    leave_url: Callable[[int], str]
    list_label: str


TABLET_SCOPES: dict[str, TabletScope] = {}


def locked_scope(store) -> tuple[str, int] | None:
    """What the tablet is locked on: ("slot", slot id), (scope, pk) for a registered
    scope, or None when not locked."""
    slot_id = locked_slot_id(store)
    if slot_id is not None:
        return ("slot", slot_id)
    value = store.get(LOCK_KEY)
    if (
        isinstance(value, list)
        and len(value) == 2
        and value[0] in TABLET_SCOPES
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    ):
        return (value[0], value[1])
    return None


@transaction.atomic
def tablet_lock_scope(*, store, scope: str, obj, session, actor) -> bool:
    """Locks the browser session on a registered scope's pages for `obj` (of `session`),
    as `tablet_lock` does for a half-day. Returns whether the lock is new; audit action
    `tablet.locked` only then.

    Codes: not_trainer (the actor neither trains the session nor coordinates)."""
    if scope not in TABLET_SCOPES:
        raise ValueError(f"unknown tablet scope {scope!r}")
    ensure_runs_session(actor, session)
    if locked_scope(store) == (scope, obj.pk):
        return False
    store[LOCK_KEY] = [scope, obj.pk]
    log_action(
        actor=actor,
        action="tablet.locked",
        obj=obj,
        summary=_("Mode tablette verrouillé sur %(object)s") % {"object": obj},
        data={"scope": scope, "pk": obj.pk},
    )
    return True


def _locked_object(lock: tuple[str, int] | None):
    if lock is None:
        return None
    scope, pk = lock
    model = Slot if scope == "slot" else TABLET_SCOPES[scope].model
    return model.objects.filter(pk=pk).first()


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
    `tablet.unlocked`; returns the slot id that was locked (None if there was no lock, or
    a lock of another scope: `locked_scope` tells which before unlocking).

    Codes: unlock_paused (too many wrong passwords: wait, the password is not even
    checked), wrong_password (the message says how many tries are left before a pause;
    audit action `tablet.unlock_paused` when a pause begins).
    """
    now = now or timezone.now()
    lock = locked_scope(store)
    if lock is None:
        return None
    slot_id = lock[1] if lock[0] == "slot" else None
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
                obj=_locked_object(lock),
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
        obj=_locked_object(lock),
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
