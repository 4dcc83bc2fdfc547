"""Plain, frozen data for the two documents issued per participant and formation: the
certificat de réalisation (Ministry of Labour model) and the attestation d'assiduité
(EU-funded actions). Every query runs here, in a constant number whatever the number of
sessions or half-days; the renderers in `livrables.pdf.certificates` touch no ORM.

Hours come from the émargement selectors (`sessions.selectors.annotate_enrolment_hours`,
and `realised_expression` over `counted_attendances` for each half-day): never recomputed
apart. A certificate covers only the sessions of the formation whose half-days are all
sealed; it is « final » once every (not cancelled) session of the formation is, and an
« état au <date> » statement before."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import time_zone_label
from formations.models import Formation, Participant
from formations.selectors import provider_identity
from livrables.data import FunderInfo, attendance_label, funder_infos, verification_url
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import fully_sealed_session_q
from sessions.models import Attendance, Enrolment, Slot, TrainingSession
from sessions.selectors.hours import (
    annotate_enrolment_hours,
    counted_attendances,
    realised_expression,
)

Kind = IssuedDocument.Kind
CERTIFICATE_KINDS = (Kind.COMPLETION_CERTIFICATE, Kind.ATTENDANCE_ATTESTATION)
NUMBER_PREFIX = {Kind.COMPLETION_CERTIFICATE: "CR", Kind.ATTENDANCE_ATTESTATION: "AA"}
# A signature image larger than this is not printed (the form refuses it anyway).
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ProviderInfo:
    legal_name: str
    address: str
    siret: str
    declaration_number: str
    representative_name: str
    representative_role: str
    signing_place: str
    # The signature-and-stamp image's bytes, read through the storage API; None without.
    signature_image: bytes | None = None

    @classmethod
    def of(cls, provider) -> "ProviderInfo":
        """What a document prints of the training organisation (`ProviderIdentity`)."""
        return cls(
            legal_name=provider.legal_name,
            address=provider.address,
            siret=provider.siret,
            declaration_number=provider.activity_declaration_number,
            representative_name=provider.representative_name,
            representative_role=provider.representative_role,
            signing_place=provider.signing_place,
            signature_image=_signature_bytes(provider),
        )


@dataclass(frozen=True)
class HalfDay:
    session_code: str
    date: dt.date  # local to the session
    start: dt.time
    end: dt.time
    time_zone_label: str
    planned_minutes: int
    realised_minutes: int
    status_label: str


class CertifiedHours:
    """What every certificate says of its hours and state, from its `funders`,
    `planned_minutes`, `realised_minutes`, `final` and `generated_at`."""

    @property
    def has_eu_funder(self) -> bool:
        return any(f.is_eu for f in self.funders)

    @property
    def attendance_rate(self) -> float | None:
        """Realised over planned minutes, in percent (one decimal); None without plan."""
        if not self.planned_minutes:
            return None
        return round(100 * self.realised_minutes / self.planned_minutes, 1)

    @property
    def state_label(self) -> str:
        if self.final:
            return _("final")
        return _("état au %(date)s") % {"date": f"{self.generated_at:%d/%m/%Y}"}


@dataclass(frozen=True)
class CertificateData(CertifiedHours):
    kind: str
    number: str
    generated_at: dt.datetime  # aware, local
    time_zone_label: str
    provider: ProviderInfo
    participant_name: str
    participant_initials: str
    job_title: str
    structure_name: str
    programme_reference: str
    programme_title: str
    programme_carrier: str
    contract_reference: str
    formation_title: str
    # The model's four boxes of the action's nature: (label, ticked), in its order.
    action_boxes: tuple[tuple[str, bool], ...]
    first_date: dt.date
    last_date: dt.date
    planned_minutes: int
    realised_minutes: int
    final: bool
    sessions_covered: tuple[str, ...]
    half_days: tuple[HalfDay, ...]
    funders: tuple[FunderInfo, ...]
    programme_sentence: str
    verification_url: str = ""


def initials(first_name: str, last_name: str) -> str:
    """« T. H. N. » for Thị Hương Nguyễn: the first letter of every part of the names
    (hyphenated parts too), first name first. Shown on the public page instead of a name."""
    letters = []
    for name in (first_name, last_name):
        for part in name.replace("-", " ").split():
            letters.append(part[0].upper() + ".")
    return " ".join(letters)


def build_certificate_data(*, kind: str, participant, formation, now=None) -> CertificateData:
    """Everything a certificate of `kind` about `participant` in `formation` shows: the
    bulk builder (`build_certificates_data`) asked about one person, so that a document
    issued alone and one issued in bulk say the same.

    Raises LivrablesError `provider_missing` (the training organisation's identity is not
    set: nobody to sign) and `nothing_sealed` (the participant has no fully sealed session
    in the formation)."""
    found = build_certificates_data(
        kinds=(kind,), participants=[participant], formation=formation, now=now
    )
    data = found.get((participant.pk, kind))
    if data is None:
        raise nothing_sealed_error(participant=participant, formation=formation)
    return data


def nothing_sealed_error(*, participant, formation) -> LivrablesError:
    return LivrablesError(
        _(
            "%(name)s n'a encore aucune session entièrement scellée dans la formation "
            "« %(formation)s » : rien ne peut être certifié."
        )
        % {"name": participant.full_name, "formation": formation.title},
        code="nothing_sealed",
    )


def certificate_number(
    *, kind: str, participant_id: int, formation_id: int, now, planned: int, realised: int, final
) -> str:
    """`CR-F<formation>-P<person>-<UTC second>-<4 hex>`: unique per person, formation, kind
    and second; the suffix fingerprints the hours, so that two issues in one second of
    documents that say different things differ too."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    fingerprint = f"{kind}|{participant_id}|{formation_id}|{stamp}|{planned}|{realised}|{final}"
    suffix = hashlib.sha256(fingerprint.encode()).hexdigest()[:4].upper()
    return f"{NUMBER_PREFIX[kind]}-F{formation_id}-P{participant_id}-{stamp}-{suffix}"


