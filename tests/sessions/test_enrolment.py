import datetime as dt
import io
import threading

import openpyxl
import pytest
from django.core import mail
from django.db import close_old_connections, connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from formations.models import AuditEntry, OutboxMessage, User
from sessions.exceptions import SessionsError
from sessions.forms_enrolment import EnrolParticipantsForm
from sessions.models import Attendance, Enrolment, TrainingSession
from sessions.services.enrolment import (
    EnrolmentImportError,
    enrol_from_file,
    enrol_participants,
    enrol_structure,
    send_convocations,
    unenrol,
)
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.SUIVI_BASE_URL = "https://suivi.example.org"


@pytest.fixture
def session():
    return TrainingSessionFactory(code="LABO-2021-1", formation__title="Centres sociaux connectés")


def add_slot(session, day, start, end):
    return SlotFactory(
        session=session,
        starts_at=dt.datetime.combine(day, start, tzinfo=session.tzinfo),
        ends_at=dt.datetime.combine(day, end, tzinfo=session.tzinfo),
    )


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_file(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- services


def test_enrol_participants_creates_enrolments_and_logs(session, coordinator):
    people = ParticipantFactory.create_batch(3)

    result = enrol_participants(session=session, participants=people, actor=coordinator)

    assert {p.pk for p in result.enrolled} == {p.pk for p in people}
    assert result.already_enrolled == []
    assert set(session.enrolments.values_list("participant_id", flat=True)) == {
        p.pk for p in people
    }
    assert set(session.enrolments.values_list("enrolled_by", flat=True)) == {coordinator.pk}
    entry = AuditEntry.objects.get(action="enrolment.create")
    assert entry.actor == coordinator
    assert sorted(entry.data["participants"]) == sorted(p.pk for p in people)


def test_enrol_participants_second_time_enrols_nobody(session, coordinator):
    people = ParticipantFactory.create_batch(2)
    enrol_participants(session=session, participants=people, actor=coordinator)

    result = enrol_participants(session=session, participants=people, actor=coordinator)

    assert result.enrolled == []
    assert {p.pk for p in result.already_enrolled} == {p.pk for p in people}
    assert session.enrolments.count() == 2
    assert AuditEntry.objects.filter(action="enrolment.create").count() == 1


def test_enrol_participants_reports_new_and_already_enrolled(session, coordinator):
    old, new = ParticipantFactory(), ParticipantFactory()
    EnrolmentFactory(session=session, participant=old)

    result = enrol_participants(session=session, participants=[old, new], actor=coordinator)

    assert result.enrolled == [new]
    assert result.already_enrolled == [old]


def test_enrol_participants_cancelled_session_refused(coordinator):
    session = TrainingSessionFactory(status=TrainingSession.Status.CANCELLED)

    with pytest.raises(SessionsError) as excinfo:
        enrol_participants(session=session, participants=[ParticipantFactory()], actor=coordinator)

    assert excinfo.value.code == "session_cancelled"
    assert not Enrolment.objects.exists()


def test_enrol_structure_enrols_all_its_participants_only(session, coordinator):
    structure = StructureFactory()
    members = ParticipantFactory.create_batch(3, structure=structure)
    ParticipantFactory()  # another structure

    result = enrol_structure(session=session, structure=structure, actor=coordinator)

    assert {p.pk for p in result.enrolled} == {p.pk for p in members}
    assert session.enrolments.count() == 3


def test_enrol_warns_when_group_size_max_exceeded(coordinator):
    session = TrainingSessionFactory(formation=FormationFactory(group_size_min=2, group_size_max=3))

    within = enrol_participants(
        session=session, participants=ParticipantFactory.create_batch(3), actor=coordinator
    )
    over = enrol_participants(
        session=session, participants=[ParticipantFactory()], actor=coordinator
    )

    assert within.warnings == []
    assert [(w.code, w.message) for w in over.warnings] == [
        ("group_size_max", "Groupe trop grand : 4 inscrit·es pour un maximum de 3 au marché.")
    ]
    assert session.enrolments.count() == 4  # a warning, not a refusal


def test_enrol_warns_when_attendees_per_structure_max_exceeded(coordinator):
    session = TrainingSessionFactory(formation=FormationFactory(attendees_per_structure_max=2))
    crowded = StructureFactory(name="CCAS de Roubaix")
    ParticipantFactory.create_batch(3, structure=crowded)
    ParticipantFactory.create_batch(
        2, structure=StructureFactory(name="Centre social Lazare Garreau")
    )

    first = enrol_structure(session=session, structure=crowded, actor=coordinator)

    assert [(w.code, w.message) for w in first.warnings] == [
        (
            "attendees_per_structure_max",
            "CCAS de Roubaix a 3 participant·es dans cette session ; le marché prévoit au plus "
            "2 par structure.",
        )
    ]
    assert session.enrolments.count() == 3


def test_enrol_does_not_warn_while_a_planned_group_fills_up(coordinator):
    session = TrainingSessionFactory(
        formation=FormationFactory(group_size_min=10, attendees_per_structure_min=2)
    )

    result = enrol_participants(
        session=session, participants=[ParticipantFactory()], actor=coordinator
    )

    assert result.warnings == []


def test_enrol_in_a_completed_session_below_minimum_warns(coordinator):
    session = TrainingSessionFactory(
        formation=FormationFactory(group_size_min=10), status=TrainingSession.Status.COMPLETED
    )

    result = enrol_participants(
        session=session, participants=[ParticipantFactory()], actor=coordinator
    )

    assert [(w.code, w.message) for w in result.warnings] == [
        ("group_size_min", "Groupe trop petit : 1 inscrit·es pour un minimum de 10 au marché.")
    ]


def test_enrol_from_file_csv_by_email_and_by_name(session, coordinator):
    structure = StructureFactory(name="CCAS de Tourcoing")
    by_email = ParticipantFactory(email="Amina.Diallo@example.org")
    by_name = ParticipantFactory(last_name="Lefèvre", first_name="Jean-Pierre", structure=structure)
    ParticipantFactory(last_name="Lefèvre", first_name="Jean-Pierre")  # namesake elsewhere
    content = csv_file(
        "email;nom;prenom;structure",
        "amina.diallo@example.org;;;",
        ";LEFEVRE;jean pierre;CCAS de Tourcoing",
    )

    result = enrol_from_file(
        session=session, file_name="liste.csv", content=content, actor=coordinator
    )

    assert {p.pk for p in result.enrolled} == {by_email.pk, by_name.pk}
    assert session.enrolments.count() == 2


def test_enrol_from_file_xlsx(session, coordinator):
    people = ParticipantFactory.create_batch(2)
    content = xlsx_file([["E-mail"], *[[p.email] for p in people]])

    result = enrol_from_file(
        session=session, file_name="liste.xlsx", content=content, actor=coordinator
    )

    assert {p.pk for p in result.enrolled} == {p.pk for p in people}


def test_enrol_from_file_is_idempotent(session, coordinator):
    person = ParticipantFactory()
    content = csv_file("email", person.email)
    enrol_from_file(session=session, file_name="liste.csv", content=content, actor=coordinator)

    result = enrol_from_file(
        session=session, file_name="liste.csv", content=content, actor=coordinator
    )

    assert result.enrolled == [] and result.already_enrolled == [person]


def test_enrol_from_file_unknown_line_enrols_nobody(session, coordinator):
    known = ParticipantFactory()
    content = csv_file("email", known.email, "inconnu@example.org")

    with pytest.raises(EnrolmentImportError) as excinfo:
        enrol_from_file(session=session, file_name="liste.csv", content=content, actor=coordinator)

    assert excinfo.value.code == "invalid_rows"
    assert len(excinfo.value.errors) == 1
    assert "Ligne 3" in excinfo.value.errors[0] and "inconnu@example.org" in excinfo.value.errors[0]
    assert not Enrolment.objects.exists()


def test_enrol_from_file_ambiguous_name_refused(session, coordinator):
    ParticipantFactory.create_batch(2, last_name="Martin", first_name="Léa")
    content = csv_file("nom,prenom", "Martin,Léa")

    with pytest.raises(EnrolmentImportError) as excinfo:
        enrol_from_file(session=session, file_name="liste.csv", content=content, actor=coordinator)

    assert excinfo.value.code == "invalid_rows"
    assert "plusieurs" in excinfo.value.errors[0]


def test_enrol_from_file_missing_columns_refused(session, coordinator):
    with pytest.raises(EnrolmentImportError) as excinfo:
        enrol_from_file(
            session=session,
            file_name="liste.csv",
            content=csv_file("telephone", "0600000000"),
            actor=coordinator,
        )

    assert excinfo.value.code == "missing_columns"


def test_enrol_from_file_unsupported_format_refused(session, coordinator):
    with pytest.raises(EnrolmentImportError) as excinfo:
        enrol_from_file(
            session=session, file_name="liste.pdf", content=b"%PDF-1.4", actor=coordinator
        )

    assert excinfo.value.code == "invalid_file"


def test_unenrol_without_attendance_deletes(session, coordinator):
    enrolment = EnrolmentFactory(session=session)

    unenrol(enrolment=enrolment, actor=coordinator)

    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()
    assert AuditEntry.objects.filter(action="enrolment.delete", actor=coordinator).exists()


def test_unenrol_refused_with_attendance(session, coordinator):
    attendance = AttendanceFactory(enrolment__session=session)

    with pytest.raises(SessionsError) as excinfo:
        unenrol(enrolment=attendance.enrolment, actor=coordinator)

    assert excinfo.value.code == "has_attendance"
    assert Enrolment.objects.filter(pk=attendance.enrolment_id).exists()


# --------------------------------------------------------------------------- convocations


def test_send_convocations_one_mail_per_participant_with_email(session, coordinator, committed):
    session.trainers.add(
        UserFactory(role=User.Role.TRAINER, first_name="Théo", last_name="Formateur")
    )
    add_slot(session, dt.date(2021, 10, 4), dt.time(9, 0), dt.time(12, 30))
    add_slot(session, dt.date(2021, 10, 4), dt.time(13, 30), dt.time(17, 0))
    add_slot(session, dt.date(2021, 10, 5), dt.time(9, 0), dt.time(12, 30))
    with_email = EnrolmentFactory.create_batch(2, session=session)
    without_email = EnrolmentFactory(session=session, participant__email="")

    queued = committed(send_convocations, session=session, actor=coordinator)

    assert queued.count == 2
    assert {m.status for m in OutboxMessage.objects.all()} == {OutboxMessage.Status.SENT}
    queued.job.refresh_from_db()
    assert (queued.job.total, queued.job.done, queued.job.status) == (2, 2, "finished")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.participant.email for e in with_email)
    message = mail.outbox[0]
    participant = next(e.participant for e in with_email if e.participant.email == message.to[0])
    assert "Centres sociaux connectés" in message.subject and "LABO-2021-1" in message.subject
    assert "lundi 4 octobre 2021 : 09:00–12:30, 13:30–17:00" in message.body
    assert "mardi 5 octobre 2021 : 09:00–12:30" in message.body
    assert "Centre social l'Arbrisseau, Lille" in message.body
    assert "Théo Formateur" in message.body
    assert "fuseau" not in message.body  # Europe/Paris is not named
    feed = f"https://suivi.example.org/calendrier/participant/{participant.calendar_token}.ics"
    assert feed in message.body
    assert message.alternatives[0].mimetype == "text/html"
    [attachment] = message.attachments
    assert attachment.filename == "convocation-LABO-2021-1.ics"
    assert attachment.mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    calendar = Calendar.from_ical(attachment.content)
    assert len(calendar.events) == 2
    assert str(calendar.events[0]["ATTENDEE"]) == f"mailto:{participant.email}"
    for enrolment in with_email:
        enrolment.refresh_from_db()
        assert enrolment.convocation_sent_at is not None
    without_email.refresh_from_db()
    assert without_email.convocation_sent_at is None
    assert AuditEntry.objects.get(action="enrolment.convocations_sent").data["enrolments"]


