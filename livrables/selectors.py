"""Which sessions' documents a user may download or issue, which issued documents they
may see, the state of each document (derived from its append-only entries), the kept
bytes, and the lookups of the public verification page. Views start from these."""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast, TruncDate
from django.utils.translation import gettext as _

from evaluations.models import Answer, Response
from formations.models import AuditEntry, Formation, Participant, Programme, Structure
from formations.permissions import (
    can_manage,
    is_funder_auditor,
    is_structure_referent,
    is_trainer,
)
from formations.selectors import (
    formations_visible_to,
    participants_visible_to,
    programmes_visible_to,
)
from livrables import files
from livrables.exceptions import LivrablesError
from livrables.files import DocumentFile
from livrables.models import DocumentEntry, IssuedDocument, Payment, ServiceFaitClaim
from projects.models import FicheRevision, FollowUpEntry, IntersessionTask, ProjectFiche
from projects.selectors import ProgrammeStructure
from sessions.models import Enrolment, Rectification, Seal, Slot, TrainingSession
from sessions.selectors.contract import _local_day
from sessions.selectors.hours import count_subquery
from sessions.selectors.visibility import sessions_run_by, sessions_visible_to

logger = logging.getLogger(__name__)

# Entries after which a document no longer stands.
ENDING_KINDS = (DocumentEntry.Kind.SUPERSEDED, DocumentEntry.Kind.REVOKED)
# Kinds of issued documents about a session, as a whole or for one structure.
SESSION_KINDS = (
    IssuedDocument.Kind.ATTENDANCE_SHEET,
    IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
)
# Kinds of issued documents about one participant in one formation.
CERTIFICATE_KINDS = (
    IssuedDocument.Kind.COMPLETION_CERTIFICATE,
    IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
)
STRUCTURE_CERTIFICATE = IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE
# Kinds about one structure in one programme (its fiche projet, its fiche individuelle),
# and the programme's livret of every structure's fiche.
FICHE_KINDS = (IssuedDocument.Kind.PROJECT_FICHE, IssuedDocument.Kind.STRUCTURE_FICHE)
BOOKLET = IssuedDocument.Kind.PROJECT_BOOKLET
# Their names in the issuing address (`livrables:certificate_issue`), and the buttons'.
CERTIFICATE_SLUGS = {
    "certificat-de-realisation": IssuedDocument.Kind.COMPLETION_CERTIFICATE,
    "attestation-d-assiduite": IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
}