def build_certificates_data(
    *, kinds, participants, formation, now=None
) -> dict[tuple[int, str], CertificateData]:
    """The certificates of `kinds` of many `participants` (objects or primary keys) in
    `formation`, keyed by (participant pk, kind), over each person's fully sealed sessions
    of the formation. A person without any is left out (nothing to certify: the caller
    decides whether that is an error, `nothing_sealed_error`).

    Raises LivrablesError `provider_missing`. Queries (constant, whatever the number of
    people, sessions or half-days): provider, formation with programme, participants with
    structure, enrolments with hours, the formation's unsealed sessions, half-days, their
    attendance, counted minutes per attendance, funders."""
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
    ids = [getattr(p, "pk", p) for p in participants]
    if not ids:
        return {}
    formation = Formation.objects.select_related("programme").get(
        pk=getattr(formation, "pk", formation)
    )
    programme = formation.programme
    people = {p.pk: p for p in Participant.objects.select_related("structure").filter(pk__in=ids)}
    sealed_sessions = TrainingSession.objects.filter(fully_sealed_session_q()).exclude(
        status=TrainingSession.Status.CANCELLED
    )
    enrolments_by_person: dict[int, list] = {}
    for enrolment in annotate_enrolment_hours(
        Enrolment.objects.filter(
            participant_id__in=ids,
            session__formation=formation,
            session__in=sealed_sessions.values("pk"),
        ).select_related("session"),
        now=now,
    ).order_by("session__code", "pk"):
        enrolments_by_person.setdefault(enrolment.participant_id, []).append(enrolment)
    if not enrolments_by_person:
        return {}
    final = (
        not TrainingSession.objects.filter(formation=formation)
        .exclude(status=TrainingSession.Status.CANCELLED)
        .exclude(pk__in=sealed_sessions.values("pk"))
        .exists()
    )
    sessions = {e.session_id: e.session for group in enrolments_by_person.values() for e in group}
    slots = list(Slot.objects.filter(session_id__in=sessions).order_by("starts_at", "pk"))
    enrolment_ids = [e.pk for group in enrolments_by_person.values() for e in group]
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
    funders = funder_infos(programme.funders.order_by("name"))
    provider_info = ProviderInfo.of(provider)
    action_boxes = tuple(
        (str(label), value == formation.action_nature)
        for value, label in Formation.ActionNature.choices
    )
    # Every person's half-days, computed once per slot and attendance whatever the kinds.
    half_day_base = {}
    for slot in slots:
        session = sessions[slot.session_id]
        tz = session.tzinfo
        start, end = timezone.localtime(slot.starts_at, tz), timezone.localtime(slot.ends_at, tz)
        half_day_base[slot.pk] = (session, tz, start, end, time_zone_label(session.time_zone))

    found: dict[tuple[int, str], CertificateData] = {}
    for person_id, enrolments in enrolments_by_person.items():
        participant = people[person_id]
        enrolment_by_session = {e.session_id: e.pk for e in enrolments}
        mine = [slot for slot in slots if slot.session_id in enrolment_by_session]
        half_days = []
        for slot in mine:
            session, tz, start, end, zone_label = half_day_base[slot.pk]
            att = attendances.get((enrolment_by_session[slot.session_id], slot.pk))
            label = attendance_label(att, slot, tz)
            realised = counted.get(att.pk, 0) if att is not None else 0
            half_days.append(
                HalfDay(
                    session_code=session.code,
                    date=start.date(),
                    start=start.time(),
                    end=end.time(),
                    time_zone_label=zone_label,
                    planned_minutes=slot.planned_minutes,
                    realised_minutes=realised,
                    status_label=label,
                )
            )
        last_session = sessions[mine[-1].session_id] if mine else enrolments[-1].session
        zone = last_session.time_zone if mine else settings.TIME_ZONE
        planned = sum(e.planned_minutes for e in enrolments)
        realised = sum(e.realised_minutes for e in enrolments)
        for kind in kinds:
            number = certificate_number(
                kind=kind,
                participant_id=participant.pk,
                formation_id=formation.pk,
                now=now,
                planned=planned,
                realised=realised,
                final=final,
            )
            found[(participant.pk, kind)] = CertificateData(
                kind=kind,
                number=number,
                generated_at=timezone.localtime(now, last_session.tzinfo),
                time_zone_label=time_zone_label(zone),
                provider=provider_info,
                participant_name=participant.full_name,
                participant_initials=initials(participant.first_name, participant.last_name),
                job_title=participant.job_title,
                structure_name=participant.structure.name,
                programme_reference=programme.reference,
                programme_title=programme.title,
                programme_carrier=programme.carrier,
                contract_reference=formation.contract_reference,
                formation_title=formation.title,
                action_boxes=action_boxes,
                first_date=half_days[0].date if half_days else now.date(),
                last_date=half_days[-1].date if half_days else now.date(),
                planned_minutes=planned,
                realised_minutes=realised,
                final=final,
                sessions_covered=tuple(e.session.code for e in enrolments),
                half_days=tuple(half_days),
                funders=funders,
                programme_sentence=programme.publicity_sentence,
                verification_url=verification_url(number),
            )
    return found


def _signature_bytes(provider) -> bytes | None:
    """The signature-and-stamp image through the private storage's API (`open()`), or
    None when there is none or it cannot be read (the document then has no image)."""
    if not provider.signature_image:
        return None
    try:
        with provider.signature_image.storage.open(provider.signature_image.name, "rb") as f:
            content = f.read(MAX_SIGNATURE_BYTES + 1)
    except (OSError, ValueError):
        return None
    if not content or len(content) > MAX_SIGNATURE_BYTES:
        return None
    return content