def test_send_convocations_writes_first_of_month_1er(coordinator, committed):
    session = TrainingSessionFactory()
    add_slot(session, dt.date(2021, 10, 1), dt.time(9, 0), dt.time(12, 30))
    EnrolmentFactory(session=session)

    committed(send_convocations, session=session, actor=coordinator)

    [message] = mail.outbox
    assert "vendredi 1er octobre 2021 : 09:00–12:30" in message.body
    entry = AuditEntry.objects.get(action="enrolment.convocations_sent")
    assert entry.summary == f"1 convocation mise en file d'envoi pour la session {session.code}"


def test_send_convocations_mayotte_local_times_and_zone_named(coordinator, committed):
    session = TrainingSessionFactory(time_zone="Indian/Mayotte", place="CCAS de Mamoudzou")
    add_slot(session, dt.date(2021, 10, 4), dt.time(8, 0), dt.time(12, 0))
    EnrolmentFactory(session=session)

    committed(send_convocations, session=session, actor=coordinator)

    [message] = mail.outbox
    assert "lundi 4 octobre 2021 : 08:00–12:00" in message.body
    assert "Dates et horaires (heure de Mayotte)" in message.body
    [event] = Calendar.from_ical(message.attachments[0].content).events
    assert event["DTSTART"].params["TZID"] == "Indian/Mayotte"
    assert event.start.astimezone(dt.UTC) == dt.datetime(2021, 10, 4, 5, 0, tzinfo=dt.UTC)


