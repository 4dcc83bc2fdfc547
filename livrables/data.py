"""Plain, frozen data handed to the PDF renderers. Every query a document needs runs here,
in a constant number whatever the number of participants or half-days; the renderers in
`livrables.pdf` never touch the ORM."""

import datetime as dt
import hashlib
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import time_zone_label, user_name
from sessions.models import Attendance, TrainingSession
from sessions.presence import presence_text, signed_as_text, values_text
from sessions.selectors.sheet import session_records
from sessions.states import closes_at

# ---------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Signature:
    """A drawn signature: polylines in the pad's CSS pixels (y grows downwards)."""

    width: float
    height: float
    strokes: tuple[tuple[tuple[float, float], ...], ...]

    @property
    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)


@dataclass(frozen=True)
class FunderInfo:
    kind: str
    kind_label: str
    name: str
    sentence: str
    is_eu: bool
    # The logo's bytes, read through the storage API (never a path: the media storage may
    # be an object store); None without a logo or when it cannot be read.
    emblem: bytes | None = None


@dataclass(frozen=True)
class SlotInfo:
    pk: int
    index: int  # 1-based position on the sheet
    date: dt.date  # local date
    start: dt.time  # local
    end: dt.time  # local
    planned_minutes: int
    countersigned_by: str = ""
    countersigned_at: dt.datetime | None = None  # local
    countersignature: Signature | None = None
    seal_digest: str | None = None
    paper_url: str = ""
    # Sealed, or its signing window is over: an empty cell can no longer be signed and is
    # struck out; before that (a future or running half-day) it stays blank.
    closed: bool = False

    @property
    def label(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def times(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class Cell:
    """One participant × one half-day. `status` is None when nothing was recorded."""

    status: str | None = None
    status_label: str = ""
    minutes_attended: int | None = None
    planned_minutes: int = 0
    signature: Signature | None = None
    signed_at: dt.datetime | None = None  # local
    method: str = ""
    method_label: str = ""
    rectification_refs: tuple[str, ...] = ()
    closed: bool = False

    @property
    def is_empty(self) -> bool:
        return self.status is None

    @property
    def is_absent(self) -> bool:
        return self.status in (Attendance.Status.ABSENT, Attendance.Status.ABSENT_EXCUSED)


@dataclass(frozen=True)
class Row:
    participant_name: str
    structure_name: str
    cells: tuple[Cell, ...]
    # The name / structure under which the person signed, when it differs from today's
    # (a rename never silently replaces the name beside a signature).
    signed_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class RectificationInfo:
    ref: str  # "R1", "R2"… referenced from the cells
    participant_name: str
    slot_label: str
    old: str
    new: str
    reason: str
    author: str
    created_at: dt.datetime  # local
    digest: str = ""


@dataclass(frozen=True)
class SealInfo:
    slot_index: int
    slot_label: str
    sequence: int
    digest: str
    previous_digest: str
    sealed_at: dt.datetime  # local
    sealed_by: str

    @property
    def short(self) -> str:
        return self.digest[:16]


@dataclass(frozen=True)
class SheetData:
    number: str
    generated_at: dt.datetime  # aware, in the session's time zone
    programme_reference: str
    programme_title: str
    programme_carrier: str
    contract_reference: str
    formation_title: str
    session_code: str
    place: str
    address: str
    modality: str
    time_zone: str
    time_zone_label: str  # « heure de Mayotte »
    trainers: tuple[str, ...]
    funders: tuple[FunderInfo, ...]
    programme_sentence: str
    slots: tuple[SlotInfo, ...]
    rows: tuple[Row, ...]
    rectifications: tuple[RectificationInfo, ...] = ()
    seals: tuple[SealInfo, ...] = ()
    verification_url: str = ""
    blank: bool = False
    # Not every half-day is sealed yet: the sheet is a preview, marked « document
    # provisoire » on every page and never registered as issued.
    provisional: bool = False
    # Set on a structure's extract (only that structure's people): printed on every page.
    extract_label: str = ""

    @property
    def seal_digests(self) -> tuple[str, ...]:
        return tuple(s.digest for s in self.seals)

    @property
    def first_date(self) -> dt.date | None:
        return self.slots[0].date if self.slots else None

    @property
    def last_date(self) -> dt.date | None:
        return self.slots[-1].date if self.slots else None

    @property
    def has_eu_funder(self) -> bool:
        return any(f.is_eu for f in self.funders)


# ---------------------------------------------------------------------------- helpers


def parse_signature(value) -> Signature | None:
    """The pad's JSON (`{"width", "height", "strokes": [[[x, y, t], …], …]}`) as a
    `Signature`; None when there is nothing drawable. Tolerant: bad points are skipped."""
    if not isinstance(value, dict):
        return None
    strokes = []
    for stroke in value.get("strokes") or ():
        if not isinstance(stroke, list | tuple):
            continue
        points = []
        for point in stroke:
            try:
                points.append((float(point[0]), float(point[1])))
            except (TypeError, ValueError, IndexError, KeyError):
                continue
        if points:
            strokes.append(tuple(points))
    if not strokes:
        return None
    try:
        width = float(value.get("width") or 0)
        height = float(value.get("height") or 0)
    except (TypeError, ValueError):
        width = height = 0.0
    if width <= 0 or height <= 0:
        width = max(x for s in strokes for x, _y in s) or 1.0
        height = max(y for s in strokes for _x, y in s) or 1.0
    return Signature(width=width, height=height, strokes=tuple(strokes))


def funder_infos(funders) -> tuple[FunderInfo, ...]:
    """What every document prints of its programme's funders (emblem band, sentences)."""
    return tuple(
        FunderInfo(
            kind=f.kind,
            kind_label=str(f.get_kind_display()),
            name=f.name,
            sentence=f.publicity_sentence,
            is_eu=f.is_eu_fund,
            emblem=_emblem_bytes(f),
        )
        for f in funders
    )


def attendance_label(attendance, slot, tz) -> str:
    """A half-day's status for one person, in the words of every page (`status_label`),
    with the arrival and departure times in the session's zone `tz`; a half-day without
    any row was struck out at the close: absent, not signed."""
    if attendance is None:
        return _("Absent — non signé")
    return status_label(
        attendance.status,
        attendance.minutes_attended,
        slot.planned_minutes,
        arrival=f"{timezone.localtime(attendance.arrived_at, tz):%H:%M}"
        if attendance.arrived_at
        else None,
        departure=f"{timezone.localtime(attendance.left_at, tz):%H:%M}"
        if attendance.left_at
        else None,
        method=attendance.method,
    )


def status_label(
    status: str | None,
    minutes_attended: int | None,
    planned_minutes: int,
    *,
    arrival: str | None = None,
    departure: str | None = None,
    method: str = "",
) -> str:
    """The words every page uses (`sessions.presence.presence_text`): « Absent »,
    « Retard : arrivée 09:20, 20 min manquées », « Absent — constaté à la clôture »…"""
    return presence_text(
        status=status,
        planned_minutes=planned_minutes,
        minutes_attended=minutes_attended,
        arrival=arrival,
        departure=departure,
        method=method,
    )


def paper_url(slot_pk: int) -> str:
    try:
        path = reverse("sessions:slot_paper", args=[slot_pk])
    except NoReverseMatch:
        path = f"/demi-journees/{slot_pk}/papier/"
    return settings.SUIVI_BASE_URL.rstrip("/") + path


def verification_base_url() -> str:
    """The public verification address, without a number: `SUIVI_VERIFICATION_URL`, or
    `SUIVI_BASE_URL` + "/verifier/" when it is empty. Always ends with "/"."""
    base = getattr(settings, "SUIVI_VERIFICATION_URL", "") or (
        settings.SUIVI_BASE_URL.rstrip("/") + "/verifier/"
    )
    return base if base.endswith("/") else base + "/"


def verification_url(number: str) -> str:
    """Where anyone can check document `number`: printed in the footer and QR-coded on
    every issued document, and linked from the pages that list issued documents."""
    return f"{verification_base_url()}{urllib.parse.quote(number, safe='')}/"


def document_number(
    *, prefix: str, session: TrainingSession, now: dt.datetime, fingerprint: str
) -> str:
    """`EMG-<session code>-<yyyymmddHHMMSS UTC>-<4 hex>`: the suffix comes from the sheet's
    content (seals, rectifications, attendance), so two sheets issued in the same second
    but with different contents still get different numbers."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    suffix = hashlib.sha256(f"{session.pk}|{stamp}|{fingerprint}".encode()).hexdigest()[:4].upper()
    return f"{prefix}-{session.code}-{stamp}-{suffix}"


def alternative_number(number: str, attempt: int) -> str:
    """The same number with another 4-character suffix, for when `number` is already
    registered (the same sheet issued twice in one second: the content, hence the suffix,
    is the same, but the PDF bytes are not)."""
    base, _sep, _suffix = number.rpartition("-")
    suffix = hashlib.sha256(f"{number}|{attempt}".encode()).hexdigest()[:4].upper()
    return f"{base}-{suffix}"


# ---------------------------------------------------------------------------- builder


def build_sheet_data(
    *, session: TrainingSession, blank: bool = False, now=None, structure=None
) -> SheetData:
    """Everything the feuille d'émargement (or, with `blank=True`, the paper sheet to sign)
    shows, as frozen dataclasses.

    With `structure`, an extract for that structure: only its people's rows (and their
    rectifications), an `extract_label` naming the structure, and an `EXT-…` number.

    Queries (constant): session with formation and programme, funders, trainers, slots
    with seal and countersigner, enrolments with participants and structures, and — for
    the signed sheet — attendances and rectifications with their authors.
    """
    now = now or timezone.now()
    records = session_records(session=session, with_attendance=not blank, structure=structure)
    session = records.session
    tz = session.tzinfo
    formation = session.formation
    programme = formation.programme

    funders = funder_infos(records.funders)
    trainers = tuple(user_name(u) for u in records.trainers)
    slots = records.slots
    enrolments = records.enrolments

    slot_infos = []
    seals = []
    for index, slot in enumerate(slots, start=1):
        start, end = timezone.localtime(slot.starts_at, tz), timezone.localtime(slot.ends_at, tz)
        seal = getattr(slot, "seal", None) if slot.is_sealed else None
        info = SlotInfo(
            pk=slot.pk,
            index=index,
            date=start.date(),
            start=start.time(),
            end=end.time(),
            planned_minutes=slot.planned_minutes,
            countersigned_by=user_name(slot.countersigned_by) if not blank else "",
            countersigned_at=(
                timezone.localtime(slot.countersigned_at, tz)
                if slot.countersigned_at and not blank
                else None
            ),
            countersignature=parse_signature(slot.countersignature) if not blank else None,
            seal_digest=seal.digest if seal else None,
            paper_url=paper_url(slot.pk),
            closed=seal is not None or now > closes_at(slot.ends_at),
        )
        slot_infos.append(info)
        if seal is not None:
            seals.append(
                SealInfo(
                    slot_index=index,
                    slot_label=info.label,
                    sequence=seal.sequence,
                    digest=seal.digest,
                    previous_digest=seal.previous_digest,
                    sealed_at=timezone.localtime(seal.sealed_at, tz),
                    sealed_by=user_name(seal.sealed_by),
                )
            )

    attendances = records.attendances
    rectifications: list[RectificationInfo] = []
    refs_by_attendance: dict[int, list[str]] = {}
    if not blank:
        slot_labels = {s.pk: s.label for s in slot_infos}
        slots_by_pk = {s.pk: s for s in slots}
        names = {e.pk: e.participant.full_name for e in enrolments}
        for number, rect in enumerate(records.rectifications, start=1):
            ref = f"R{number}"
            refs_by_attendance.setdefault(rect.attendance_id, []).append(ref)
            rectifications.append(
                RectificationInfo(
                    ref=ref,
                    participant_name=names.get(rect.attendance.enrolment_id, ""),
                    slot_label=slot_labels.get(rect.attendance.slot_id, ""),
                    old=values_text(rect.old_values, slots_by_pk[rect.attendance.slot_id]),
                    new=values_text(rect.new_values, slots_by_pk[rect.attendance.slot_id]),
                    reason=rect.reason,
                    author=user_name(rect.author),
                    created_at=timezone.localtime(rect.created_at, tz),
                    digest=rect.digest,
                )
            )

    rows = []
    for enrolment in enrolments:
        participant = enrolment.participant
        current = (participant.full_name, participant.structure.name)
        cells, signed_as = [], []
        for slot, info in zip(slots, slot_infos, strict=True):
            att = attendances.get((enrolment.pk, slot.pk))
            if att is None:
                cells.append(Cell(planned_minutes=info.planned_minutes, closed=info.closed))
                continue
            cells.append(_cell(att, info, tz, refs_by_attendance))
            label = signed_as_text(att, participant)
            if label and label not in signed_as:
                signed_as.append(label)
        rows.append(
            Row(
                participant_name=current[0],
                structure_name=current[1],
                cells=tuple(cells),
                signed_as=tuple(signed_as),
            )
        )

    fingerprint = "|".join(
        [s.digest for s in seals]
        + [str(len(attendances)), str(len(rectifications)), str(len(enrolments))]
        + [f"{a.pk}:{a.updated_at.isoformat()}" for a in attendances.values()]
        + ([f"structure:{structure.pk}"] if structure is not None else [])
    )
    provisional = not blank and (not slots or any(s.seal_digest is None for s in slot_infos))
    extract_label = ""
    if structure is not None:
        extract_label = _(
            "Extrait — %(structure)s : seules les personnes de cette structure figurent"
        ) % {"structure": structure.name}
    if blank:
        prefix = "EMV"
    elif provisional:
        prefix = "PROV"
    else:
        prefix = "EXT" if structure is not None else "EMG"
    number = document_number(prefix=prefix, session=session, now=now, fingerprint=fingerprint)
    return SheetData(
        number=number,
        generated_at=timezone.localtime(now, tz),
        programme_reference=programme.reference,
        programme_title=programme.title,
        programme_carrier=programme.carrier,
        contract_reference=formation.contract_reference,
        formation_title=formation.title,
        session_code=session.code,
        place=session.place,
        address=session.address,
        modality=str(session.get_modality_display()),
        time_zone=session.time_zone,
        time_zone_label=time_zone_label(session.time_zone),
        trainers=trainers,
        funders=funders,
        programme_sentence=programme.publicity_sentence,
        slots=tuple(slot_infos),
        rows=tuple(rows),
        rectifications=tuple(rectifications),
        seals=tuple(seals),
        # Neither a provisional sheet nor the blank paper sheet is registered: no address
        # to check them at.
        verification_url="" if provisional or blank else verification_url(number),
        blank=blank,
        provisional=provisional,
        extract_label=extract_label,
    )


def _cell(att: Attendance, info: SlotInfo, tz, refs_by_attendance) -> Cell:
    return Cell(
        status=att.status,
        status_label=status_label(
            att.status,
            att.minutes_attended,
            info.planned_minutes,
            arrival=f"{timezone.localtime(att.arrived_at, tz):%H:%M}" if att.arrived_at else None,
            departure=f"{timezone.localtime(att.left_at, tz):%H:%M}" if att.left_at else None,
            method=att.method,
        ),
        minutes_attended=att.minutes_attended,
        planned_minutes=info.planned_minutes,
        signature=parse_signature(att.signature),
        signed_at=timezone.localtime(att.signed_at, tz) if att.signed_at else None,
        method=att.method,
        method_label=str(att.get_method_display()),
        rectification_refs=tuple(refs_by_attendance.get(att.pk, ())),
        closed=info.closed,
    )


# A logo larger than this is not printed (the funder's name is): a document never waits on
# a huge upload, and the renderer keeps a few logos in memory.
MAX_EMBLEM_BYTES = 2 * 1024 * 1024


def _emblem_bytes(funder) -> bytes | None:
    """The funder's logo as bytes, through the storage API (`open()`), so that the public
    media storage may be a folder or an object store. A missing or unreadable file gives
    None: the document prints the funder's name instead."""
    if not funder.emblem:
        return None
    try:
        with funder.emblem.storage.open(funder.emblem.name, "rb") as handle:
            content = handle.read(MAX_EMBLEM_BYTES + 1)
    except (OSError, ValueError):
        return None
    if not content or len(content) > MAX_EMBLEM_BYTES:
        return None
    return content
