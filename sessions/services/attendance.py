"""Émargement services: every way an attendance row is written goes through here
(tablet, QR code, remote link, paper key-in, trainer marks, countersignature, closing,
rectification), so the rules hold whatever the entry point.

Errors are `AttendanceError(message_fr, code=...)`; the codes are stable and listed in
each docstring. Every write leaves an audit-log entry.

Locks: every service that writes rows of a slot first locks the slot row
(`SELECT ... FOR UPDATE`). On PostgreSQL this serialises signers, marks and the close of
one half-day, so "is it sealed?" / "does a row exist?" cannot change between the check
and the write. `slot_close` locks the session row *before* the slot (seals of a session
form one chain); nothing locks in the other order, so there is no deadlock. On SQLite,
`transaction_mode=IMMEDIATE` already serialises every write transaction.
"""

import datetime as dt
import hashlib
import ipaddress

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.french import time_zone_label
from sessions.exceptions import AttendanceError
from sessions.models import (
    Attendance,
    Enrolment,
    PaperSheetScan,
    Rectification,
    Seal,
    Slot,
    TrainingSession,
)
from sessions.permissions import can_run_session, trains_session
from sessions.presence import Presence, attendance_text, resolve_presence
from sessions.sealing import iso_utc, rectification_digest, seal_slot, slot_chain_head
from sessions.selectors.locks import slot_is_sealed
from sessions.signatures import validate_signature
from sessions.states import closes_at, countersign_opens_at, opens_at

SIGN_METHODS = frozenset(
    {Attendance.Method.TABLET, Attendance.Method.QR_CODE, Attendance.Method.REMOTE_LINK}
)
# A trainer may record someone present, late or gone early before that person signs:
# the signature is then attached to the trainer's row instead of being refused.
ATTACHABLE_STATUSES = frozenset({Attendance.Status.PRESENT, *Attendance.PARTIAL_STATUSES})


# --- Windows ------------------------------------------------------------------------


def signing_window(*, slot: Slot) -> tuple[dt.datetime, dt.datetime]:
    """When participants may sign: [start − margin, end + margin] (SUIVI_SIGNING_MARGIN_MINUTES)."""
    return opens_at(slot.starts_at), closes_at(slot.ends_at)


def ensure_signing_window(*, slot: Slot, now: dt.datetime | None = None) -> None:
    """Raises AttendanceError(code="outside_window") naming the window in the session's
    local time when `now` is outside it."""
    now = now or timezone.now()
    opens, closes = signing_window(slot=slot)
    if opens <= now <= closes:
        return
    tz = slot.session.tzinfo
    local_open, local_close = timezone.localtime(opens, tz), timezone.localtime(closes, tz)
    if local_open.date() == local_close.date():
        window = _("le %(date)s de %(start)s à %(end)s") % {
            "date": local_open.strftime("%d/%m/%Y"),
            "start": local_open.strftime("%H:%M"),
            "end": local_close.strftime("%H:%M"),
        }
    else:
        window = _("du %(start)s au %(end)s") % {
            "start": local_open.strftime("%d/%m/%Y %H:%M"),
            "end": local_close.strftime("%d/%m/%Y %H:%M"),
        }
    state = _("n'est pas encore ouvert") if now < opens else _("est clos")
    raise AttendanceError(
        _("L'émargement de cette demi-journée %(state)s : il est possible %(window)s (%(tz)s).")
        % {"state": state, "window": window, "tz": time_zone_label(slot.session.time_zone)},
        code="outside_window",
    )


# --- Shared checks ------------------------------------------------------------------


def _lock_slot(slot_id: int) -> Slot:
    """A fresh copy of the slot, its row locked until the transaction ends."""
    # of=("self",): lock the slot row only, never the joined session row, so the lock
    # order session → slot of slot_close cannot be inverted here.
    return Slot.objects.select_for_update(of=("self",)).select_related("session").get(pk=slot_id)


def _ensure_same_session(enrolment: Enrolment, slot: Slot) -> None:
    if enrolment.session_id != slot.session_id:
        raise AttendanceError(
            _("Cette personne n'est pas inscrite à la session de cette demi-journée."),
            code="wrong_session",
        )