def test_send_convocations_only_given_enrolments(session, coordinator, committed):
    SlotFactory(session=session)
    first, second = EnrolmentFactory.create_batch(2, session=session)

    queued = committed(send_convocations, session=session, enrolments=[second], actor=coordinator)

    assert queued.count == 1
    assert [m.to for m in mail.outbox] == [[second.participant.email]]


def test_send_convocations_without_slots_refused(session, coordinator):
    EnrolmentFactory(session=session)

    with pytest.raises(SessionsError) as excinfo:
        send_convocations(session=session, actor=coordinator)

    assert excinfo.value.code == "no_slots"
    assert mail.outbox == []


# --------------------------------------------------------------------------- pages


def url(name, session, *args):
    return reverse(f"sessions:{name}", args=[session.pk, *args])


def test_enrolment_page_lists_enrolled_and_candidates(coordinator_client, session):
    enrolled = EnrolmentFactory(session=session, participant__last_name="Benali").participant
    candidate = ParticipantFactory(last_name="Okafor")

    response = coordinator_client.get(url("session_enrolments", session))

    assert response.status_code == 200
    assert [e.participant for e in response.context["enrolments"]] == [enrolled]
    assert candidate in response.context["candidates"]
    assert enrolled not in response.context["candidates"]
    assert f'id="candidate-{candidate.pk}"' in response.text


