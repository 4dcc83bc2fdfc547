"""Issuing certificates in bulk for a formation or a session: a background job with its
progress, issued through the one issuing path, skipping what stands up to date, and the
ZIP of the standing documents."""

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from formations.jobs import job_state
from formations.models import AuditEntry, BackgroundJob, User
from formations.selectors import provider_identity
from livrables import bulk
from livrables.bulk import certificates_bulk_start
from livrables.data_certificates import build_certificate_data, build_certificates_data
from livrables.exceptions import LivrablesError
from livrables.models import DocumentEntry, IssuedDocument
from livrables.pdf.certificates import RENDERERS
from livrables.selectors import document_states, issued_file, own_certificates
from sessions.models import Rectification, Seal
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProviderIdentityFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.livrables.conftest import SIGNATURE, pdf_text

CERTIFICATE = IssuedDocument.Kind.COMPLETION_CERTIFICATE
ATTESTATION = IssuedDocument.Kind.ATTENDANCE_ATTESTATION
BOTH = [CERTIFICATE, ATTESTATION]
NOW = dt.datetime(2021, 11, 2, 10, 0, tzinfo=dt.UTC)


@dataclass
class World:
    formation: object
    sealed: list  # two fully sealed sessions
    open_session: object  # one half-day not sealed
    people: list  # enrolled in a sealed session
    outsider: object  # enrolled only in the unsealed session
    coordinator: User
    funder: object


def make_session(formation, people, *, day, sealed=True, code=""):
    session = TrainingSessionFactory(formation=formation, **({"code": code} if code else {}))
    trainer = UserFactory(role=User.Role.TRAINER)
    enrolments = [EnrolmentFactory(session=session, participant=p) for p in people]
    for index, hour in enumerate((9, 14)):
        starts = dt.datetime.combine(day, dt.time(hour), tzinfo=session.tzinfo)
        # Countersigned, as a sealed half-day always is: its hours count.
        slot = SlotFactory(
            session=session,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            countersigned_at=starts + dt.timedelta(hours=3),
        )
        for enrolment in enrolments:
            AttendanceFactory(enrolment=enrolment, slot=slot, signature=SIGNATURE)
        if sealed or index == 0:
            Seal.objects.create(
                slot=slot,
                session=session,
                sequence=index + 1,
                previous_digest="",
                digest=f"{index}" * 64,
                record_digests={},
                sealed_at=slot.ends_at,
                sealed_by=trainer,
            )
    return session


def make_world(count_a=3, count_b=2) -> World:
    if provider_identity() is None:
        ProviderIdentityFactory()
    funder = FunderFactory(name="FEDER", kind="feder")
    programme = ProgrammeFactory()
    programme.funders.add(funder)
    formation = FormationFactory(programme=programme)
    group_a = [ParticipantFactory() for _ in range(count_a)]
    group_b = [ParticipantFactory() for _ in range(count_b)]
    outsider = ParticipantFactory()
    first = make_session(formation, group_a, day=dt.date(2021, 10, 4))
    # The first person of group A comes back in the second session.
    second = make_session(formation, [*group_b, group_a[0]], day=dt.date(2021, 10, 11))
    open_session = make_session(
        formation, [outsider, group_a[1]], day=dt.date(2021, 10, 18), sealed=False
    )
    return World(
        formation=formation,
        sealed=[first, second],
        open_session=open_session,
        people=group_a + group_b,
        outsider=outsider,
        coordinator=UserFactory(role=User.Role.COORDINATOR),
        funder=funder,
    )


@pytest.fixture
def world(db):
    return make_world()


def start(committed, world, *, session=None, kinds=BOTH, actor=None):
    return committed(
        certificates_bulk_start,
        formation=world.formation,
        session=session,
        kinds=kinds,
        actor=actor or world.coordinator,
    )


def standing_docs(world):
    records = list(IssuedDocument.objects.filter(formation=world.formation))
    states = document_states(records)
    return [r for r in records if states[r.pk].is_current]


# ---------------------------------------------------------------------------- data


