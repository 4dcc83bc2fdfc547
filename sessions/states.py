"""The one vocabulary for where a half-day stands, used by the half-day page, the session
page and the dashboard alike, so that they never contradict each other.

à venir → ouverte à l'émargement (from the moment the signing window opens) → à
contresigner (once it has ended, until the trainer countersigns) → contresignée → close et
scellée. Pure: the caller says whether the slot is sealed (a query or an annotation).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SlotState:
    code: str
    label: str
    # CSS class of the badge; the label is always shown too (no information by colour).
    badge: str

    def __str__(self):
        return str(self.label)


UPCOMING = SlotState("upcoming", _("à venir"), "")
OPEN = SlotState("open", _("ouverte à l'émargement"), "info")
TO_COUNTERSIGN = SlotState("to_countersign", _("à contresigner"), "warning")
COUNTERSIGNED = SlotState("countersigned", _("contresignée, à clôturer"), "warning")
SEALED = SlotState("sealed", _("close et scellée"), "ok")

ALL = (UPCOMING, OPEN, TO_COUNTERSIGN, COUNTERSIGNED, SEALED)


def opens_at(starts_at: dt.datetime) -> dt.datetime:
    """When participants may start signing (SUIVI_SIGNING_MARGIN_MINUTES before the start)."""
    return starts_at - dt.timedelta(minutes=settings.SUIVI_SIGNING_MARGIN_MINUTES)


def closes_at(ends_at: dt.datetime) -> dt.datetime:
    """When signing ends (the same margin after the end): past it, nobody signs any more."""
    return ends_at + dt.timedelta(minutes=settings.SUIVI_SIGNING_MARGIN_MINUTES)


def countersign_opens_at(ends_at: dt.datetime) -> dt.datetime:
    """From when the trainer may countersign: the same margin before the end."""
    return ends_at - dt.timedelta(minutes=settings.SUIVI_SIGNING_MARGIN_MINUTES)


def slot_state(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    countersigned: bool,
    sealed: bool,
    now: dt.datetime,
) -> SlotState:
    if sealed:
        return SEALED
    if countersigned:
        return COUNTERSIGNED
    if now < opens_at(starts_at):
        return UPCOMING
    if now < ends_at:
        return OPEN
    return TO_COUNTERSIGN


def state_of(slot, *, now: dt.datetime, sealed: bool | None = None) -> SlotState:
    """The state of a Slot instance (`sealed` defaults to `slot.is_sealed`)."""
    return slot_state(
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        countersigned=slot.countersigned_at is not None,
        sealed=slot.is_sealed if sealed is None else sealed,
        now=now,
    )