def test_enrolment_page_search_filters_candidates(coordinator_client, session):
    wanted = ParticipantFactory(last_name="Okafor")
    ParticipantFactory(last_name="Benali")

    response = coordinator_client.get(url("session_enrolments", session), {"q": "okaf"})

    assert list(response.context["candidates"]) == [wanted]


def test_enrolment_page_search_with_nul_byte_ignores_it(coordinator_client, session):
    wanted = ParticipantFactory(last_name="Okafor")

    # PostgreSQL refuses NUL in a text parameter: it must not reach the query.
    response = coordinator_client.get(url("session_enrolments", session), {"q": "oka\x00f"})

    assert response.status_code == 200
    assert list(response.context["candidates"]) == [wanted]


def test_enrolment_page_enrols_checked_participants(coordinator_client, session):
    people = ParticipantFactory.create_batch(2)

    response = coordinator_client.post(
        url("session_enrol_participants", session),
        {"participants": [p.pk for p in people]},
        follow=True,
    )

    assert session.enrolments.count() == 2
    assert any("2 personnes inscrites" in str(m) for m in response.context["messages"])


def test_enrolment_page_shows_rule_warnings(coordinator_client):
    session = TrainingSessionFactory(formation=FormationFactory(group_size_max=1))
    people = ParticipantFactory.create_batch(2)

    response = coordinator_client.post(
        url("session_enrol_participants", session),
        {"participants": [p.pk for p in people]},
        follow=True,
    )

    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == ["Groupe trop grand : 2 inscrit·es pour un maximum de 1 au marché."]


