"""Issuing certificates in bulk, for a session or a whole formation, as a background job.

A coordinator starts it (`certificates_bulk_start`, from the formation page or the page of
a fully sealed session): a `BackgroundJob` is created in the request's transaction and the
task (`livrables.tasks.issue_certificates_bulk`) is enqueued once it commits. The task
(`certificates_bulk_run`) issues, for each kind asked and each subject of the scope, what is
missing or « à rééditer », and counts what already stands up to date as done. Every
document goes through the one issuing path (`services.issue_certificate_data` → `_issue`:
number, kept file, register, supersede, journal); only the data are read in bulk
(`data_certificates.build_certificates_data`, a constant number of queries per batch).

The kinds are a small registry (`BULK_KINDS`): the two certificates of each person, and
the certificat d'assiduité of each structure with people in the scope (its own `subjects`,
`subject_field` and `issue_batch`, through `services.issue_structure_certificate`). The
result is a ZIP of the scope's standing documents (`livrables.zips`), linked from the
progress box once the job has finished and from the page at any time."""

import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator, Sequence

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.jobs import (
    JOB_KINDS,
    JobKind,
    job_abandon,
    job_advance,
    job_create,
    job_finish,
    job_set_total,
    running_job,
)
from formations.models import BackgroundJob, Formation, Participant, Structure, User
from livrables.data_certificates import build_certificates_data, nothing_sealed_error
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.permissions import may_issue_certificate
from livrables.selectors import document_states, fully_sealed_session_q, standing
from livrables.services import (
    issue_certificate_data,
    issue_structure_certificate,
    retention_until,
)
from sessions.models import TrainingSession
from sessions.selectors.hours import counted_attendances, realised_expression

logger = logging.getLogger(__name__)