def _ensure_not_sealed(slot: Slot) -> None:
    if slot_is_sealed(slot=slot):
        raise AttendanceError(
            _(
                "Cette demi-journée est close et scellée : elle ne peut plus être modifiée "
                "que par une rectification motivée."
            ),
            code="slot_sealed",
        )


def _ensure_started(slot: Slot, now: dt.datetime) -> None:
    # A paper sheet cannot have been signed, nor a half-day vouched for, before it began.
    if now < slot.starts_at:
        start = timezone.localtime(slot.starts_at, slot.session.tzinfo)
        raise AttendanceError(
            _("Cette demi-journée n'a pas encore commencé (début le %(start)s, %(tz)s).")
            % {
                "start": start.strftime("%d/%m/%Y à %H:%M"),
                "tz": time_zone_label(slot.session.time_zone),
            },
            code="slot_not_started",
        )


def _ensure_open_for_marks(slot: Slot, now: dt.datetime) -> None:
    # The trainer records what they see in the room: from the moment the half-day opens
    # for signing, not days ahead (an absence announced in advance is noted then).
    if now < opens_at(slot.starts_at):
        start = timezone.localtime(slot.starts_at, slot.session.tzinfo)
        raise AttendanceError(
            _(
                "Cette demi-journée n'est pas encore ouverte (début le %(start)s, %(tz)s) : "
                "les présences se relèvent pendant la demi-journée."
            )
            % {
                "start": start.strftime("%d/%m/%Y à %H:%M"),
                "tz": time_zone_label(slot.session.time_zone),
            },
            code="slot_not_started",
        )


def _ensure_times_past(presence: Presence, slot: Slot, now: dt.datetime) -> None:
    """An arrival or a departure the trainer saw has happened: never later than now."""
    for moment, what in ((presence.arrived_at, _("d'arrivée")), (presence.left_at, _("de départ"))):
        if moment is not None and moment > now:
            raise AttendanceError(
                _("L'heure %(what)s %(time)s n'est pas encore passée.")
                % {
                    "what": what,
                    "time": timezone.localtime(moment, slot.session.tzinfo).strftime("%H:%M"),
                },
                code="time_in_future",
            )


def _ensure_ending(slot: Slot, now: dt.datetime, *, countersigning: bool) -> None:
    """The trainer vouches for a half-day at its end (from SUIVI_SIGNING_MARGIN_MINUTES
    before it, to countersign) and closes it once it is over: before that, people may
    still arrive, sign and be counted, and the close would strike them out as absent.
    Code: slot_not_ended."""
    limit = countersign_opens_at(slot.ends_at) if countersigning else slot.ends_at
    if now >= limit:
        return
    if countersigning:
        message = _("On contresigne une demi-journée à sa fin : à partir du %(when)s (%(tz)s).")
    else:
        message = _(
            "On clôt une demi-journée une fois finie : à partir du %(when)s (%(tz)s). "
            "D'ici là, des personnes peuvent encore arriver et signer."
        )
    raise AttendanceError(
        message
        % {
            "when": timezone.localtime(limit, slot.session.tzinfo).strftime("%d/%m/%Y à %H:%M"),
            "tz": time_zone_label(slot.session.time_zone),
        },
        code="slot_not_ended",
    )


def _participant_name(enrolment: Enrolment) -> str:
    return enrolment.participant.full_name


def _snapshot(attendance: Attendance, enrolment: Enrolment) -> None:
    """The name and structure the sheet prints beside this row, as they are now."""
    participant = enrolment.participant
    attendance.signer_name = participant.full_name[:255]
    attendance.signer_structure = participant.structure.name[:200]


def _clean_nonce(nonce) -> str | None:
    if nonce is None or nonce == "":
        return None
    nonce = str(nonce)
    # The column holds 64 characters; a longer client nonce is kept as its SHA-256.
    return nonce if len(nonce) <= 64 else hashlib.sha256(nonce.encode()).hexdigest()


def _clean_ip(ip) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(str(ip).strip()))
    except ValueError:
        return None


