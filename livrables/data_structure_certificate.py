"""Plain, frozen data for the certificat d'assiduité of one structure in one formation (one
per CCAS in DESIGN PALAS): every fully sealed session of the formation, who attended from
the structure, each half-day's status, hours per person and in total, the structure's
attendance rate, and whether the contract's attendees-per-structure rule held at each
session. Every query runs here, in a constant number whatever the number of sessions,
people or half-days; the renderer (`livrables.pdf.structure_certificate`) touches no ORM.

The structure's people are those it has today (`Participant.structure`), as on the
structure's extract and in the contract rule (`sessions.selectors.contract`). Hours come
from the émargement selectors (`annotate_enrolment_hours` per person and session,
`realised_expression` over `counted_attendances` per half-day): never recomputed apart.
Like the participant's certificates, it covers only the formation's sessions whose
half-days are all sealed, and says « final » once every (not cancelled) session is, « état
au <date> » before."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.french import time_zone_label
from formations.models import Structure
from formations.selectors import provider_identity
from livrables.data import FunderInfo, attendance_label, funder_infos, verification_url
from livrables.data_certificates import CertifiedHours, ProviderInfo
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import fully_sealed_session_q
from sessions.models import Attendance, Enrolment, Slot, TrainingSession
from sessions.selectors import RuleState, per_structure_state
from sessions.selectors.hours import (
    annotate_enrolment_hours,
    counted_attendances,
    realised_expression,
)

KIND = IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE
NUMBER_PREFIX = "CA"


@dataclass(frozen=True)
class HalfDayHead:
    date: dt.date  # local to the session
    start: dt.time
    end: dt.time
    planned_minutes: int


@dataclass(frozen=True)
class Cell:
    """One person at one half-day: the status in the words of every page and the minutes
    that count (0 unless signed and countersigned)."""

    label: str
    realised_minutes: int


@dataclass(frozen=True)
class PersonRow:
    """One person of the structure in one session: a cell per half-day of the session
    (in the order of `SessionBlock.half_days`) and the enrolment's hours."""

    name: str
    job_title: str
    cells: tuple[Cell, ...]
    planned_minutes: int
    realised_minutes: int


@dataclass(frozen=True)
class RuleCheck:
    """The contract's attendees-per-structure rule at one session: `state` as the
    formation page judges it (`sessions.selectors.per_structure_state`), the number of the
    structure's people enrolled, and the sentence printed."""

    state: str
    counted: int
    text: str

    @property
    def held(self) -> bool:
        return self.state == RuleState.OK


@dataclass(frozen=True)
class SessionBlock:
    code: str
    place: str
    first_date: dt.date
    last_date: dt.date
    time_zone_label: str
    half_days: tuple[HalfDayHead, ...]
    people: tuple[PersonRow, ...]
    # None when the contract sets no number of attendees per structure.
    rule: RuleCheck | None

    @property
    def planned_minutes(self) -> int:
        return sum(p.planned_minutes for p in self.people)

    @property
    def realised_minutes(self) -> int:
        return sum(p.realised_minutes for p in self.people)


@dataclass(frozen=True)
class PersonTotal:
    """One person's hours over every covered session of the formation."""

    name: str
    sessions: int
    planned_minutes: int
    realised_minutes: int


@dataclass(frozen=True)
class StructureCertificateData(CertifiedHours):
    kind: str
    number: str
    generated_at: dt.datetime  # aware, local
    time_zone_label: str
    provider: ProviderInfo
    structure_name: str
    structure_kind: str
    structure_commune: str
    programme_reference: str
    programme_title: str
    programme_carrier: str
    contract_reference: str
    formation_title: str
    # What the contract expects per structure and session (« 1 à 3 »); "" without a rule.
    rule_expected: str
    first_date: dt.date
    last_date: dt.date
    final: bool
    sessions: tuple[SessionBlock, ...]
    people: tuple[PersonTotal, ...]
    funders: tuple[FunderInfo, ...]
    programme_sentence: str
    verification_url: str = ""

    @property
    def planned_minutes(self) -> int:
        """Trainee-minutes planned: each enrolled person × their session's half-days."""
        return sum(s.planned_minutes for s in self.sessions)

    @property
    def realised_minutes(self) -> int:
        return sum(s.realised_minutes for s in self.sessions)

    @property
    def rule_applicable(self) -> bool:
        return bool(self.rule_expected)

    @property
    def rule_held_sessions(self) -> int:
        return sum(1 for s in self.sessions if s.rule is not None and s.rule.held)