def test_bulk_data_reads_a_constant_number_of_queries(db):
    counts = []
    for size in (3, 30):
        w = make_world(count_a=size, count_b=0)
        with CaptureQueriesContext(connection) as queries:
            found = build_certificates_data(
                kinds=BOTH, participants=w.people, formation=w.formation, now=NOW
            )
        assert len(found) == 2 * size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_one_by_one_and_bulk_print_the_same(world):
    found = build_certificates_data(
        kinds=BOTH, participants=world.people, formation=world.formation, now=NOW
    )
    for person in world.people:
        for kind in BOTH:
            alone = build_certificate_data(
                kind=kind, participant=person, formation=world.formation, now=NOW
            )
            assert alone == found[(person.pk, kind)]
            assert pdf_text(RENDERERS[kind](alone)) == pdf_text(
                RENDERERS[kind](found[(person.pk, kind)])
            )
    # The person back in the second session has both sessions on one certificate.
    twice = found[(world.people[0].pk, CERTIFICATE)]
    assert len(twice.sessions_covered) == 2
    assert len(twice.half_days) == 4


# ---------------------------------------------------------------------------- service


def test_bulk_for_a_formation_issues_each_person_once_into_their_space(world, committed):
    job = start(committed, world)

    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.FINISHED
    assert (job.total, job.done, job.failed) == (10, 10, 0)
    assert IssuedDocument.objects.filter(formation=world.formation).count() == 10
    for person in world.people:
        kinds = sorted(d.kind for d in own_certificates(participant=person))
        assert kinds == sorted(BOTH)
    # Only in the unsealed session: nothing to certify yet.
    assert not IssuedDocument.objects.filter(participant=world.outsider).exists()
    state = job_state(job)
    assert state["finished"] and state["percent"] == 100
    assert state["result_url"] == reverse(
        "livrables:formation_certificates_zip", args=[world.formation.pk]
    )
    assert AuditEntry.objects.filter(action="livrables.certificate_issued").count() == 5
    assert AuditEntry.objects.filter(action="livrables.certificates_bulk_started").count() == 1


def test_second_run_skips_documents_standing_up_to_date(world, committed):
    start(committed, world)
    before = set(IssuedDocument.objects.values_list("number", flat=True))

    job = start(committed, world)

    job.refresh_from_db()
    assert set(IssuedDocument.objects.values_list("number", flat=True)) == before
    assert (job.total, job.done, job.failed, job.status) == (10, 10, 0, "finished")


def test_documents_to_reissue_are_replaced_and_the_others_kept(world, committed):
    start(committed, world)
    person = world.people[2]
    attendance = person.enrolments.get().attendances.first()
    Rectification.objects.create(
        attendance=attendance,
        old_values={},
        new_values={},
        reason="Arrivée en retard signalée",
        author=world.coordinator,
        previous_digest="",
        digest="9" * 64,
        created_at=timezone.now() + dt.timedelta(seconds=1),
    )
    old = {d.kind: d for d in own_certificates(participant=person)}
    others = {d.number for d in standing_docs(world) if d.participant_id != person.pk}

    start(committed, world, kinds=[CERTIFICATE])

    new = {d.kind: d for d in own_certificates(participant=person)}
    assert new[CERTIFICATE].number != old[CERTIFICATE].number
    assert DocumentEntry.objects.get(document=old[CERTIFICATE]).replaced_by == new[CERTIFICATE]
    # Only the kind asked for; the attestation stays « à rééditer ».
    assert new[ATTESTATION].number == old[ATTESTATION].number
    assert {d.number for d in standing_docs(world) if d.participant_id != person.pk} == others


def test_no_certificat_de_realisation_for_someone_absent_throughout(world, committed):
    from livrables.services import issue_certificate
    from sessions.models import Attendance

    person = world.people[2]  # only in the first session
    Attendance.objects.filter(enrolment__participant=person).update(status=Attendance.Status.ABSENT)

    with pytest.raises(LivrablesError) as refused:
        issue_certificate(
            kind=CERTIFICATE, participant=person, formation=world.formation, actor=world.coordinator
        )
    assert refused.value.code == "nothing_realised"
    assert "aucune heure réalisée" in refused.value.message
    # The attestation, which lists the absences, is issued.
    attestation = issue_certificate(
        kind=ATTESTATION, participant=person, formation=world.formation, actor=world.coordinator
    )
    assert attestation.realised_minutes == 0

    states = {s.kind: s for s in bulk.bulk_states(scope=bulk.Scope(formation=world.formation))}
    assert states[CERTIFICATE].subjects == 4 and states[ATTESTATION].subjects == 5
    job = start(committed, world)
    job.refresh_from_db()
    assert (job.failed, job.status) == (0, "finished")
    assert not IssuedDocument.objects.filter(participant=person, kind=CERTIFICATE).exists()