def sheet_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose signed feuille d'émargement the user may download: coordinators all,
    trainers their own, funder auditors those of their funders' programmes.

    Structure referents see a session only through their own people, and the sheet lists
    every participant of every structure (structures never see each other's people), so
    they get none.
    """
    if is_structure_referent(user):
        return TrainingSession.objects.none()
    return sessions_visible_to(user=user)


def sheet_extract_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions of which a structure referent may download the extract for their own
    structure: those where their people are enrolled. Nobody else (the other roles get
    the whole sheet)."""
    if not is_structure_referent(user):
        return TrainingSession.objects.none()
    return sessions_visible_to(user=user)


def blank_sheet_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose blank paper sheet the user may print: the ones they run."""
    return sessions_run_by(user=user)


def sheet_issue_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose signed sheet the user may issue or reissue: the ones they run
    (coordinators all, trainers their own). `livrables.permissions.may_issue_sheet` says
    the same for one session."""
    return sessions_run_by(user=user)


def session_fully_sealed(*, session) -> bool:
    """Whether every half-day of the session is sealed (and there is at least one): only
    then is its sheet a document that can be issued; before, a provisional preview."""
    slots = Slot.objects.filter(session_id=session.pk)
    return slots.exists() and not slots.filter(seal__isnull=True).exists()


# ---------------------------------------------------------------------------- register


def documents_visible_to(*, user) -> QuerySet[IssuedDocument]:
    """Issued documents the user may see and download: coordinators all; a structure
    referent their own structure's extracts, of sessions where their people are enrolled;
    trainers and funder auditors the sheets and extracts of the sessions whose sheet they
    may download (`sheet_sessions_for`). Certificates (`certificate_documents_for`): a
    referent those of their own structure's people, an auditor those of their funders'
    programmes, nobody else. A structure's certificat d'assiduité
    (`structure_certificate_documents_for`): its referent and those auditors. A formation's
    service-fait statement and its evaluation syntheses: those auditors. The fiches of a
    programme's structures and its livret (`fiche_documents_for`)."""
    qs = IssuedDocument.objects.all()
    if can_manage(user):
        return qs
    certificates = (
        Q(pk__in=certificate_documents_for(user=user).values("pk"))
        | Q(pk__in=structure_certificate_documents_for(user=user).values("pk"))
        | Q(pk__in=fiche_documents_for(user=user).values("pk"))
    )
    if is_structure_referent(user):
        return qs.filter(
            Q(
                kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
                structure_id=user.structure_id,
                session__in=sheet_extract_sessions_for(user=user).values("pk"),
            )
            | certificates
        )
    if is_funder_auditor(user):
        # The service-fait statements and the evaluation syntheses of the formations
        # their funders finance.
        certificates |= Q(
            kind__in=(
                IssuedDocument.Kind.SERVICE_FAIT_STATEMENT,
                IssuedDocument.Kind.EVALUATION_SYNTHESIS,
            ),
            formation__in=formations_visible_to(user=user).values("pk"),
        )
    return qs.filter(
        Q(kind__in=SESSION_KINDS, session__in=sheet_sessions_for(user=user).values("pk"))
        | certificates
    )


def certificate_documents_for(*, user) -> QuerySet[IssuedDocument]:
    """Certificates and attestations (per participant and formation) the user may see and
    download: coordinators all; a structure referent those of their own structure's people
    (whoever their structure is now); a funder auditor those of formations of their
    funders' programmes; nobody else (trainers included)."""
    qs = IssuedDocument.objects.filter(kind__in=CERTIFICATE_KINDS)
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(participant__structure_id=user.structure_id)
    if is_funder_auditor(user):
        return qs.filter(formation__in=formations_visible_to(user=user).values("pk"))
    return qs.none()


def structure_certificate_documents_for(*, user) -> QuerySet[IssuedDocument]:
    """Certificats d'assiduité of structures (per structure and formation) the user may
    see and download: coordinators all; a structure referent their own structure's;
    a funder auditor those of formations of their funders' programmes; nobody else
    (trainers included)."""
    qs = IssuedDocument.objects.filter(kind=STRUCTURE_CERTIFICATE)
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(structure_id=user.structure_id)
    if is_funder_auditor(user):
        return qs.filter(formation__in=formations_visible_to(user=user).values("pk"))
    return qs.none()


def fiche_kinds_for(*, user) -> tuple[str, ...]:
    """The kinds of fiche of a structure the user may see: a structure referent the fiche
    projet only; everyone else who sees a structure's fiches both. The fiche individuelle
    prints the follow-up log (counts, last exchange, the text of unanswered questions),
    the provider's working record hidden from referents (`projects.selectors_followup`):
    it is the provider's document for the funder."""
    if is_structure_referent(user):
        return (IssuedDocument.Kind.PROJECT_FICHE,)
    return FICHE_KINDS


def fiche_documents_for(*, user) -> QuerySet[IssuedDocument]:
    """Fiches projet, fiches individuelles and livrets the user may see and download:
    coordinators all; a structure referent their own structure's fiche projet (never its
    fiche individuelle, which prints the follow-up log hidden from them, nor the livret,
    which holds every structure's); the trainers of a programme its fiches and livret; a
    funder auditor those of their funders' programmes."""
    qs = IssuedDocument.objects.filter(kind__in=(*FICHE_KINDS, BOOKLET))
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(kind__in=fiche_kinds_for(user=user), structure_id=user.structure_id)
    if is_funder_auditor(user):
        return qs.filter(programme__in=programmes_visible_to(user=user).values("pk"))
    if is_trainer(user):
        return qs.filter(programme__in=user.trained_sessions.values("formation__programme_id"))
    return qs.none()


def certificate_participants_for(*, user) -> QuerySet[Participant]:
    """Participants whose certificates panel the user sees: coordinators all, a referent
    their structure's people, an auditor the people of their funders' programmes."""
    if can_manage(user) or is_structure_referent(user) or is_funder_auditor(user):
        return participants_visible_to(user=user)
    return Participant.objects.none()


@dataclass
class CertificateRow:
    """One formation of a participant on the certificates panel: how many of the person's
    sessions are fully sealed, and the documents issued (each with its `state`)."""

    formation: Formation
    sessions: int
    sealed_sessions: int
    documents: list


def participant_certificates(*, user, participant) -> list[CertificateRow]:
    """The formations the participant is enrolled in that the user may see, each with the
    count of the person's (not cancelled) sessions and of those fully sealed, and the
    certificates issued for it that the user may see, newest first with their state.
    Three queries whatever the number of formations and documents."""
    mine = TrainingSession.objects.filter(
        formation_id=OuterRef("pk"), enrolments__participant_id=participant.pk
    ).exclude(status=TrainingSession.Status.CANCELLED)
    # A referent sees every formation of their own people (the panel shows only for them),
    # whether or not their structure is listed as a partner of the programme.
    scope = (
        Formation.objects.select_related("programme")
        if is_structure_referent(user)
        else formations_visible_to(user=user)
    )
    formations = list(
        scope.filter(Exists(mine))
        .annotate(
            session_total=count_subquery(mine),
            sealed_total=count_subquery(mine.filter(fully_sealed_session_q())),
        )
        .order_by("contract_reference")
    )
    by_formation = _by_formation(
        certificate_documents_for(user=user).filter(participant_id=participant.pk)
    )
    return [
        CertificateRow(
            formation=f,
            sessions=f.session_total,
            sealed_sessions=f.sealed_total,
            documents=by_formation.get(f.pk, []),
        )
        for f in formations
    ]


@dataclass
class StructureCertificateRow:
    """One formation where a structure has people enrolled, on the structure's page: the
    formation's (not cancelled) sessions, how many are fully sealed, how many of those
    have the structure's people (nothing to certify before one does), and the structure's
    certificats d'assiduité issued for it, newest first, each with its `state`: `current`
    the one standing, `revoked` the newest when it was revoked and nothing replaced it."""

    formation: Formation
    sessions: int
    sealed_sessions: int
    sealed_with_people: int
    documents: list

    @property
    def current(self) -> IssuedDocument | None:
        return next((d for d in self.documents if d.state.is_current and d.storage_name), None)

    @property
    def revoked(self) -> IssuedDocument | None:
        if self.current is not None:
            return None
        latest = next((d for d in self.documents if not d.state.superseded_at), None)
        return latest if latest is not None and latest.state.revoked_at else None

    @property
    def earlier(self) -> list:
        keep = self.current or self.revoked
        return [d for d in self.documents if d is not keep]


def structure_certificates(*, user, structure) -> list[StructureCertificateRow]:
    """The formations where `structure` has people enrolled (in a not cancelled session)
    that the user may see, with their session counts and the structure's certificats
    d'assiduité the user may see. Four queries whatever the number of formations and
    documents. Who sees the panel at all is the caller's to check (coordinators, the
    structure's referent, auditors)."""
    active = TrainingSession.objects.filter(formation_id=OuterRef("pk")).exclude(
        status=TrainingSession.Status.CANCELLED
    )
    with_people = active.filter(
        Exists(
            Enrolment.objects.filter(
                session_id=OuterRef("pk"), participant__structure_id=structure.pk
            )
        )
    )
    # A referent sees every formation of their own people, as on the participant panel.
    scope = (
        Formation.objects.select_related("programme")
        if is_structure_referent(user)
        else formations_visible_to(user=user)
    )
    formations = list(
        scope.filter(Exists(with_people))
        .annotate(
            session_total=count_subquery(active),
            sealed_total=count_subquery(active.filter(fully_sealed_session_q())),
            sealed_with_people=count_subquery(with_people.filter(fully_sealed_session_q())),
        )
        .order_by("contract_reference")
    )
    by_formation = _by_formation(
        structure_certificate_documents_for(user=user).filter(structure_id=structure.pk)
    )
    return [
        StructureCertificateRow(
            formation=f,
            sessions=f.session_total,
            sealed_sessions=f.sealed_total,
            sealed_with_people=f.sealed_with_people,
            documents=by_formation.get(f.pk, []),
        )
        for f in formations
    ]


def own_certificates(*, participant) -> QuerySet[IssuedDocument]:
    """The certificates standing for `participant`, with their kept file: what the person
    downloads from their own space. Nobody else's, whatever number is asked for."""
    return (
        standing(
            IssuedDocument.objects.filter(
                participant_id=participant.pk, kind__in=CERTIFICATE_KINDS
            ).exclude(storage_name="")
        )
        .select_related("formation")
        .order_by("formation__contract_reference", "kind", "-issued_at", "-pk")
    )


def fully_sealed_session_q() -> Q:
    """A session whose half-days are all sealed (and which has at least one)."""
    slots = Slot.objects.filter(session_id=OuterRef("pk"))
    return Q(Exists(slots)) & ~Q(Exists(slots.filter(seal__isnull=True)))


def standing(qs: QuerySet[IssuedDocument]) -> QuerySet[IssuedDocument]:
    """`qs` without the documents that were superseded or revoked."""
    ended = DocumentEntry.objects.filter(document_id=OuterRef("pk"), kind__in=ENDING_KINDS)
    return qs.filter(~Exists(ended))


def current_documents(*, kind: str, session, structure=None) -> QuerySet[IssuedDocument]:
    """The documents of `kind` about `session` (and `structure`, for an extract) that still
    stand, newest first. Issuing supersedes them all, so there is at most one once a
    document is issued with its file kept (registrations made before files were kept may
    leave several)."""
    return standing(
        IssuedDocument.objects.filter(
            kind=kind,
            session_id=session.pk,
            structure_id=structure.pk if structure is not None else None,
        )
    ).order_by("-issued_at", "-pk")


def unreplaced_documents(
    *,
    kind: str,
    session=None,
    structure=None,
    participant=None,
    formation=None,
    questionnaire=None,
    programme=None,
) -> QuerySet[IssuedDocument]:
    """What a new issue of `kind` about its subject (`session`, and `structure` for an
    extract; `participant` and `formation` for a certificate) replaces: the standing
    documents, and the revoked ones nothing has replaced yet, so that the public page of an
    older document leads, through « remplacé par », to the one that stands (not to a dead
    end)."""
    superseded = DocumentEntry.objects.filter(
        document_id=OuterRef("pk"), kind=DocumentEntry.Kind.SUPERSEDED
    )
    return (
        IssuedDocument.objects.filter(
            kind=kind,
            session_id=_pk(session),
            structure_id=_pk(structure),
            participant_id=_pk(participant),
            formation_id=_pk(formation),
            questionnaire_id=_pk(questionnaire),
            programme_id=_pk(programme),
        )
        .filter(~Exists(superseded))
        .order_by("-issued_at", "-pk")
    )


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


def last_revoked_document(*, kind: str, session, structure=None) -> IssuedDocument | None:
    """The newest document of `kind` about `session` when it was revoked and nothing
    replaced it: the session panel then says so instead of « pas encore émise »."""
    latest = unreplaced_documents(kind=kind, session=session, structure=structure).first()
    if latest is None:
        return None
    latest.state = document_state(document=latest)
    return latest if latest.state.revoked_at is not None else None


def current_kept_document(*, kind: str, session, structure=None) -> IssuedDocument | None:
    """The document a download serves: the newest standing one whose file is kept."""
    return (
        current_documents(kind=kind, session=session, structure=structure)
        .exclude(storage_name="")
        .select_related("issued_by")
        .first()
    )


def session_documents(*, user, session) -> list[IssuedDocument]:
    """The sheets and extracts of `session` the user may see, newest first, each with its
    `state` (one query for the documents, one for their entries)."""
    documents = list(
        documents_visible_to(user=user)
        .filter(session_id=session.pk, kind__in=SESSION_KINDS)
        .select_related("issued_by")
        .order_by("-issued_at", "-pk")
    )
    states = document_states(documents)
    for document in documents:
        document.state = states[document.pk]
    return documents


# ---------------------------------------------------------------------------- state


@dataclass(frozen=True)
class DocumentState:
    """What the register's entries say of one document. `revocation_reason` is for the
    register and its readers inside the application, never for the public page (it may
    name a person)."""

    superseded_at: dt.datetime | None = None
    superseded_by: str = ""  # the number of the document that replaced it
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""
    # Standing, but what it proves changed since it was issued (a rectification of a
    # half-day it covers; for an « état au » certificate, a half-day sealed since): derived
    # from the émargement, never written on the register.
    needs_reissue: bool = False

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and self.revoked_at is None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return DocumentEntry.Kind.REVOKED
        if self.superseded_at is not None:
            return DocumentEntry.Kind.SUPERSEDED
        return "current"


def document_states(documents: Iterable[IssuedDocument]) -> dict[int, DocumentState]:
    """The state of each document, derived from its entries in one query."""
    documents = list(documents)
    found: dict[int, dict] = {d.pk: {} for d in documents}
    entries = (
        DocumentEntry.objects.filter(document_id__in=found)
        .select_related("replaced_by")
        .only("document_id", "kind", "at", "reason", "replaced_by__number")
        .order_by("at", "pk")
    )
    for entry in entries:
        values = found[entry.document_id]
        if entry.kind == DocumentEntry.Kind.SUPERSEDED:
            values.update(superseded_at=entry.at, superseded_by=entry.replaced_by.number)
        elif entry.kind == DocumentEntry.Kind.REVOKED:
            values.update(revoked_at=entry.at, revocation_reason=entry.reason)
    standing_ids = [pk for pk, values in found.items() if not values]
    for pk in _outdated(standing_ids):
        found[pk]["needs_reissue"] = True
    return {pk: DocumentState(**values) for pk, values in found.items()}


def _outdated(document_ids: list[int]) -> set[int]:
    """Which of these documents the émargement has moved on from since their issue: a
    sheet whose session, an extract whose structure's people, a certificate whose person
    in its formation, a structure's certificat d'assiduité whose structure's people in its
    formation, had a half-day rectified after it; an « état au » certificate whose person
    had a half-day of the formation sealed after it; an « état au » structure certificate
    whose formation has a session, now fully sealed (it covers every such session, with or
    without the structure's people), with a half-day sealed after it; a service-fait
    statement whose period has a half-day sealed or rectified after it, or whose
    formation has a claim or a payment, recorded before it, corrected or cancelled after
    it. One query (none for none).

    Not flagged: claims and payments recorded after the issue (the usual order: issue the
    statement, then send the claim it states), and changes of the contract's terms
    (prices, amount, VAT rate, minimum hours) after the issue: the statement states the
    terms of its day, and its issue is the coordinator's to repeat."""
    if not document_ids:
        return set()
    after_issue = {"created_at__gt": OuterRef("issued_at")}
    in_session = Rectification.objects.filter(
        attendance__slot__session_id=OuterRef("session_id"), **after_issue
    )
    of_structure = in_session.filter(
        attendance__enrolment__participant__structure_id=OuterRef("structure_id")
    )
    of_person = Rectification.objects.filter(
        attendance__enrolment__participant_id=OuterRef("participant_id"),
        attendance__slot__session__formation_id=OuterRef("formation_id"),
        **after_issue,
    )
    sealed_since = Seal.objects.filter(
        slot__session__formation_id=OuterRef("formation_id"),
        slot__session__enrolments__participant_id=OuterRef("participant_id"),
        sealed_at__gt=OuterRef("issued_at"),
    )
    of_structure_in_formation = Rectification.objects.filter(
        attendance__enrolment__participant__structure_id=OuterRef("structure_id"),
        attendance__slot__session__formation_id=OuterRef("formation_id"),
        **after_issue,
    )
    session_sealed_since = Seal.objects.filter(
        slot__session__formation_id=OuterRef("formation_id"),
        sealed_at__gt=OuterRef("issued_at"),
        slot__session__in=TrainingSession.objects.filter(fully_sealed_session_q())
        .exclude(status=TrainingSession.Status.CANCELLED)
        .values("pk"),
    )
    # A service-fait statement: a half-day of its period (its local day, in its session's
    # zone) sealed or rectified after the issue changes the units and the amount it states.
    period_slots = (
        Slot.objects.exclude(session__status=TrainingSession.Status.CANCELLED)
        .annotate(day=_local_day())
        .filter(
            session__formation_id=OuterRef("formation_id"),
            day__gte=OuterRef("covers_from"),
            day__lte=OuterRef("covers_to"),
        )
    )
    statement_moved = Exists(period_slots.filter(seal__sealed_at__gt=OuterRef("issued_at"))) | (
        Exists(
            period_slots.filter(attendances__rectifications__created_at__gt=OuterRef("issued_at"))
        )
    )
    # The statement prints every standing claim of the formation with the totals claimed,
    # received and still due, and subtracts the claims from the amount to claim: a claim
    # or a payment it printed, corrected or cancelled since, changes those figures.
    corrected_since = {
        "formation_id": OuterRef("formation_id"),
        "created_at__lte": OuterRef("issued_at"),
        "updated_at__gt": OuterRef("issued_at"),
    }
    statement_moved = (
        statement_moved
        | Exists(ServiceFaitClaim.objects.filter(**corrected_since))
        | Exists(Payment.objects.filter(**corrected_since))
    )
    # An evaluation synthesis: a comment of its questionnaire in its formation hidden after
    # it (the funder's copy still prints it), or an answer submitted on a later day (the
    # day only is kept, for anonymity: one given later on the day of the issue is missed).
    synthesis_moved = Exists(
        Answer.objects.filter(
            response__campaign__formation_id=OuterRef("formation_id"),
            response__version__questionnaire_id=OuterRef("questionnaire_id"),
            hidden_at__gt=OuterRef("issued_at"),
        )
    ) | Exists(
        Response.objects.filter(
            campaign__formation_id=OuterRef("formation_id"),
            version__questionnaire_id=OuterRef("questionnaire_id"),
            submitted_on__gt=TruncDate(
                ExpressionWrapper(OuterRef("issued_at"), output_field=DateTimeField())
            ),
        )
    )
    outdated = (
        _fiches_outdated()
        | (Q(kind=IssuedDocument.Kind.EVALUATION_SYNTHESIS) & synthesis_moved)
        | (Q(kind=IssuedDocument.Kind.SERVICE_FAIT_STATEMENT) & statement_moved)
        | (Q(kind=IssuedDocument.Kind.ATTENDANCE_SHEET) & Exists(in_session))
        | (Q(kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT) & Exists(of_structure))
        | (
            Q(kind__in=CERTIFICATE_KINDS)
            & (Exists(of_person) | (Q(final=False) & Exists(sealed_since)))
        )
        | (
            Q(kind=STRUCTURE_CERTIFICATE)
            & (Exists(of_structure_in_formation) | (Q(final=False) & Exists(session_sealed_since)))
        )
    )
    return set(
        IssuedDocument.objects.filter(pk__in=document_ids)
        .filter(outdated)
        .values_list("pk", flat=True)
    )


# Journal actions after which the documents of a programme's structures print something
# else though no row of theirs says so (a rename, a deletion: `formations.AuditEntry`).
# On the programme: what every fiche and the livret print (its title, reference, carrier,
# funders, partner structures: the programme form journals `programme_updated`), the
# themes' labels; the intersession tasks of several structures edited or deleted at once.
PROGRAMME_ACTIONS = ("programme_updated", "projects.theme_rename", "projects.theme_delete")
PROGRAMME_TASK_ACTIONS = ("projects.task_updated", "projects.task_deleted")


def _fiches_outdated() -> Q:
    """A fiche projet whose fiche has a newer revision than the one it printed, whose
    structure or programme was edited since (name, kind, title, partner structures: the
    journal's `structure_updated`, `programme_updated`), or whose programme's themes were
    renamed or deleted since; a fiche individuelle likewise, or whose structure has had
    since its issue a follow-up entry written, edited, answered or deleted, an
    intersession task set, edited, done, reopened or deleted, a half-day of the programme
    with its people sealed or rectified, or a certificate issued (its numbers are
    printed); a livret whose programme has a fiche edited since, or was edited itself
    (a partner structure added), or had a theme renamed or deleted, or one of whose
    partner structures was edited. One query for all, with the others (`_outdated`).

    Deletions and renames are read from the journal. A follow-up entry deleted, or a task
    reopened, are journaled on the structure, not the programme: a structure in two
    programmes has both programmes' fiches individuelles flagged; an edit or a deletion
    of tasks is journaled on the programme, and flags its every fiche individuelle."""
    after_issue = {"created_at__gt": OuterRef("issued_at")}
    of_fiche = {"programme_id": OuterRef("programme_id"), "structure_id": OuterRef("structure_id")}
    journal = AuditEntry.objects.filter(at__gt=OuterRef("issued_at"))
    on_programme = journal.filter(
        object_type=Programme._meta.label_lower,
        object_id=Cast(OuterRef("programme_id"), output_field=CharField()),
    )
    structure_key = Cast(OuterRef("structure_id"), output_field=CharField())
    on_structure = journal.filter(object_type=Structure._meta.label_lower, object_id=structure_key)
    renamed = Exists(on_programme.filter(action__in=PROGRAMME_ACTIONS)) | Exists(
        on_structure.filter(action="structure_updated")
    )
    fiche_moved = (
        Exists(ProjectFiche.objects.filter(**of_fiche, revision__gt=OuterRef("fiche_revision")))
        | renamed
    )
    people = {
        "enrolment__participant__structure_id": OuterRef("structure_id"),
        "enrolment__session__formation__programme_id": OuterRef("programme_id"),
    }
    since_issue = {"updated_at__gt": OuterRef("issued_at")}  # written, or saved again
    activity_moved = (
        Exists(FollowUpEntry.objects.filter(**of_fiche, **since_issue))
        | Exists(IntersessionTask.objects.filter(**of_fiche, **since_issue))
        | Exists(IntersessionTask.objects.filter(**of_fiche, done_at__gt=OuterRef("issued_at")))
        | Exists(
            journal.filter(
                action="projects.follow_up.deleted",
                mentions__object_type=Structure._meta.label_lower,
                mentions__object_id=structure_key,
            )
        )
        | Exists(on_structure.filter(action="projects.task_reopened"))
        | Exists(on_programme.filter(action__in=PROGRAMME_TASK_ACTIONS))
        | Exists(
            Seal.objects.filter(
                slot__session__formation__programme_id=OuterRef("programme_id"),
                slot__session__enrolments__participant__structure_id=OuterRef("structure_id"),
                sealed_at__gt=OuterRef("issued_at"),
            )
        )
        | Exists(
            Rectification.objects.filter(
                **{f"attendance__{key}": value for key, value in people.items()}, **after_issue
            )
        )
        | Exists(
            IssuedDocument.objects.filter(
                Q(participant__structure_id=OuterRef("structure_id"))
                | Q(participant__isnull=True, structure_id=OuterRef("structure_id")),
                kind__in=(*CERTIFICATE_KINDS, STRUCTURE_CERTIFICATE),
                formation__programme_id=OuterRef("programme_id"),
                issued_at__gt=OuterRef("issued_at"),
            )
        )
    )
    partners = (
        ProgrammeStructure.objects.filter(programme_id=OuterRef(OuterRef("programme_id")))
        .annotate(key=Cast("structure_id", output_field=CharField()))
        .values("key")
    )
    booklet_moved = (
        Exists(
            FicheRevision.objects.filter(
                fiche__programme_id=OuterRef("programme_id"), at__gt=OuterRef("issued_at")
            )
        )
        | Exists(on_programme.filter(action__in=PROGRAMME_ACTIONS))
        | Exists(
            journal.filter(
                action="structure_updated",
                object_type=Structure._meta.label_lower,
                object_id__in=partners,
            )
        )
    )
    return (
        (Q(kind=IssuedDocument.Kind.PROJECT_FICHE) & fiche_moved)
        | (Q(kind=IssuedDocument.Kind.STRUCTURE_FICHE) & (fiche_moved | activity_moved))
        | (Q(kind=BOOKLET) & booklet_moved)
    )


def document_state(*, document: IssuedDocument) -> DocumentState:
    return document_states([document])[document.pk]


# ---------------------------------------------------------------------------- kept bytes


def issued_file(*, document: IssuedDocument) -> DocumentFile:
    """The kept bytes of an issued document, exactly as handed out at its issue, read
    through the storage API and checked against the register: a file that is gone
    (`file_missing`) or whose size or SHA-256 differs (`file_altered`) is refused, never
    served as if it were the registered document."""
    if not document.storage_name:
        raise LivrablesError(
            _(
                "Le document n° %(number)s a été enregistré avant que les documents émis "
                "soient conservés : seule son empreinte est gardée."
            )
            % {"number": document.number},
            code="file_missing",
        )
    try:
        content = files.read(document.storage_name, limit=document.size)
    except FileNotFoundError:
        logger.error(
            "Issued document %s: kept file %s is missing", document.number, document.storage_name
        )
        raise LivrablesError(
            _("Le fichier conservé du document n° %(number)s est introuvable.")
            % {"number": document.number},
            code="file_missing",
        ) from None
    if len(content) != document.size or hashlib.sha256(content).hexdigest() != document.sha256:
        logger.error(
            "Issued document %s: kept file %s no longer matches its digest",
            document.number,
            document.storage_name,
        )
        raise LivrablesError(
            _(
                "Le fichier conservé du document n° %(number)s ne correspond plus à "
                "l'empreinte enregistrée : il n'est pas servi."
            )
            % {"number": document.number},
            code="file_altered",
        )
    return DocumentFile(
        filename=document.filename or f"{document.number}.pdf",
        content_type=document.content_type,
        content=content,
        number=document.number,
    )


def issued_document_by_number(*, number: str) -> IssuedDocument | None:
    """The issued document registered under `number`, or under `number` in capitals (numbers
    are written in capitals, but people type them in lower case): no prefix or fuzzy match,
    the public page must not help anyone guess or list numbers. One query on the number's
    unique index (a case-insensitive comparison would read the whole register, on a public
    page): a number whose session code holds small letters is found as typed only."""
    if "\x00" in number:
        # No number holds a NUL, and PostgreSQL refuses one in a query parameter.
        return None
    found = {
        document.number: document
        for document in IssuedDocument.objects.select_related("session", "structure").filter(
            number__in={number, number.upper()}
        )
    }
    return found.get(number) or found.get(number.upper())


@dataclass(frozen=True)
class FileComparison:
    matches: bool
    sha256: str
    size: int
    # When it does not match: the number of another registered document it is, byte for
    # byte (a reader checking the wrong page, or an older copy since replaced), or "".
    other_number: str = ""


def compare_file(*, document: IssuedDocument, uploaded_file) -> FileComparison:
    """Whether an uploaded file is, byte for byte, the registered document: its SHA-256
    (computed chunk by chunk, whatever the file is) against the one recorded at issue;
    when it is not, whether it is another registered document (one indexed query). The
    uploader holds the file: naming the document it is discloses nothing more."""
    digest = hashlib.sha256()
    size = 0
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
        size += len(chunk)
    sha256 = digest.hexdigest()
    matches = sha256 == document.sha256 and size == document.size
    other_number = ""
    if not matches:
        other_number = (
            IssuedDocument.objects.filter(sha256=sha256, size=size)
            .exclude(pk=document.pk)
            .order_by("issued_at", "pk")
            .values_list("number", flat=True)
            .first()
        ) or ""
    return FileComparison(matches=matches, sha256=sha256, size=size, other_number=other_number)


def _by_formation(documents: QuerySet[IssuedDocument]) -> dict[int, list[IssuedDocument]]:
    """The documents per formation, newest first, each with its `state` (two queries)."""
    documents = list(documents.select_related("issued_by").order_by("-issued_at", "-pk"))
    states = document_states(documents)
    by_formation: dict[int, list] = {}
    for document in documents:
        document.state = states[document.pk]
        by_formation.setdefault(document.formation_id, []).append(document)
    return by_formation