def test_enrolment_page_shows_rule_states(coordinator_client):
    formation = FormationFactory(group_size_min=2, group_size_max=3, attendees_per_structure_max=2)
    session = TrainingSessionFactory(formation=formation)
    EnrolmentFactory.create_batch(
        3, session=session, participant__structure=StructureFactory(name="CCAS de Koungou")
    )
    EnrolmentFactory(session=session, participant__structure=StructureFactory(name="CCAS de Sada"))

    response = coordinator_client.get(url("session_enrolments", session))

    assert response.context["group_rule"].state == "violated"
    rows = {
        row["name"]: (row["count"], row["offence"] and row["offence"].state)
        for row in response.context["structure_rows"]
    }
    assert rows == {"CCAS de Koungou": (3, "violated"), "CCAS de Sada": (1, None)}
    html = " ".join(response.content.decode().split())
    assert (
        "taille de groupe prévue au marché : 2 à 3 personnes "
        '<span class="badge error">⚠ non respectée</span> '
        "(4 inscrit·es pour un maximum de 3)"
    ) in html
    assert "Prévu par structure : au plus 2" in html
    assert (
        "<tr><td>CCAS de Koungou</td><td>3</td> "
        '<td><span class="badge error">⚠ non respectée</span>'
    ) in html
    assert '<tr><td>CCAS de Sada</td><td>1</td> <td><span class="badge ok">✓ respectée' in html


def test_enrolment_page_group_below_minimum_is_to_watch(coordinator_client, session):
    session.formation.group_size_min = 10
    session.formation.save()
    EnrolmentFactory(session=session)

    response = coordinator_client.get(url("session_enrolments", session))

    assert response.context["group_rule"].state == "warning"
    assert "⚠ à surveiller" in response.content.decode()


def test_enrolment_page_enrols_a_structure(coordinator_client, session):
    structure = StructureFactory()
    ParticipantFactory.create_batch(2, structure=structure)

    coordinator_client.post(url("session_enrol_structure", session), {"structure": structure.pk})

    assert session.enrolments.count() == 2


def test_enrolment_page_import_errors_listed_and_nothing_enrolled(coordinator_client, session):
    known = ParticipantFactory()
    upload = io.BytesIO(csv_file("email", known.email, "personne@example.org"))
    upload.name = "liste.csv"

    response = coordinator_client.post(url("session_enrol_import", session), {"file": upload})

    assert response.status_code == 200
    assert any("Ligne 3" in error for error in response.context["import_errors"])
    assert "Ligne 3" in response.text
    assert not session.enrolments.exists()


def test_enrolment_page_import_enrols(coordinator_client, session):
    known = ParticipantFactory()
    upload = io.BytesIO(csv_file("email", known.email))
    upload.name = "liste.csv"

    response = coordinator_client.post(url("session_enrol_import", session), {"file": upload})

    assert response.status_code == 302
    assert session.enrolments.get().participant == known


def test_enrolment_page_convocations_report_missing_email(coordinator_client, session, committed):
    SlotFactory(session=session)
    EnrolmentFactory(session=session)
    EnrolmentFactory(session=session, participant__last_name="Sansmail", participant__email="")

    response = committed(
        coordinator_client.post,
        url("session_convocations", session),
        {"scope": "unsent"},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert "1 convocation en file d'envoi." in texts
    assert any("SANSMAIL" in text for text in texts)
    assert response.context["job"].total == 1
    assert len(mail.outbox) == 1

    committed(coordinator_client.post, url("session_convocations", session), {"scope": "unsent"})
    assert len(mail.outbox) == 1  # already convoked: not sent again
    committed(coordinator_client.post, url("session_convocations", session), {"scope": "all"})
    assert len(mail.outbox) == 2


def test_unenrol_page_requires_confirmation(coordinator_client, session):
    enrolment = EnrolmentFactory(session=session)

    response = coordinator_client.post(url("session_unenrol", session, enrolment.pk), {})

    assert response.status_code == 200
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()
    coordinator_client.post(url("session_unenrol", session, enrolment.pk), {"confirm": "on"})
    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_unenrol_page_refused_with_attendance(coordinator_client, session):
    attendance = AttendanceFactory(enrolment__session=session, status=Attendance.Status.PRESENT)

    response = coordinator_client.post(
        url("session_unenrol", session, attendance.enrolment_id), {"confirm": "on"}, follow=True
    )

    assert Enrolment.objects.filter(pk=attendance.enrolment_id).exists()
    assert any("émargements" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.FUNDER_AUDITOR])