def test_a_session_bulk_covers_its_people_only(world, committed):
    session = world.sealed[1]
    start(committed, world, session=session)

    people = {e.participant_id for e in session.enrolments.all()}
    assert {d.participant_id for d in standing_docs(world)} == people


def test_a_session_with_an_unsealed_half_day_is_refused(world):
    with pytest.raises(LivrablesError) as error:
        certificates_bulk_start(
            formation=world.formation,
            session=world.open_session,
            kinds=BOTH,
            actor=world.coordinator,
        )
    assert error.value.code == "not_sealed"
    assert not BackgroundJob.objects.exists()


def test_a_cancelled_session_is_refused(world):
    session = world.sealed[0]
    session.status = session.Status.CANCELLED
    session.save()

    with pytest.raises(LivrablesError) as refused:
        certificates_bulk_start(
            formation=world.formation, session=session, kinds=BOTH, actor=world.coordinator
        )
    assert refused.value.code == "cancelled"


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.STRUCTURE_REFERENT])
def test_only_coordinators_start_it(world, role):
    user = UserFactory(role=role, structure=StructureFactory())
    with pytest.raises(LivrablesError) as error:
        certificates_bulk_start(formation=world.formation, kinds=BOTH, actor=user)
    assert error.value.code == "not_allowed"