def build_structure_certificate_data(*, structure, formation, now=None) -> StructureCertificateData:
    """Everything the certificat d'assiduité of `structure` in `formation` shows.

    Raises LivrablesError `provider_missing` (the training organisation's identity is not
    set: nobody to sign), `no_enrolment` (nobody of the structure is enrolled in a session
    of the formation) and `nothing_sealed` (none of the structure's people is in a fully
    sealed session yet). Queries (constant): provider, formation with programme,
    structure, the structure's enrolments in the formation, the sealed sessions, their
    half-days, the enrolments with hours, their attendance, the counted minutes, the
    funders, the formation's unsealed sessions."""
    now = now or timezone.now()
    provider = provider_identity()
    if provider is None:
        raise LivrablesError(
            _(
                "L'identité de l'organisme de formation n'est pas renseignée (page "
                "« Organisme ») : le certificat n'a pas de signataire."
            ),
            code="provider_missing",
        )
    formation = type(formation).objects.select_related("programme").get(pk=formation.pk)
    programme = formation.programme
    structure = Structure.objects.get(pk=structure.pk)
    active = TrainingSession.objects.filter(formation=formation).exclude(
        status=TrainingSession.Status.CANCELLED
    )
    of_structure = Enrolment.objects.filter(
        participant__structure_id=structure.pk, session__in=active.values("pk")
    )
    if not of_structure.exists():
        raise LivrablesError(
            _(
                "Personne de la structure %(structure)s n'est inscrit·e dans la formation "
                "« %(formation)s » : il n'y a pas de certificat d'assiduité à émettre."
            )
            % {"structure": structure.name, "formation": formation.title},
            code="no_enrolment",
        )
    sealed = list(
        active.filter(fully_sealed_session_q())
        .annotate(first_start=Min("slots__starts_at"))
        .order_by("first_start", "code", "pk")
    )
    sessions = {s.pk: s for s in sealed}
    enrolments = list(
        annotate_enrolment_hours(
            of_structure.filter(session_id__in=sessions).select_related("participant"),
            now=now,
        ).order_by("participant__sort_key", "participant_id")
    )
    if not enrolments:
        raise LivrablesError(
            _(
                "Aucune personne de la structure %(structure)s n'a encore de session "
                "entièrement scellée dans la formation « %(formation)s » : rien ne peut être "
                "certifié."
            )
            % {"structure": structure.name, "formation": formation.title},
            code="nothing_sealed",
        )
    final = not active.exclude(pk__in=[s.pk for s in sealed]).exists()
    slots_by_session: dict[int, list[Slot]] = {pk: [] for pk in sessions}
    for slot in Slot.objects.filter(session_id__in=sessions).order_by("starts_at", "pk"):
        slots_by_session[slot.session_id].append(slot)
    enrolment_ids = [e.pk for e in enrolments]
    attendances = {
        (a.enrolment_id, a.slot_id): a
        for a in Attendance.objects.filter(enrolment_id__in=enrolment_ids)
    }
    counted = dict(
        counted_attendances()
        .filter(enrolment_id__in=enrolment_ids)
        .annotate(realised=realised_expression())
        .values_list("pk", "realised")
    )
    by_session: dict[int, list[Enrolment]] = {pk: [] for pk in sessions}
    for enrolment in enrolments:
        by_session[enrolment.session_id].append(enrolment)

    blocks = []
    for session in sealed:
        tz = session.tzinfo
        slots = slots_by_session[session.pk]
        heads = []
        for slot in slots:
            start = timezone.localtime(slot.starts_at, tz)
            end = timezone.localtime(slot.ends_at, tz)
            heads.append(HalfDayHead(start.date(), start.time(), end.time(), slot.planned_minutes))
        people = tuple(
            PersonRow(
                name=enrolment.participant.full_name,
                job_title=enrolment.participant.job_title,
                cells=tuple(
                    _cell(attendances.get((enrolment.pk, s.pk)), s, tz, counted) for s in slots
                ),
                planned_minutes=enrolment.planned_minutes,
                realised_minutes=enrolment.realised_minutes,
            )
            for enrolment in by_session[session.pk]
        )
        blocks.append(
            SessionBlock(
                code=session.code,
                place=session.place,
                first_date=heads[0].date,
                last_date=heads[-1].date,
                time_zone_label=time_zone_label(session.time_zone),
                half_days=tuple(heads),
                people=people,
                rule=_rule_check(formation, len(people)),
            )
        )

    totals: dict[int, list] = {}
    for enrolment in enrolments:
        row = totals.setdefault(enrolment.participant_id, [enrolment.participant, 0, 0, 0])
        row[1] += 1
        row[2] += enrolment.planned_minutes
        row[3] += enrolment.realised_minutes
    funders = funder_infos(programme.funders.order_by("name"))
    last_session = sealed[-1]
    planned = sum(b.planned_minutes for b in blocks)
    realised = sum(b.realised_minutes for b in blocks)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    fingerprint = (
        f"{KIND}|{structure.pk}|{formation.pk}|{stamp}|{planned}|{realised}|{final}|"
        + ",".join(str(s.pk) for s in sealed)
    )
    suffix = hashlib.sha256(fingerprint.encode()).hexdigest()[:4].upper()
    number = f"{NUMBER_PREFIX}-F{formation.pk}-S{structure.pk}-{stamp}-{suffix}"
    return StructureCertificateData(
        kind=KIND,
        number=number,
        generated_at=timezone.localtime(now, last_session.tzinfo),
        time_zone_label=time_zone_label(last_session.time_zone),
        provider=ProviderInfo.of(provider),
        structure_name=structure.name,
        structure_kind=structure.kind_label or str(structure.get_kind_display()),
        structure_commune=structure.commune,
        programme_reference=programme.reference,
        programme_title=programme.title,
        programme_carrier=programme.carrier,
        contract_reference=formation.contract_reference,
        formation_title=formation.title,
        rule_expected=per_structure_state(formation=formation, count=0)[1],
        first_date=blocks[0].first_date,
        last_date=max(b.last_date for b in blocks),
        final=final,
        sessions=tuple(blocks),
        people=tuple(
            PersonTotal(
                name=participant.full_name,
                sessions=count,
                planned_minutes=planned_minutes,
                realised_minutes=realised_minutes,
            )
            for participant, count, planned_minutes, realised_minutes in totals.values()
        ),
        funders=funders,
        programme_sentence=programme.publicity_sentence,
        verification_url=verification_url(number),
    )


def _cell(attendance, slot, tz, counted: dict[int, int]) -> Cell:
    """The half-day's status (`attendance_label`) and its counted minutes."""
    if attendance is None:
        return Cell(attendance_label(None, slot, tz), 0)
    return Cell(attendance_label(attendance, slot, tz), counted.get(attendance.pk, 0))


def _rule_check(formation, count: int) -> RuleCheck | None:
    """Whether the contract's attendees-per-structure rule held at a session where the
    structure had `count` people enrolled: « respectée », or what was counted against
    what was expected. None when the contract sets no such rule."""
    state, expected = per_structure_state(formation=formation, count=count)
    if state == RuleState.NOT_APPLICABLE:
        return None
    people = ngettext("%(n)s participant·e inscrit·e", "%(n)s participant·es inscrit·es", count) % {
        "n": count
    }
    if state == RuleState.OK:
        text = _("respectée (%(people)s)") % {"people": people}
    else:
        text = _("non respectée : %(people)s, %(expected)s prévu·es") % {
            "people": people,
            "expected": expected,
        }
    return RuleCheck(state=state, counted=count, text=text)
