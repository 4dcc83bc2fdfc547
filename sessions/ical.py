"""iCalendar rendering of sessions (RFC 5545). A pure module: it takes sessions and their
slots already loaded (callers `select_related("formation")` and prefetch the slots) and
returns bytes; it runs no query of its own.

Rules (STYLE.md, "Calendars"):
- one VEVENT per local day of a session, from the day's first half-day start to its last
  half-day end, the half-days listed in the description;
- stable PRODID and UIDs (`session-{pk}-{YYYYMMDD}@{host}`), an explicit DTSTAMP, so two
  renders of the same data give the same bytes and calendar clients update events in place
  instead of duplicating them;
- always a DTEND; aware datetimes in the session's own zone (TZID=Indian/Mayotte for a
  session in Mayotte) with the matching VTIMEZONE, which icalendar 7 only adds on request;
- no personal data in feeds: no participant is named; only the personal convocation
  (`for_participant`) carries that participant's own address as ATTENDEE;
- SEQUENCE is the session's `calendar_sequence`, raised by `session_save` when the
  half-days, place, status… change: calendar clients replace an event only by one with
  a higher SEQUENCE (or an equal one with a later DTSTAMP), so a convocation re-sent
  after a change updates the entry instead of being ignored as an old copy.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from itertools import groupby
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from formations.french import time_zone_label

PRODID = "-//Suivi Formations//FR"
# Used as DTSTAMP when a session has no creation time (unsaved object): a fixed value
# keeps the output reproducible.
FALLBACK_STAMP = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def calendar_host() -> str:
    """Host part of the UIDs: the public host of the application."""
    return urlsplit(settings.SUIVI_BASE_URL).hostname or "localhost"


def event_uid(session, day: dt.date) -> str:
    return f"session-{session.pk}-{day:%Y%m%d}@{calendar_host()}"


def session_location(session) -> str:
    """Place and address; the visio link for a session held only at a distance."""
    if session.modality == session.Modality.REMOTE and session.remote_url:
        return session.remote_url
    parts = [part for part in (session.place, session.address) if part]
    return ", ".join(parts) or session.remote_url


def session_days(
    session, slots: Iterable
) -> list[tuple[dt.date, list[tuple[dt.datetime, dt.datetime]]]]:
    """The session's half-days grouped by LOCAL day (a 08:00 slot in Mayotte is 05:00 UTC,
    but a 01:00 slot in Nouméa falls on the previous UTC day: group after conversion)."""
    tz = session.tzinfo
    local = sorted(
        (timezone.localtime(slot.starts_at, tz), timezone.localtime(slot.ends_at, tz))
        for slot in slots
    )
    return [(day, list(items)) for day, items in groupby(local, key=lambda pair: pair[0].date())]


def _description(session, half_days: Sequence[tuple[dt.datetime, dt.datetime]]) -> str:
    lines = [
        f"{session.formation.title}",
        f"Session {session.code}",
        "Demi-journées : " + ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in half_days),
    ]
    if session.time_zone != "Europe/Paris":
        lines.append(f"Horaires en {time_zone_label(session.time_zone)}")
    if session.remote_url and session.modality != session.Modality.ON_SITE:
        lines.append(f"Lien de connexion : {session.remote_url}")
    return "\n".join(lines)


def session_events(
    session, slots: Iterable, *, for_participant=None, stamp: dt.datetime | None = None
) -> list[Event]:
    """One VEVENT per local day of the session. DTSTAMP is `stamp`, else the session's
    creation time: never "now", so that rendering twice gives the same bytes."""
    stamp = stamp or session.created_at or FALLBACK_STAMP
    summary = f"{session.formation.title} — {session.code}"
    location = session_location(session) or None
    cancelled = session.status == session.Status.CANCELLED
    events = []
    for day, half_days in session_days(session, slots):
        event = Event.new(
            uid=event_uid(session, day),
            stamp=stamp.astimezone(dt.UTC).replace(microsecond=0),
            start=half_days[0][0],
            # The day's last half-day end: DTEND is exclusive, which is what we want.
            end=max(end for _, end in half_days),
            summary=summary,
            description=_description(session, half_days),
            location=location,
            status="CANCELLED" if cancelled else "CONFIRMED",
            transparency="OPAQUE",
            sequence=session.calendar_sequence or 0,
        )
        if for_participant is not None and for_participant.email:
            attendee = vCalAddress(f"mailto:{for_participant.email}")
            attendee.params["CN"] = for_participant.full_name
            attendee.params["ROLE"] = "REQ-PARTICIPANT"
            attendee.params["PARTSTAT"] = "NEEDS-ACTION"
            attendee.params["RSVP"] = "FALSE"
            event.add("attendee", attendee)
        events.append(event)
    return events


def _organizer() -> vCalAddress:
    # DEFAULT_FROM_EMAIL may be "Name <address>": ORGANIZER takes the bare address.
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["CN"] = name or "Suivi Formations"
    return organizer


def _calendar(*, uid: str, name: str, method: str, events: Iterable[Event]) -> bytes:
    calendar = Calendar.new(prodid=PRODID, uid=uid, name=name, method=method, calscale="GREGORIAN")
    for event in events:
        calendar.add_component(event)
    # icalendar 7 does not add VTIMEZONE by itself; without it, clients must guess what
    # TZID=Indian/Mayotte means (most do, some fall back to UTC or floating time).
    calendar.add_missing_timezones()
    # icalendar's generated VTIMEZONE says, in English, the years its rules cover: not
    # for a French reader's calendar, and clients do not need it.
    for zone in calendar.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)
    return calendar.to_ical()


def session_calendar(
    session, *, slots: Iterable, for_participant=None, stamp: dt.datetime | None = None
) -> bytes:
    """The calendar of one session. With `for_participant`, an invitation (METHOD:REQUEST,
    ORGANIZER and that participant as ATTENDEE) to attach to the convocation e-mail;
    otherwise a plain publication without personal data.

    `stamp` (DTSTAMP) defaults to the session's creation time. A convocation passes its
    sending time: with an unchanged SEQUENCE, clients apply the invitation whose DTSTAMP
    is the latest (RFC 5546 §2.1.5), so a convocation re-sent after a change of
    schedule updates the event already in the participant's agenda."""
    events = session_events(session, slots, for_participant=for_participant, stamp=stamp)
    if for_participant is not None:
        organizer = _organizer()
        for event in events:
            event.add("organizer", organizer)
        method = "REQUEST"
    else:
        method = "PUBLISH"
    return _calendar(
        uid=f"session-{session.pk}@{calendar_host()}",
        name=f"{session.formation.title} — {session.code}",
        method=method,
        events=events,
    )


def feed_calendar(
    sessions_with_slots: Iterable[tuple], *, name: str, uid: str | None = None
) -> bytes:
    """A subscription feed: every (session, slots) pair given, one VEVENT per day.
    `name` is shown by calendar clients; keep personal data out of it."""
    events = []
    for session, slots in sessions_with_slots:
        events.extend(session_events(session, slots))
    return _calendar(
        uid=uid or f"feed-{hashlib.sha256(name.encode()).hexdigest()[:16]}@{calendar_host()}",
        name=name,
        method="PUBLISH",
        events=events,
    )