def test_a_double_submit_returns_the_running_job(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = certificates_bulk_start(
            formation=world.formation, kinds=BOTH, actor=world.coordinator
        )
        second = certificates_bulk_start(
            formation=world.formation, kinds=BOTH, actor=world.coordinator
        )
    assert second.pk == first.pk and second.already_running
    assert len(callbacks) == 1
    assert BackgroundJob.objects.count() == 1


def test_one_person_failing_does_not_stop_the_others(world, committed, monkeypatch):
    victim = world.people[1]
    real = bulk.issue_certificate_data

    def failing(*, participant, **kwargs):
        if participant.pk == victim.pk:
            raise LivrablesError("Stockage indisponible", code="storage")
        return real(participant=participant, **kwargs)

    monkeypatch.setattr(bulk, "issue_certificate_data", failing)
    job = start(committed, world)

    job.refresh_from_db()
    assert (job.done, job.failed, job.status) == (10, 2, "finished")
    assert not IssuedDocument.objects.filter(participant=victim).exists()
    assert IssuedDocument.objects.count() == 8
    summary = job_state(job)["summary"]
    assert "2 documents n'ont pas pu être émis" in summary
    assert "Envois" not in summary


def test_a_formation_job_running_holds_off_a_session_job_and_back(
    world, django_capture_on_commit_callbacks
):
    """Two jobs of one formation (the whole and one session) would issue the same people's
    certificates twice: the second start gets the running one."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        whole = certificates_bulk_start(
            formation=world.formation, kinds=BOTH, actor=world.coordinator
        )
        one = certificates_bulk_start(
            formation=world.formation,
            session=world.sealed[0],
            kinds=BOTH,
            actor=world.coordinator,
        )
    assert one.pk == whole.pk and one.already_running
    assert len(callbacks) == 1

    BackgroundJob.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        one = certificates_bulk_start(
            formation=world.formation,
            session=world.sealed[0],
            kinds=BOTH,
            actor=world.coordinator,
        )
        whole = certificates_bulk_start(
            formation=world.formation, kinds=BOTH, actor=world.coordinator
        )
    assert whole.pk == one.pk and whole.already_running


def test_a_certificate_issued_by_hand_meanwhile_is_not_issued_again(world, monkeypatch):
    """The run reads what stands again before each batch: one issued by hand between the
    plan and the batch is left alone."""
    person = world.people[0]
    real = bulk._still_to_issue

    def issue_by_hand_first(entry, scope, subject_ids):
        if (
            entry.kind == CERTIFICATE
            and not IssuedDocument.objects.filter(participant=person, kind=CERTIFICATE).exists()
        ):
            from livrables.services import issue_certificate

            issue_certificate(
                kind=CERTIFICATE,
                participant=person,
                formation=world.formation,
                actor=world.coordinator,
            )
        return real(entry, scope, subject_ids)

    monkeypatch.setattr(bulk, "_still_to_issue", issue_by_hand_first)
    job = bulk.job_create(kind=bulk.JOB_KIND, label="test", total=5, actor=world.coordinator)
    outcome = bulk.certificates_bulk_run(
        job_id=job.pk,
        formation_id=world.formation.pk,
        session_id=None,
        kinds=[CERTIFICATE],
        actor_id=world.coordinator.pk,
    )

    assert (outcome.issued, outcome.skipped) == (4, 1)
    assert IssuedDocument.objects.filter(participant=person, kind=CERTIFICATE).count() == 1
    job.refresh_from_db()
    assert (job.done, job.total, job.status) == (5, 5, "finished")


def test_the_zip_link_is_there_as_soon_as_the_job_counts_as_finished(world):
    """`job_advance` may finish the job (done reaching total) before `job_finish` runs:
    the box must then show the ZIP link, not « Terminé » without it."""
    job = certificates_bulk_start(formation=world.formation, kinds=BOTH, actor=world.coordinator)
    bulk.job_advance(job_id=job.pk, done=job.total)

    job.refresh_from_db()
    state = job_state(job)
    assert state["finished"]
    assert state["result_url"] == reverse(
        "livrables:formation_certificates_zip", args=[world.formation.pk]
    )


def test_a_run_that_fails_as_a_whole_ends_its_job(world, monkeypatch):
    job = certificates_bulk_start(formation=world.formation, kinds=BOTH, actor=world.coordinator)

    def broken(*args, **kwargs):
        raise RuntimeError("base de données indisponible")

    monkeypatch.setattr(bulk, "_standing_by_subject", broken)
    with pytest.raises(RuntimeError):
        bulk.certificates_bulk_run(
            job_id=job.pk,
            formation_id=world.formation.pk,
            session_id=None,
            kinds=BOTH,
            actor_id=world.coordinator.pk,
        )

    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == ("finished", job.total, job.total)
    assert "n'ont pas pu être émis : relancez l'émission" in job_state(job)["summary"]


def test_a_job_that_could_not_be_queued_is_ended_not_left_running(world, committed, monkeypatch):
    from livrables import tasks

    class Unreachable:
        def enqueue(self, **kwargs):
            raise ConnectionError("file des tâches indisponible")

    monkeypatch.setattr(tasks, "issue_certificates_bulk", Unreachable())
    job = start(committed, world)

    job.refresh_from_db()
    assert job.status == "finished" and job.failed == job.total
    assert not IssuedDocument.objects.exists()


def test_a_stalled_certificates_job_asks_to_start_again(world):
    job = certificates_bulk_start(formation=world.formation, kinds=BOTH, actor=world.coordinator)
    later = timezone.now() + dt.timedelta(hours=1)

    state = job_state(job, now=later)

    assert state["stale"] and state["finished"]
    assert "relancez l'émission" in state["summary"]
    assert "prochain passage automatique" not in state["summary"]


def test_an_author_who_lost_the_role_issues_nothing_and_the_box_says_so(world):
    job = certificates_bulk_start(formation=world.formation, kinds=BOTH, actor=world.coordinator)
    world.coordinator.role = User.Role.TRAINER
    world.coordinator.save()

    bulk.certificates_bulk_run(
        job_id=job.pk,
        formation_id=world.formation.pk,
        session_id=None,
        kinds=BOTH,
        actor_id=world.coordinator.pk,
    )

    job.refresh_from_db()
    assert not IssuedDocument.objects.exists()
    assert job.status == "finished" and job.failed == job.total


def test_progress_moves_within_a_batch(world, monkeypatch):
    advances = []
    real = bulk.job_advance

    def recording(*, job_id, done=1, failed=0):
        advances.append(done)
        real(job_id=job_id, done=done, failed=failed)

    monkeypatch.setattr(bulk, "job_advance", recording)
    monkeypatch.setattr(bulk, "ADVANCE_EVERY", 2)
    job = certificates_bulk_start(formation=world.formation, kinds=BOTH, actor=world.coordinator)
    bulk.certificates_bulk_run(
        job_id=job.pk,
        formation_id=world.formation.pk,
        session_id=None,
        kinds=[CERTIFICATE],
        actor_id=world.coordinator.pk,
    )

    # Five people in one batch of 50: the counter is written along the way, not once.
    assert advances == [2, 2, 1]


# ---------------------------------------------------------------------------- pages, ZIP


def test_coordinator_starts_it_from_the_formation_page(client, world, committed):
    client.force_login(world.coordinator)
    page = reverse("formations:formation_detail", args=[world.formation.pk])
    html = client.get(page).content.decode()
    assert "5 personnes ont au moins une session entièrement scellée" in html
    assert 'value="certificats-de-realisation"' in html

    response = committed(
        client.post,
        reverse("livrables:formation_certificates_bulk", args=[world.formation.pk]),
        {"types": ["certificats-de-realisation"]},
    )

    job = BackgroundJob.objects.get()
    assert response.url == f"{page}?emission={job.pk}#certificates"
    assert IssuedDocument.objects.filter(kind=CERTIFICATE).count() == 5
    assert not IssuedDocument.objects.filter(kind=ATTESTATION).exists()
    progress = client.get(reverse("formations:job_progress", args=[job.pk])).json()
    assert progress["finished"] and progress["result_url"].endswith("certificats.zip")
    html = client.get(response.url).content.decode()
    assert "Télécharger le ZIP des documents" in html


def test_session_page_offers_it_once_sealed(client, world):
    client.force_login(world.coordinator)
    sealed = client.get(reverse("sessions:session_detail", args=[world.sealed[0].pk]))
    assert reverse("livrables:session_certificates_bulk", args=[world.sealed[0].pk]) in (
        sealed.content.decode()
    )
    unsealed = client.get(reverse("sessions:session_detail", args=[world.open_session.pk]))
    assert "session_certificates_bulk" not in unsealed.content.decode()
    assert (
        reverse("livrables:session_certificates_bulk", args=[world.open_session.pk])
        not in unsealed.content.decode()
    )


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.STRUCTURE_REFERENT])
def test_trainer_and_referent_cannot_start_it_from_the_pages(client, world, role):
    user = UserFactory(role=role, structure=world.people[0].structure)
    world.sealed[0].trainers.add(user)
    client.force_login(user)
    for name, pk in (
        ("livrables:formation_certificates_bulk", world.formation.pk),
        ("livrables:session_certificates_bulk", world.sealed[0].pk),
    ):
        response = client.post(reverse(name, args=[pk]), {"types": ["certificats-de-realisation"]})
        assert response.status_code in (403, 404), (name, response.status_code)
    assert not BackgroundJob.objects.exists()


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_zip_holds_the_kept_bytes_of_exactly_the_scope(client, world, committed):
    start(committed, world)
    client.force_login(world.coordinator)

    response = client.get(reverse("livrables:session_certificates_zip", args=[world.sealed[0].pk]))

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    files = unzip(b"".join(response.streaming_content))
    manifest = files.pop("manifest.csv").decode("utf-8-sig")
    people = {e.participant_id for e in world.sealed[0].enrolments.all()}
    expected = [d for d in standing_docs(world) if d.participant_id in people]
    assert len(files) == len(expected) == 6
    by_hash = {hashlib.sha256(content).hexdigest() for content in files.values()}
    assert by_hash == {d.sha256 for d in expected}
    for document in expected:
        assert issued_file(document=document).content in files.values()
        assert document.number in manifest
    # Read as columns by a French spreadsheet, in French words.
    assert manifest.splitlines()[0] == "fichier;numero;type;sha256;octets;etat"
    assert ";Certificat de réalisation;" in manifest and "completion_certificate" not in manifest
    # Each file dated as issued, not as downloaded.
    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get(response.wsgi_request.path))))
    issued = {d.filename: timezone.localtime(d.issued_at).timetuple()[:6] for d in expected}
    for info in archive.infolist():
        if info.filename != "manifest.csv":
            # A ZIP stores times to the even second.
            when = issued[info.filename.split("/")[-1]]
            assert info.date_time == (*when[:5], when[5] // 2 * 2)
    # One folder per person.
    assert len({name.split("/")[0] for name in files}) == 3

    whole = unzip(
        b"".join(
            client.get(
                reverse("livrables:formation_certificates_zip", args=[world.formation.pk])
            ).streaming_content
        )
    )
    assert len(whole) - 1 == 10


def test_zip_is_not_found_for_trainers_and_referents_but_open_to_auditors(client, world, committed):
    start(committed, world)
    urls = [
        reverse("livrables:formation_certificates_zip", args=[world.formation.pk]),
        reverse("livrables:session_certificates_zip", args=[world.sealed[0].pk]),
    ]
    trainer = UserFactory(role=User.Role.TRAINER)
    world.sealed[0].trainers.add(trainer)
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.people[0].structure)
    for user in (trainer, referent):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.role, url)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(world.funder)
    client.force_login(auditor)
    for url in urls:
        assert client.get(url).status_code == 200
    stranger = UserFactory(role=User.Role.FUNDER_AUDITOR)
    stranger.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(stranger)
    for url in urls:
        assert client.get(url).status_code == 404