JOB_KIND = "certificates.bulk"
# People whose data are read at once (bounded memory), and how often the job's counters
# are written (not one UPDATE per document).
BATCH_SIZE = 50
ADVANCE_EVERY = 10


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a bulk issue covers: a formation, or one fully sealed session of it."""

    formation: Formation
    session: TrainingSession | None = None

    @property
    def formation_key(self) -> str:
        return f"certificates:formation:{self.formation.pk}"

    @property
    def key(self) -> str:
        """The job's scope (`BackgroundJob.scope`): a session's is under its formation's,
        so that one running job of a formation, for the whole or one session, holds off
        any other (they would issue the same people's certificates twice)."""
        if self.session is not None:
            return f"{self.formation_key}:session:{self.session.pk}"
        return self.formation_key

    @property
    def zip_url(self) -> str:
        if self.session is not None:
            return reverse("livrables:session_certificates_zip", args=[self.session.pk])
        return reverse("livrables:formation_certificates_zip", args=[self.formation.pk])

    @functools.cached_property
    def people(self) -> tuple[tuple[int, int, str], ...]:
        """The people the scope covers, each as (person, their structure today, its name),
        in the order of their names: the session's enrolled (once it is fully sealed), or
        everyone enrolled in at least one fully sealed session of the formation. Read once
        (one query) for the people's and the structures' subjects alike."""
        if self.session is not None:
            people = Participant.objects.filter(enrolments__session_id=self.session.pk)
        else:
            people = Participant.objects.filter(
                enrolments__session__formation_id=self.formation.pk,
                enrolments__session__in=sealed_sessions().values("pk"),
            )
        return tuple(
            people.distinct()
            .order_by("sort_key", "pk")
            .values_list("pk", "structure_id", "structure__name")
        )


def sealed_sessions():
    """Sessions whose half-days are all sealed, not cancelled: what a certificate covers."""
    return TrainingSession.objects.filter(fully_sealed_session_q()).exclude(
        status=TrainingSession.Status.CANCELLED
    )


def participant_subjects(scope: Scope) -> list[int]:
    """The people a bulk issue of certificates covers (`Scope.people`), in the order of
    their names."""
    return [person for person, _structure, _name in scope.people]


def participants_with_hours(scope: Scope) -> list[int]:
    """The scope's people with at least one counted minute in the formation's fully sealed
    sessions: the certificat de réalisation attests hours followed, and none is issued for
    nobody's hours (`services.issue_certificate_data`). One query."""
    people = participant_subjects(scope)
    with_hours = set(
        counted_attendances()
        .filter(
            enrolment__participant_id__in=people,
            enrolment__session__formation_id=scope.formation.pk,
            enrolment__session__in=sealed_sessions().values("pk"),
        )
        .annotate(realised=realised_expression())
        .filter(realised__gt=0)
        .values_list("enrolment__participant_id", flat=True)
    )
    return [person for person in people if person in with_hours]


def _participant_batch(
    *, kind: str, scope: Scope, subject_ids: Sequence[int], actor, now, retention
) -> Iterator[tuple[int, IssuedDocument | LivrablesError]]:
    """Issues the certificate of `kind` of each person of `subject_ids`, from data read in
    one go; a person without data (nothing sealed any more) is an error, not a stop."""
    formation = scope.formation
    found = build_certificates_data(
        kinds=(kind,), participants=subject_ids, formation=formation, now=now
    )
    people = Participant.objects.in_bulk(subject_ids)
    for pk in subject_ids:
        participant = people.get(pk)
        data = found.get((pk, kind))
        if participant is None or data is None:
            yield (
                pk,
                nothing_sealed_error(participant=participant or Participant(), formation=formation),
            )
            continue
        try:
            yield (
                pk,
                issue_certificate_data(
                    data=data,
                    participant=participant,
                    formation=formation,
                    actor=actor,
                    now=now,
                    retention=retention,
                ),
            )
        except LivrablesError as error:
            yield pk, error
        except Exception as error:  # noqa: BLE001 (one person must not stop the others)
            logger.exception("Bulk issue: %s of participant %s failed", kind, pk)
            yield pk, error


def structure_subjects(scope: Scope) -> list[int]:
    """The structures a bulk issue of certificats d'assiduité covers: those of the scope's
    people (`Scope.people`; their structure today, as the certificate counts them), in the
    order of their names."""
    names = {structure: name for _person, structure, name in scope.people}
    return sorted(names, key=lambda structure: (names[structure], structure))


def _structure_batch(
    *, kind: str, scope: Scope, subject_ids: Sequence[int], actor, now, retention
) -> Iterator[tuple[int, IssuedDocument | LivrablesError]]:
    """Issues the certificat d'assiduité of each structure of `subject_ids` in the scope's
    formation, one after the other through `issue_structure_certificate` (its data are
    read per structure: a structure's certificate covers every sealed session of the
    formation, whatever the scope). A structure that cannot have one (`nothing_sealed`:
    its people moved elsewhere since) is an error, not a stop."""
    structures = Structure.objects.in_bulk(subject_ids)
    for pk in subject_ids:
        structure = structures.get(pk)
        if structure is None:
            yield pk, LivrablesError(_("Cette structure n'existe plus."), code="no_structure")
            continue
        try:
            yield (
                pk,
                issue_structure_certificate(
                    structure=structure,
                    formation=scope.formation,
                    actor=actor,
                    now=now,
                    retention=retention,
                ),
            )
        except LivrablesError as error:
            yield pk, error
        except Exception as error:  # noqa: BLE001 (one structure must not stop the others)
            logger.exception("Bulk issue: %s of structure %s failed", kind, pk)
            yield pk, error


@dataclasses.dataclass(frozen=True)
class BulkKind:
    """One kind of document a bulk issue may produce.

    `subjects(scope)`: the primary keys of what it is issued about (people, structures…);
    `subject_field`: the register's column holding them (`participant_id`…);
    `issue_batch(kind=, scope=, subject_ids=, actor=, now=, retention=)`: issues it for
    those subjects, yielding (pk, issued document or LivrablesError) for each."""

    kind: str
    slug: str
    label: Callable[[], str]
    subjects: Callable[[Scope], list[int]]
    subject_field: str
    issue_batch: Callable[..., Iterator[tuple[int, IssuedDocument | LivrablesError]]]


BULK_KINDS: dict[str, BulkKind] = {
    entry.kind: entry
    for entry in (
        BulkKind(
            kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE,
            slug="certificats-de-realisation",
            label=gettext_lazy("Certificats de réalisation"),
            subjects=participants_with_hours,
            subject_field="participant_id",
            issue_batch=_participant_batch,
        ),
        BulkKind(
            kind=IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
            slug="attestations-d-assiduite",
            label=gettext_lazy("Attestations d'assiduité"),
            subjects=participant_subjects,
            subject_field="participant_id",
            issue_batch=_participant_batch,
        ),
        BulkKind(
            kind=IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE,
            slug="certificats-d-assiduite-des-structures",
            label=gettext_lazy("Certificats d'assiduité des structures"),
            subjects=structure_subjects,
            subject_field="structure_id",
            issue_batch=_structure_batch,
        ),
    )
}


def _documents_failed(count: int) -> str:
    return ngettext(
        "%(count)s document n'a pas pu être émis : relancez l'émission, elle reprend "
        "ce qui manque.",
        "%(count)s documents n'ont pas pu être émis : relancez l'émission, elle reprend "
        "ce qui manque.",
        count,
    ) % {"count": count}


def _interrupted(done: int, total: int) -> str:
    return _(
        "Interrompue après %(done)s sur %(total)s : relancez l'émission, elle reprend ce qui "
        "manque."
    ) % {"done": done, "total": total}


JOB_KINDS["certificates"] = JobKind(
    failed=_documents_failed,
    result_label=lambda: _("Télécharger le ZIP des documents"),
    stale=_interrupted,
)


# ---------------------------------------------------------------------------- state


@dataclasses.dataclass(frozen=True)
class KindState:
    """Where a scope stands for one kind: subjects, and among them those whose document
    stands up to date, stands but is « à rééditer », or is missing."""

    kind: str
    label: str
    slug: str
    subjects: int
    up_to_date: int
    to_reissue: int

    @property
    def missing(self) -> int:
        return self.subjects - self.up_to_date - self.to_reissue

    @property
    def to_issue(self) -> int:
        return self.missing + self.to_reissue


def _standing_by_subject(
    entries: Sequence[BulkKind], scope: Scope, subjects_of: dict
) -> dict[str, dict[int, bool]]:
    """Per kind, each subject with a standing document of that kind → whether it is « à
    rééditer ». Three queries whatever the number of kinds and subjects."""
    clauses = Q()
    for entry in entries:
        ids = subjects_of[entry.subjects]
        if ids:
            clauses |= Q(kind=entry.kind, **{f"{entry.subject_field}__in": ids})
    found: dict[str, dict[int, bool]] = {entry.kind: {} for entry in entries}
    if not clauses:
        return found
    fields = {entry.subject_field for entry in entries}
    documents = list(
        standing(IssuedDocument.objects.filter(clauses, formation_id=scope.formation.pk)).only(
            "pk", "kind", "issued_at", "final", "formation_id", *fields
        )
    )
    states = document_states(documents)
    by_kind = {entry.kind: entry for entry in entries}
    for document in documents:
        subject = getattr(document, by_kind[document.kind].subject_field)
        mine = found[document.kind]
        # Several standing ones (registered before files were kept): any outdated one
        # makes the subject « à rééditer ».
        mine[subject] = mine.get(subject, False) or states[document.pk].needs_reissue
    return found


def _subjects(entries: Sequence[BulkKind], scope: Scope) -> dict:
    """Each distinct `subjects` function of `entries` → its subjects (read once)."""
    subjects_of: dict[Callable, list[int]] = {}
    for entry in entries:
        if entry.subjects not in subjects_of:
            subjects_of[entry.subjects] = entry.subjects(scope)
    return subjects_of


def bulk_states(*, scope: Scope) -> list[KindState]:
    """Per kind of the registry: how many subjects the scope has, how many documents stand
    up to date, how many are « à rééditer », how many are missing. Constant queries (one
    per distinct kind of subject, three for the documents)."""
    entries = list(BULK_KINDS.values())
    subjects_of = _subjects(entries, scope)
    standing_now = _standing_by_subject(entries, scope, subjects_of)
    out = []
    for entry in entries:
        found = standing_now[entry.kind]
        outdated = sum(1 for flag in found.values() if flag)
        out.append(
            KindState(
                kind=entry.kind,
                label=str(entry.label),
                slug=entry.slug,
                subjects=len(subjects_of[entry.subjects]),
                up_to_date=len(found) - outdated,
                to_reissue=outdated,
            )
        )
    return out


# ---------------------------------------------------------------------------- start


@transaction.atomic
def certificates_bulk_start(
    *, formation, session=None, kinds: Sequence[str], actor
) -> BackgroundJob:
    """Starts issuing `kinds` (keys of `BULK_KINDS`) for `session` (its enrolled people) or
    for the whole `formation` (everyone with a fully sealed session), in the background:
    creates the job and enqueues `tasks.issue_certificates_bulk` once the transaction
    commits. If a bulk issue of the same scope is still running, that job is returned
    (`already_running` set on it) and nothing more is started: a double submit issues
    nothing twice.

    Raises LivrablesError `not_allowed` (coordinators only), `no_kind` (none or unknown
    kinds), `wrong_session` (the session is not of the formation), `cancelled` (the
    session is cancelled: certificates cover no cancelled session), `not_sealed` (a
    half-day of the session is not sealed), `nothing_sealed` (no fully sealed session in
    the formation). Audit action `livrables.certificates_bulk_started` on the session or
    the formation (data: kinds, job)."""
    from formations.audit import log_action
    from livrables.tasks import issue_certificates_bulk

    if not may_issue_certificate(actor):
        raise LivrablesError(
            _("Seule la coordination émet les certificats et attestations."),
            code="not_allowed",
        )
    kinds = [str(k) for k in dict.fromkeys(kinds)]
    if not kinds or any(k not in BULK_KINDS for k in kinds):
        raise LivrablesError(
            _("Choisissez au moins un type de document à émettre."), code="no_kind"
        )
    if session is not None and session.formation_id != formation.pk:
        raise LivrablesError(
            _("Cette session n'appartient pas à la formation."), code="wrong_session"
        )
    # Serialises two starts on the same formation: the second sees the first's job.
    Formation.objects.select_for_update().filter(pk=formation.pk).values_list("pk").first()
    scope = Scope(formation=formation, session=session)
    running = running_job(scope=scope.formation_key, within=True)
    if running is not None:
        running.already_running = True
        return running
    if session is not None and session.status == TrainingSession.Status.CANCELLED:
        raise LivrablesError(
            _("Cette session est annulée : les certificats ne couvrent pas ses demi-journées."),
            code="cancelled",
        )
    if session is not None and not (
        TrainingSession.objects.filter(pk=session.pk).filter(fully_sealed_session_q()).exists()
    ):
        raise LivrablesError(
            _(
                "Certaines demi-journées de la session ne sont pas encore closes et "
                "scellées : ses certificats ne peuvent pas encore être émis."
            ),
            code="not_sealed",
        )
    entries = [BULK_KINDS[k] for k in kinds]
    subjects_of = _subjects(entries, scope)
    total = sum(len(subjects_of[entry.subjects]) for entry in entries)
    if total == 0:
        raise LivrablesError(
            _(
                "Aucune session de la formation n'est entièrement scellée : rien ne peut "
                "encore être certifié."
            ),
            code="nothing_sealed",
        )
    if session is not None:
        label = _("Émission des certificats de la session %(code)s") % {"code": session.code}
    else:
        label = _("Émission des certificats de la formation %(reference)s") % {
            "reference": formation.contract_reference
        }
    job = job_create(
        kind=JOB_KIND,
        label=label,
        total=total,
        actor=actor,
        scope=scope.key,
        result_url=scope.zip_url,
    )
    job.already_running = False
    log_action(
        actor=actor,
        action="livrables.certificates_bulk_started",
        obj=session or formation,
        summary=label,
        data={"kinds": kinds, "job": str(job.pk)},
    )
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None

    def enqueue():
        try:
            issue_certificates_bulk.enqueue(
                job_id=str(job.pk),
                formation_id=formation.pk,
                session_id=session.pk if session is not None else None,
                kinds=kinds,
                actor_id=actor_id,
            )
        except Exception:  # noqa: BLE001 (the request has committed: say it on the job)
            logger.exception("Bulk issue %s could not be queued", job.pk)
            job_abandon(job_id=job.pk)

    transaction.on_commit(enqueue)
    return job


# ---------------------------------------------------------------------------- run


@dataclasses.dataclass
class BulkOutcome:
    issued: int = 0
    skipped: int = 0
    failed: int = 0


def certificates_bulk_run(
    *, job_id, formation_id: int, session_id: int | None, kinds: Sequence[str], actor_id, now=None
) -> BulkOutcome:
    """The work of a bulk issue (run by the task): for each kind, each subject of the scope
    whose document is missing or « à rééditer » gets one, issued as by hand; a standing,
    up-to-date one is counted done and left alone (read again before each batch: a
    document issued by hand meanwhile is not issued twice). A subject that fails (a
    LivrablesError, or anything unexpected, logged) is counted failed and the others go
    on. The job's counters move every few documents. If the run itself fails, the job is
    ended with what was not done counted failed (`job_abandon`): it never stays « en
    cours »."""
    try:
        return _run(
            job_id=job_id,
            formation_id=formation_id,
            session_id=session_id,
            kinds=kinds,
            actor_id=actor_id,
            now=now or timezone.now(),
        )
    except Exception:
        logger.exception("Bulk issue %s stopped", job_id)
        job_abandon(job_id=job_id)
        raise


def _run(*, job_id, formation_id, session_id, kinds, actor_id, now) -> BulkOutcome:
    formation = Formation.objects.select_related("programme").get(pk=formation_id)
    session = (
        TrainingSession.objects.get(pk=session_id, formation_id=formation_id)
        if session_id is not None
        else None
    )
    scope = Scope(formation=formation, session=session)
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    outcome = BulkOutcome()
    if actor_id is not None and (actor is None or not may_issue_certificate(actor)):
        # The account lost its role (or was removed) between the click and the task:
        # nothing is issued, and the box says so (every document « not issued »).
        logger.warning("Bulk issue %s: its author may no longer issue certificates", job_id)
        job_abandon(job_id=job_id)
        return outcome
    retention = retention_until(programme_end=formation.programme.end_date)
    entries = [BULK_KINDS[k] for k in kinds]
    subjects_of = _subjects(entries, scope)
    standing_now = _standing_by_subject(entries, scope, subjects_of)
    plan = []
    for entry in entries:
        ids = subjects_of[entry.subjects]
        # Missing (no entry) or « à rééditer » (True): to issue; up to date: left alone.
        todo = [pk for pk in ids if standing_now[entry.kind].get(pk, True)]
        outcome.skipped += len(ids) - len(todo)
        plan.append((entry, todo))
    job_set_total(job_id=job_id, total=outcome.skipped + sum(len(t) for _e, t in plan))
    counter = _Counter(job_id=job_id, done=outcome.skipped)
    for entry, todo in plan:
        for start in range(0, len(todo), BATCH_SIZE):
            batch = _still_to_issue(entry, scope, todo[start : start + BATCH_SIZE])
            skipped = min(BATCH_SIZE, len(todo) - start) - len(batch)
            outcome.skipped += skipped
            counter.add(done=skipped)
            processed = set()
            try:
                for pk, result in entry.issue_batch(
                    kind=entry.kind,
                    scope=scope,
                    subject_ids=batch,
                    actor=actor,
                    now=now,
                    retention=retention,
                ):
                    processed.add(pk)
                    _count(outcome, counter, job_id, entry, pk, result)
            except Exception as error:  # noqa: BLE001 (the batch as a whole: no provider…)
                if not isinstance(error, LivrablesError):
                    logger.exception("Bulk issue %s: a batch of %s failed", job_id, entry.kind)
                for pk in batch:
                    if pk not in processed:
                        _count(outcome, counter, job_id, entry, pk, error)
    counter.flush()
    job_finish(job_id=job_id, result_url=scope.zip_url)
    return outcome


def _still_to_issue(entry: BulkKind, scope: Scope, subject_ids: list[int]) -> list[int]:
    """Those of `subject_ids` whose document is still missing or « à rééditer » now."""
    standing_now = _standing_by_subject([entry], scope, {entry.subjects: subject_ids})
    return [pk for pk in subject_ids if standing_now[entry.kind].get(pk, True)]


@dataclasses.dataclass
class _Counter:
    """The job's counters, written every `ADVANCE_EVERY` subjects (not one UPDATE each)."""

    job_id: object
    done: int = 0
    failed: int = 0

    def add(self, *, done: int = 0, failed: int = 0) -> None:
        self.done += done
        self.failed += failed
        if self.done >= ADVANCE_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.done:
            job_advance(job_id=self.job_id, done=self.done, failed=self.failed)
            self.done = self.failed = 0


def _count(outcome: BulkOutcome, counter: _Counter, job_id, entry: BulkKind, pk, result) -> None:
    if isinstance(result, Exception):
        outcome.failed += 1
        counter.add(done=1, failed=1)
        # The code only: a message may name the person, and logs outlive the register.
        logger.warning(
            "Bulk issue %s: %s of subject %s not issued (%s)",
            job_id,
            entry.kind,
            pk,
            getattr(result, "code", type(result).__name__),
        )
    else:
        outcome.issued += 1
        counter.add(done=1)