def _clean_device_time(value) -> dt.datetime | None:
    """The client's own clock, informational only: an unreadable value is dropped
    rather than refusing the signature."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)  # JS Date.now()
        else:
            moment = parse_datetime(str(value))
    except (ValueError, OverflowError, OSError):
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _same_device_signatures(
    *, slot: Slot, enrolment: Enrolment, device_ticket: str | None, device_id: str | None
) -> list[int]:
    """Ids of other people's signatures of this half-day from the same scan ticket or
    phone (QR code signatures only: the trainer's tablet is shared by design)."""
    same = Q()
    if device_ticket:
        same |= Q(device_ticket=device_ticket)
    if device_id:
        same |= Q(device_id=device_id)
    if not same:
        return []
    return list(
        Attendance.objects.filter(same, slot=slot, method=Attendance.Method.QR_CODE)
        .exclude(enrolment=enrolment)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _already_signed(existing: Attendance, enrolment: Enrolment) -> AttendanceError:
    name = _participant_name(enrolment)
    if existing.status in Attendance.ABSENT_STATUSES and not existing.is_signed:
        return AttendanceError(
            _(
                "%(name)s a été noté·e absent·e pour cette demi-journée : "
                "voyez avec le formateur ou la formatrice pour corriger."
            )
            % {"name": name},
            code="already_signed",
        )
    return AttendanceError(
        _("L'émargement de %(name)s pour cette demi-journée est déjà enregistré.") % {"name": name},
        code="already_signed",
    )


def _attendance_values(attendance) -> dict:
    """What a trainer records (status, times, minutes attended), JSON-ready: the audit
    journal and rectifications keep it."""
    return {
        "status": attendance.status,
        "minutes_attended": attendance.minutes_attended,
        "arrived_at": iso_utc(attendance.arrived_at),
        "left_at": iso_utc(attendance.left_at),
    }


def _apply(attendance: Attendance, presence: Presence) -> None:
    attendance.status = presence.status
    attendance.arrived_at = presence.arrived_at
    attendance.left_at = presence.left_at
    attendance.minutes_attended = presence.minutes_attended


# --- Participant signature ----------------------------------------------------------


@transaction.atomic
def attendance_sign(
    *,
    enrolment: Enrolment,
    slot: Slot,
    signature: dict,
    method: str,
    ip: str | None,
    user_agent: str,
    nonce: str | None = None,
    device_signed_at=None,
    device_ticket: str | None = None,
    device_id: str | None = None,
    now: dt.datetime | None = None,
) -> Attendance:
    """Records a participant's own signature for one half-day (tablet, QR code, remote link).

    Writes one Attendance (status present, the normalised vector signature, server time
    `signed_at`, the device's clock if given, IP, user agent, nonce, the scan ticket and
    phone ids if given) or, when the trainer already recorded the person present / late /
    left early without a signature, attaches the signature to that row. Audit action
    `attendance.sign`.

    One phone, one person (QR code): another person's signature of the same half-day
    with the same `device_ticket` (one visit of the QR page) or `device_id` (the phone's
    cookie) is refused with device_already_used — unless the session allows shared
    phones (`TrainingSession.allow_shared_devices`): it is then written, and the audit
    entry names the rows it shares a phone with (`shared_device_with`); the trainer's
    page and `sessions.selectors.risks.shared_device_signatures` show it.

    Idempotent: a retry with the same nonce returns the row already written (even once
    the window closed or the slot was sealed: it is the same signature).

    Codes: wrong_session, slot_sealed, outside_window, invalid_signature, already_signed,
    device_already_used, nonce_reused (a nonce already used for someone else or another
    half-day).
    """
    if method not in SIGN_METHODS:
        raise ValueError(f"attendance_sign does not record method {method!r}")
    now = now or timezone.now()
    _ensure_same_session(enrolment, slot)
    slot = _lock_slot(slot.pk)
    nonce = _clean_nonce(nonce)
    if nonce is not None:
        replay = Attendance.objects.filter(nonce=nonce).first()
        if replay is not None:
            if replay.enrolment_id == enrolment.pk and replay.slot_id == slot.pk:
                return replay
            raise AttendanceError(
                _("Cette signature a déjà été envoyée pour une autre personne ou demi-journée."),
                code="nonce_reused",
            )
    _ensure_not_sealed(slot)
    ensure_signing_window(slot=slot, now=now)
    clean_signature = validate_signature(signature)

    attendance = Attendance.objects.filter(enrolment=enrolment, slot=slot).first()
    attached = attendance is not None
    if attached:
        if (
            attendance.signature
            or attendance.method != Attendance.Method.TRAINER
            or (attendance.status not in ATTACHABLE_STATUSES)
        ):
            raise _already_signed(attendance, enrolment)
    # A scan ticket or phone id is kept like a nonce (64 characters at most).
    device_ticket, device_id = _clean_nonce(device_ticket), _clean_nonce(device_id)
    shared_with = []
    if method == Attendance.Method.QR_CODE:
        # Checked under the slot lock taken above: two people signing from one phone at
        # the same moment are serialised, the second sees the first's row.
        shared_with = _same_device_signatures(
            slot=slot, enrolment=enrolment, device_ticket=device_ticket, device_id=device_id
        )
        if shared_with and not slot.session.allow_shared_devices:
            raise AttendanceError(
                _(
                    "Ce téléphone a déjà servi à émarger pour une autre personne pendant "
                    "cette demi-journée. Chaque personne signe sur son propre téléphone, "
                    "ou sur la tablette du formateur."
                ),
                code="device_already_used",
            )
    if not attached:
        attendance = Attendance(enrolment=enrolment, slot=slot, status=Attendance.Status.PRESENT)
    # The name printed beside the signature is the one the person has when signing.
    _snapshot(attendance, enrolment)
    attendance.signature = clean_signature
    attendance.method = method
    attendance.signed_at = now
    attendance.device_signed_at = _clean_device_time(device_signed_at)
    attendance.ip_address = _clean_ip(ip)
    # NUL dropped: the header is anyone's to send, and PostgreSQL refuses NUL in text.
    attendance.user_agent = (user_agent or "").replace("\x00", "")[:500]
    attendance.nonce = nonce
    attendance.device_ticket = device_ticket
    attendance.device_id = device_id
    # Uniqueness is left to the database (checked above, enforced by the constraint) so a
    # lost race surfaces as IntegrityError below, not as a ValidationError.
    attendance.full_clean(validate_unique=False, validate_constraints=False)
    try:
        # A savepoint: the outer transaction stays usable after the constraint fires.
        with transaction.atomic():
            attendance.save()
    except IntegrityError:
        # Another request for the same person and half-day won (possible where the slot
        # lock is not taken, e.g. a row written by other code). Same answer as if it had
        # committed before we looked.
        winner = Attendance.objects.filter(enrolment=enrolment, slot=slot).first()
        if winner is not None:
            if nonce is not None and winner.nonce == nonce:
                return winner
            raise _already_signed(winner, enrolment) from None
        raise AttendanceError(
            _("Cette signature a déjà été envoyée pour une autre personne ou demi-journée."),
            code="nonce_reused",
        ) from None
    summary = _("Émargement de %(name)s (%(slot)s)") % {
        "name": _participant_name(enrolment),
        "slot": slot,
    }
    if shared_with:
        summary += " — " + _(
            "même téléphone qu'une autre signature (téléphones partagés autorisés)"
        )
    log_action(
        actor=None,
        action="attendance.sign",
        obj=attendance,
        summary=summary,
        ip=attendance.ip_address,
        data={
            "slot": slot.pk,
            "enrolment": enrolment.pk,
            "method": method,
            "signed_at": iso_utc(now),
            "device_signed_at": iso_utc(attendance.device_signed_at),
            "ip": attendance.ip_address,
            "attached_to_trainer_row": attached,
            "device_ticket": device_ticket,
            "device_id": device_id,
            "shared_device_with": shared_with,
        },
    )
    return attendance


# --- Trainer actions ----------------------------------------------------------------


@transaction.atomic
def attendance_mark(
    *,
    enrolment: Enrolment,
    slot: Slot,
    status: str,
    actor,
    arrived_at: dt.datetime | None = None,
    left_at: dt.datetime | None = None,
    minutes_missed: int | None = None,
    minutes_attended: int | None = None,
    now: dt.datetime | None = None,
) -> Attendance:
    """The trainer records what they see: present, late (arrival time), left early
    (departure time), late and left early (both), absent, absent excused. Minutes missed
    may stand for a time (see `sessions.presence.resolve_presence`).

    Updates the person's row for the slot (keeping any signature) or creates one
    (method `trainer`, no signature, `recorded_by` = actor). A row signed by the
    participant is never turned into an absence silently. Audit action
    `attendance.mark` with old and new values.

    Codes: not_trainer, wrong_session, slot_sealed, slot_not_started (before the signing
    window opens), invalid_status, invalid_time, invalid_minutes, time_required,
    time_in_future, signed_cannot_be_absent.
    """
    now = now or timezone.now()
    _ensure_same_session(enrolment, slot)
    slot = _lock_slot(slot.pk)
    _ensure_runs_session(actor, slot.session)
    _ensure_not_sealed(slot)
    _ensure_open_for_marks(slot, now)
    presence = resolve_presence(
        slot=slot,
        status=status,
        arrived_at=arrived_at,
        left_at=left_at,
        minutes_missed=minutes_missed,
        minutes_attended=minutes_attended,
    )
    _ensure_times_past(presence, slot, now)
    attendance = Attendance.objects.filter(enrolment=enrolment, slot=slot).first()
    if attendance is None:
        old = None
        attendance = Attendance(enrolment=enrolment, slot=slot, method=Attendance.Method.TRAINER)
        _snapshot(attendance, enrolment)
    else:
        old = _attendance_values(attendance)
        if presence.status in Attendance.ABSENT_STATUSES and attendance.is_signed:
            raise AttendanceError(
                _(
                    "%(name)s a signé pour cette demi-journée : une personne qui a signé ne "
                    "peut pas être notée absente. Après la clôture, passez par une "
                    "rectification motivée."
                )
                % {"name": _participant_name(enrolment)},
                code="signed_cannot_be_absent",
            )
    _apply(attendance, presence)
    attendance.recorded_by = actor
    attendance.full_clean(validate_unique=False, validate_constraints=False)
    attendance.save()
    log_action(
        actor=actor,
        action="attendance.mark",
        obj=attendance,
        summary=_("%(name)s : %(status)s (%(slot)s)")
        % {
            "name": _participant_name(enrolment),
            "status": attendance_text(attendance, slot),
            "slot": slot,
        },
        data={
            "slot": slot.pk,
            "enrolment": enrolment.pk,
            "old": old,
            "new": _attendance_values(attendance),
            "at": iso_utc(now),
        },
    )
    return attendance


@transaction.atomic
def attendance_key_in(
    *,
    enrolment: Enrolment,
    slot: Slot,
    status: str,
    scan: PaperSheetScan | None,
    actor,
    arrived_at: dt.datetime | None = None,
    left_at: dt.datetime | None = None,
    minutes_missed: int | None = None,
    minutes_attended: int | None = None,
    now: dt.datetime | None = None,
) -> Attendance:
    """Keys in one line of a paper sheet signed in the room (status, and the arrival or
    departure time written on it, or the minutes missed or attended).

    `scan` must be a PaperSheetScan of this slot: keyed-in attendance counts only with
    the scanned sheet attached. Creates or updates the row with method `paper`, the
    scan, `recorded_by` = actor; a row the participant signed electronically is left
    alone. Audit action `attendance.key_in`.

    Codes: not_trainer, wrong_session, slot_sealed, slot_not_started, scan_missing,
    invalid_status, invalid_time, invalid_minutes, time_required, time_in_future,
    already_signed.
    """
    now = now or timezone.now()
    _ensure_same_session(enrolment, slot)
    slot = _lock_slot(slot.pk)
    _ensure_runs_session(actor, slot.session)
    _ensure_not_sealed(slot)
    _ensure_started(slot, now)
    if scan is None or scan.slot_id != slot.pk:
        raise AttendanceError(
            _(
                "Joignez d'abord le scan de la feuille papier de cette demi-journée : "
                "la saisie papier ne compte qu'avec la feuille scannée."
            ),
            code="scan_missing",
        )
    presence = resolve_presence(
        slot=slot,
        status=status,
        arrived_at=arrived_at,
        left_at=left_at,
        minutes_missed=minutes_missed,
        minutes_attended=minutes_attended,
    )
    _ensure_times_past(presence, slot, now)
    attendance = Attendance.objects.filter(enrolment=enrolment, slot=slot).first()
    old = None
    if attendance is None:
        attendance = Attendance(enrolment=enrolment, slot=slot)
    elif attendance.signature:
        raise _already_signed(attendance, enrolment)
    else:
        old = _attendance_values(attendance)
    # The paper line is the person's signature: name them as they are when it is keyed in.
    _snapshot(attendance, enrolment)
    _apply(attendance, presence)
    attendance.method = Attendance.Method.PAPER
    attendance.paper_scan = scan
    attendance.recorded_by = actor
    attendance.full_clean(validate_unique=False, validate_constraints=False)
    attendance.save()
    log_action(
        actor=actor,
        action="attendance.key_in",
        obj=attendance,
        summary=_("Saisie papier : %(name)s, %(status)s (%(slot)s)")
        % {
            "name": _participant_name(enrolment),
            "status": attendance_text(attendance, slot),
            "slot": slot,
        },
        data={
            "slot": slot.pk,
            "enrolment": enrolment.pk,
            "scan": scan.pk,
            "scan_sha256": scan.sha256,
            "old": old,
            "new": _attendance_values(attendance),
            "at": iso_utc(now),
        },
    )
    return attendance


def _ensure_runs_session(user, session: TrainingSession) -> None:
    if user is None or not can_run_session(user, session):
        raise AttendanceError(
            _(
                "Seul·e un·e formateur·rice de la session ou un·e coordinateur·rice "
                "peut faire cela."
            ),
            code="not_trainer",
        )


@transaction.atomic
def slot_countersign(
    *, slot: Slot, trainer, signature: dict, now: dt.datetime | None = None
) -> Slot:
    """The trainer countersigns the half-day (same vector signature format).

    Stores `countersignature`, `countersigned_by`, `countersigned_at` (a new
    countersignature before the close replaces the previous one). Audit action
    `slot.countersign`. Returns the updated slot (the instance passed in is updated too).

    Codes: not_trainer (not one of the session's trainers), slot_sealed, slot_not_ended
    (more than SUIVI_SIGNING_MARGIN_MINUTES before the end), invalid_signature.
    """
    now = now or timezone.now()
    locked = _lock_slot(slot.pk)
    # The sheet shows this signature as the trainer's: a coordinator may run the half-day
    # but does not countersign in a trainer's place.
    if not trains_session(trainer, locked.session):
        raise AttendanceError(
            _("Seul·e un·e formateur·rice de cette session peut contresigner."),
            code="not_trainer",
        )
    _ensure_not_sealed(locked)
    _ensure_ending(locked, now, countersigning=True)
    clean_signature = validate_signature(signature)
    replaced = locked.countersigned_at is not None
    locked.countersignature = clean_signature
    locked.countersigned_by = trainer
    locked.countersigned_at = now
    locked.full_clean(validate_unique=False, validate_constraints=False)
    locked.save(update_fields=["countersignature", "countersigned_by", "countersigned_at"])
    slot.countersignature, slot.countersigned_by, slot.countersigned_at = (
        clean_signature,
        trainer,
        now,
    )
    log_action(
        actor=trainer,
        action="slot.countersign",
        obj=locked,
        summary=_("Contre-signature de %(slot)s") % {"slot": locked},
        data={"slot": locked.pk, "at": iso_utc(now), "replaced": replaced},
    )
    return locked


@transaction.atomic
def slot_close(*, slot: Slot, actor, now: dt.datetime | None = None) -> Seal:
    """Closes and seals a countersigned half-day.

    Every enrolment of the session without a row for this slot gets an `absent` row
    (method `closing`, no signature: « Absent — constaté à la clôture »): on the sheet the
    empty cells are struck out, so nobody can sign afterwards. Then the slot is sealed
    (`sessions.sealing.seal_slot`): a digest over every row, chained to the session's
    previous seal. Audit action
    `slot.close`. Returns the Seal.

    Codes: not_trainer, already_sealed, not_countersigned, slot_not_ended (before the
    half-day's end).
    """
    now = now or timezone.now()
    # Session first, then slot: the session lock keeps the seal chain linear when two
    # half-days of one session are closed at the same moment (same sequence otherwise).
    session = TrainingSession.objects.select_for_update().get(pk=slot.session_id)
    slot = _lock_slot(slot.pk)
    _ensure_runs_session(actor, session)
    if slot_is_sealed(slot=slot):
        raise AttendanceError(
            _("Cette demi-journée est déjà close et scellée."), code="already_sealed"
        )
    if not slot.is_countersigned:
        raise AttendanceError(
            _(
                "La demi-journée doit être contre-signée par le formateur ou la formatrice "
                "avant d'être close."
            ),
            code="not_countersigned",
        )
    _ensure_ending(slot, now, countersigning=False)
    missing = list(
        Enrolment.objects.filter(session_id=session.pk)
        .exclude(attendances__slot=slot)
        .select_related("participant__structure")
    )
    absent_rows = []
    for enrolment in missing:
        row = Attendance(
            enrolment=enrolment,
            slot=slot,
            status=Attendance.Status.ABSENT,
            method=Attendance.Method.CLOSING,
            recorded_by=actor,
        )
        _snapshot(row, enrolment)
        absent_rows.append(row)
    Attendance.objects.bulk_create(absent_rows)
    seal = seal_slot(slot=slot, actor=actor, now=now)
    log_action(
        actor=actor,
        action="slot.close",
        obj=seal,
        summary=ngettext(
            "Clôture et scellement de %(slot)s (%(absent)d absence constatée)",
            "Clôture et scellement de %(slot)s (%(absent)d absences constatées)",
            len(missing),
        )
        % {"slot": slot, "absent": len(missing)},
        # verify_seals reads session, slot and digest back from this entry.
        data={
            "session": session.pk,
            "slot": slot.pk,
            "slot_label": str(slot),
            "sequence": seal.sequence,
            "digest": seal.digest,
            "previous_digest": seal.previous_digest,
            "records": len(seal.record_digests),
            "absent_added": [enrolment.pk for enrolment in missing],
        },
    )
    return seal


@transaction.atomic
def attendance_rectify(
    *,
    attendance: Attendance,
    status: str,
    reason: str,
    author,
    arrived_at: dt.datetime | None = None,
    left_at: dt.datetime | None = None,
    minutes_missed: int | None = None,
    minutes_attended: int | None = None,
    now: dt.datetime | None = None,
) -> Rectification:
    """Corrects a sealed émargement: the row takes the new values and an append-only
    Rectification keeps old and new values (status, times, minutes attended), author,
    reason, time, and its digest chained to the slot's chain head (the seal, then earlier
    rectifications), so `verify_seals` can tell it from a silent edit. Only someone who
    runs the session (its trainers, coordinators) may rectify. Audit action
    `attendance.rectify`.

    Codes: not_trainer, not_sealed, reason_required, invalid_status, invalid_time,
    invalid_minutes, time_required, no_change.
    """
    now = now or timezone.now()
    slot = _lock_slot(attendance.slot_id)
    _ensure_runs_session(author, slot.session)
    if not slot_is_sealed(slot=slot):
        raise AttendanceError(
            _("Cette demi-journée n'est pas encore scellée : modifiez directement l'émargement."),
            code="not_sealed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise AttendanceError(_("Indiquez le motif de la rectification."), code="reason_required")
    presence = resolve_presence(
        slot=slot,
        status=status,
        arrived_at=arrived_at,
        left_at=left_at,
        minutes_missed=minutes_missed,
        minutes_attended=minutes_attended,
    )
    row = Attendance.objects.select_related("enrolment__participant").get(pk=attendance.pk)
    old = _attendance_values(row)
    new = _attendance_values(presence)
    if old == new:
        raise AttendanceError(
            _("La rectification ne change rien à l'émargement."), code="no_change"
        )
    # Every recorded field is kept on both sides (not only those that changed), so each
    # side reads as a whole status: « Retard : arrivée 09:20, 20 min manquées ».
    rectification = Rectification(
        attendance=row,
        old_values=old,
        new_values=new,
        reason=reason,
        author=author,
        created_at=now,
        previous_digest=slot_chain_head(slot=slot),
    )
    rectification.digest = rectification_digest(rectification)
    rectification.full_clean()
    _apply(row, presence)
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save(update_fields=["status", "minutes_attended", "arrived_at", "left_at", "updated_at"])
    rectification.save()
    _apply(attendance, presence)
    log_action(
        actor=author,
        action="attendance.rectify",
        obj=rectification,
        summary=_("Rectification de l'émargement de %(name)s (%(slot)s) : %(reason)s")
        % {"name": _participant_name(row.enrolment), "slot": slot, "reason": reason},
        data={
            "attendance": row.pk,
            "old": rectification.old_values,
            "new": rectification.new_values,
            "digest": rectification.digest,
        },
    )
    return rectification


__all__ = [
    "attendance_key_in",
    "attendance_mark",
    "attendance_rectify",
    "attendance_sign",
    "ensure_signing_window",
    "signing_window",
    "slot_close",
    "slot_countersign",
]