def test_enrolment_page_non_coordinator_forbidden(client, session, role):
    user = UserFactory(role=role)
    session.trainers.add(user)
    client.force_login(user)
    person = ParticipantFactory()

    page = client.get(url("session_enrolments", session))
    post = client.post(url("session_enrol_participants", session), {"participants": [person.pk]})

    assert page.status_code == 403 and post.status_code == 403
    assert not session.enrolments.exists()


def test_enrolment_page_referent_forbidden(client, session, referent):
    client.force_login(referent)

    assert client.get(url("session_enrolments", session)).status_code == 403


def test_enrolment_page_unknown_session_404(coordinator_client):
    response = coordinator_client.get(reverse("sessions:session_enrolments", args=[999999]))

    assert response.status_code == 404


def test_participant_picker_referent_sees_only_own_structure(referent):
    own = ParticipantFactory(structure=referent.structure)
    other = ParticipantFactory()

    form = EnrolParticipantsForm({"participants": [other.pk]}, user=referent)

    assert list(form.fields["participants"].queryset) == [own]
    assert not form.is_valid()
    assert "participants" in form.errors


def test_enrolment_page_query_count_does_not_grow(coordinator_client, session):
    def count_queries(n):
        EnrolmentFactory.create_batch(n, session=session)
        ParticipantFactory.create_batch(n)
        with CaptureQueriesContext(connection) as queries:
            response = coordinator_client.get(url("session_enrolments", session))
        assert response.status_code == 200
        return len(queries)

    assert count_queries(1) == count_queries(6)


# --------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_enrol_participants_concurrent_calls_enrol_each_person_once():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # In-memory SQLite fails a second writer at once ("table is locked") instead of
        # making it wait: only a file database or PostgreSQL (DATABASE_URL) tests the race.
        pytest.skip("needs a real database file or PostgreSQL (set DATABASE_URL)")
    session = TrainingSessionFactory()
    people = ParticipantFactory.create_batch(5)
    actor = UserFactory()
    barrier = threading.Barrier(6)
    results = []

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(enrol_participants(session=session, participants=people, actor=actor))
        except Exception as exc:  # asserted below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()

    assert all(not isinstance(r, Exception) for r in results), results
    assert session.enrolments.count() == 5
    assert sum(len(r.enrolled) for r in results) == 5


def test_enrol_from_file_reads_cp1252_with_header_synonyms(session, coordinator):
    structure = StructureFactory(name="Société Saint-Vincent")
    helene = ParticipantFactory(last_name="Lefèvre", first_name="Hélène", structure=structure)
    content = "Nom de famille;Prénom;Organisme\r\nLEFÈVRE;Hélène;Société Saint-Vincent\r\n".encode(
        "cp1252"
    )

    result = enrol_from_file(
        session=session, file_name="liste.csv", content=content, actor=coordinator
    )

    assert result.enrolled == [helene]


def test_enrol_from_file_column_given_twice_refused(session, coordinator):
    person = ParticipantFactory()
    content = csv_file("email,Courriel", f"{person.email},autre@example.org")

    with pytest.raises(EnrolmentImportError) as excinfo:
        enrol_from_file(session=session, file_name="liste.csv", content=content, actor=coordinator)

    assert excinfo.value.code == "invalid_file"
    assert "« email » apparaît deux fois" in excinfo.value.message
    assert not Enrolment.objects.exists()
