"""The follow-up of the structures of a programme: the log of each structure (entries,
participation from the sealed émargements, messages about it), the overview, and the
reminder sent from there."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from formations.models import AuditEntry, OutboxMessage, User
from projects.exceptions import ProjectsError
from projects.models import FollowUpEntry, ProjectFiche, TeamMember
from projects.selectors_followup import follow_up_overview, reminder_recipients, structure_log
from projects.services_followup import (
    REMINDER_PURPOSE,
    follow_up_add,
    follow_up_answer,
    follow_up_delete,
    follow_up_remind,
    follow_up_update,
)
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import make_slot
from tests.factories.projects import project_world
from tests.factories.sessions import close, sign

pytestmark = pytest.mark.django_db


def _entry(world, *, structure=None, days_ago=0, kind="contact", author=None, **extra):
    return FollowUpEntry.objects.create(
        programme=world.programme,
        structure=structure or world.ccas,
        occurred_on=timezone.localdate() - dt.timedelta(days=days_ago),
        kind=kind,
        channel="phone",
        summary=extra.pop("summary", "Point téléphonique"),
        author=author or world.coordinator,
        **extra,
    )


def _future_session(world, *, days=10, code="LABO-2", status=None):
    session = TrainingSessionFactory(formation=world.programme.formations.get(), code=code)
    if status:
        session.status = status
        session.save()
    day = timezone.localdate() + dt.timedelta(days=days)
    make_slot(session, day, dt.time(9), dt.time(12, 30), countersigned=False)
    return session


def _auditor_of(world):
    funder = FunderFactory(name="FSE+", kind="fse")
    world.programme.funders.add(funder)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(funder)
    return auditor


# --------------------------------------------------------------------------- the log


def test_participation_in_the_log_matches_the_sealed_attendance(client):
    world = project_world()
    trainer = UserFactory(role=User.Role.TRAINER)
    session = TrainingSessionFactory(formation=world.programme.formations.get(), code="LABO-1")
    session.trainers.add(trainer)
    day = dt.date(2021, 6, 7)
    morning = make_slot(session, day, dt.time(9), dt.time(12, 30), countersigned=False)
    afternoon = make_slot(session, day, dt.time(13, 30), dt.time(17), countersigned=False)
    next_day = make_slot(
        session, day + dt.timedelta(days=1), dt.time(9), dt.time(12, 30), countersigned=False
    )
    amina = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(structure=world.ccas, last_name="Ali", first_name="Amina"),
    )
    said = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(structure=world.ccas, last_name="Saïd", first_name="Nour"),
    )
    EnrolmentFactory(session=session, participant=ParticipantFactory(structure=world.other))
    for slot in (morning, afternoon, next_day):
        sign(amina, slot)
    sign(said, morning)
    close(morning, trainer)
    close(afternoon, trainer)
    # next_day is signed by Amina but not sealed: it must not count yet.

    log = structure_log(programme=world.programme, structure=world.ccas)
    [item] = [item for item in log.items if item.kind == "session"]
    people = {person.name: person for person in item.session.people}
    assert set(people) == {"ALI Amina", "SAÏD Nour"}
    assert people["ALI Amina"].realised_minutes == 210 + 210
    assert people["SAÏD Nour"].realised_minutes == 210
    assert people["ALI Amina"].planned_minutes == 3 * 210
    assert item.session.realised_minutes == 630
    assert item.session_start.date() == day

    client.force_login(world.coordinator)
    page = client.get(reverse("projects:follow_up_log", args=[world.programme.pk, world.ccas.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "LABO-1" in text
    assert "ALI Amina" in text and "7 h / 10 h 30" in text
    assert "SAÏD Nour" in text and "3 h 30 / 10 h 30" in text
    # The other structure's person is not in this structure's log.
    other = EnrolmentFactory._meta.model.objects.filter(participant__structure=world.other).get()
    assert other.participant.full_name not in text


def test_the_log_merges_entries_sessions_and_messages_newest_first():
    world = project_world()
    old = _entry(world, days_ago=40, summary="Premier appel")
    question = _entry(world, days_ago=2, kind="question", summary="Comment inscrire ?")
    _entry(world, structure=world.other, summary="Pas ici")
    message = OutboxMessage.objects.create(
        purpose=REMINDER_PURPOSE,
        recipient="ref@example.org",
        recipient_name="Zaïnaba Ali",
        subject="Relance",
        body="Bonjour",
        about_type="projects.followupentry",
        about_id=str(old.pk),
    )
    log = structure_log(programme=world.programme, structure=world.ccas)
    assert [item.entry or item.message for item in log.items] == [message, question, old]
    assert log.entries == 2
    assert log.open_questions == 1
    assert log.last_contact == question.occurred_on


def test_a_referent_gets_404_on_their_own_structures_log(client):
    world = project_world()
    _entry(world)
    client.force_login(world.referent)
    for name, args in (
        ("projects:follow_up_log", [world.programme.pk, world.ccas.pk]),
        ("projects:follow_up", [world.programme.pk]),
        ("projects:follow_up_remind", [world.programme.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    structure_page = client.get(reverse("formations:structure_detail", args=[world.ccas.pk]))
    assert "Suivi de la structure" not in structure_page.content.decode()


def test_a_trainer_of_another_programme_gets_404():
    world = project_world()
    outsider = UserFactory(role=User.Role.TRAINER)
    from django.test import Client

    client = Client()
    client.force_login(outsider)
    url = reverse("projects:follow_up_log", args=[world.programme.pk, world.ccas.pk])
    assert client.get(url).status_code == 404


def test_the_programmes_trainer_writes_an_entry_through_the_page(client):
    world = project_world()
    trainer = UserFactory(role=User.Role.TRAINER, first_name="Théo", last_name="Formateur")
    TrainingSessionFactory(formation=world.programme.formations.get()).trainers.add(trainer)
    client.force_login(trainer)
    url = reverse("projects:follow_up_log", args=[world.programme.pk, world.ccas.pk])
    response = client.post(
        url,
        {
            "occurred_on": timezone.localdate().isoformat(),
            "kind": "question",
            "channel": "email",
            "summary": "Quel outil pour l'enquête de besoins ?",
        },
    )
    assert response.status_code == 302
    entry = FollowUpEntry.objects.get()
    assert (entry.author, entry.kind, entry.structure) == (trainer, "question", world.ccas)
    assert AuditEntry.objects.filter(action="projects.follow_up.added").count() == 1
    page = client.get(url).content.decode()
    assert "Quel outil pour l&#x27;enquête de besoins ?" in page
    assert "en attente de réponse" in page


def test_an_auditor_reads_the_log_but_cannot_write(client):
    world = project_world()
    auditor = _auditor_of(world)
    entry = _entry(world, kind="question")
    client.force_login(auditor)
    log_url = reverse("projects:follow_up_log", args=[world.programme.pk, world.ccas.pk])
    page = client.get(log_url)
    assert page.status_code == 200
    assert "Ajouter au suivi" not in page.content.decode()
    assert client.post(log_url, {"summary": "x"}).status_code == 403
    args = [world.programme.pk, world.ccas.pk, entry.pk]
    for name in ("follow_up_entry_edit", "follow_up_entry_delete", "follow_up_entry_answer"):
        assert client.get(reverse(f"projects:{name}", args=args)).status_code == 403, name
    remind = reverse("projects:follow_up_remind", args=[world.programme.pk])
    assert client.post(remind, {"structure": [world.ccas.pk]}).status_code == 403
    with pytest.raises(PermissionDenied):
        follow_up_add(
            actor=auditor,
            programme=world.programme,
            structure=world.ccas,
            occurred_on=timezone.localdate(),
            kind="note",
            channel="other",
            summary="Tentative",
        )
    assert FollowUpEntry.objects.count() == 1


def test_only_the_author_edits_or_deletes_an_entry():
    world = project_world()
    colleague = UserFactory(role=User.Role.COORDINATOR)
    entry = _entry(world, author=world.coordinator)
    fields = dict(occurred_on=entry.occurred_on, kind="contact", channel="phone", summary="Corrigé")
    with pytest.raises(ProjectsError) as error:
        follow_up_update(actor=colleague, entry=entry, **fields)
    assert error.value.code == "not_author"
    with pytest.raises(ProjectsError) as error:
        follow_up_delete(actor=colleague, entry=entry)
    assert error.value.code == "not_author"
    follow_up_update(actor=world.coordinator, entry=entry, **fields)
    entry.refresh_from_db()
    assert entry.summary == "Corrigé"
    follow_up_delete(actor=world.coordinator, entry=entry)
    assert not FollowUpEntry.objects.exists()
    assert AuditEntry.objects.get(action="projects.follow_up.deleted").data["summary"] == "Corrigé"


def test_deleting_asks_for_confirmation(client):
    world = project_world()
    entry = _entry(world)
    client.force_login(world.coordinator)
    url = reverse(
        "projects:follow_up_entry_delete", args=[world.programme.pk, world.ccas.pk, entry.pk]
    )
    page = client.get(url)
    assert "Supprimer l'entrée" in page.content.decode()
    assert FollowUpEntry.objects.exists()
    assert client.post(url).status_code == 302
    assert not FollowUpEntry.objects.exists()


def test_another_writer_answers_a_question(client):
    world = project_world()
    question = _entry(world, kind="question", summary="Comment inscrire ?")
    question.occurred_on = dt.date(2021, 6, 7)  # an answer is never dated before its question
    question.save()
    colleague = UserFactory(role=User.Role.COORDINATOR)
    client.force_login(colleague)
    url = reverse(
        "projects:follow_up_entry_answer", args=[world.programme.pk, world.ccas.pk, question.pk]
    )
    response = client.post(url, {"answer": "Par la page session.", "answered_on": "2021-06-08"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answer == "Par la page session."
    assert question.answered_on == dt.date(2021, 6, 8)
    note = _entry(world, kind="note")
    with pytest.raises(ProjectsError) as error:
        follow_up_answer(actor=colleague, entry=note, answer="x")
    assert error.value.code == "not_question"


# --------------------------------------------------------------------------- overview


def test_the_overview_finds_the_silent_and_those_with_nobody_next():
    world = project_world()
    upcoming = _future_session(world)
    _future_session(world, days=3, code="ANNULEE", status="cancelled")
    _entry(world, structure=world.ccas, days_ago=31)
    _entry(world, structure=world.other, days_ago=5)
    _entry(world, structure=world.other, days_ago=1, kind="note")  # a memo, not a contact
    EnrolmentFactory(session=upcoming, participant=ParticipantFactory(structure=world.other))
    overview = follow_up_overview(programme=world.programme, user=world.coordinator)
    assert overview.next_session == upcoming
    rows = {row.structure: row for row in overview.rows}
    assert rows[world.ccas].days_since == 31
    assert rows[world.other].days_since == 5
    assert rows[world.other].entries == 2
    assert [row.structure for row in overview.silent] == [world.ccas]
    assert [row.structure for row in overview.nobody_next] == [world.ccas]
    assert rows[world.other].enrolled_next == 1


def test_the_overview_page_filters(client, settings):
    settings.SUIVI_FOLLOW_UP_SILENCE_DAYS = 30
    world = project_world()
    upcoming = _future_session(world)
    _entry(world, structure=world.ccas, days_ago=31)
    _entry(world, structure=world.other, days_ago=5)
    EnrolmentFactory(session=upcoming, participant=ParticipantFactory(structure=world.ccas))
    client.force_login(world.coordinator)
    url = reverse("projects:follow_up", args=[world.programme.pk])
    silent = client.get(url, {"silent": "on"}).content.decode()
    assert "CCAS de Mamoudzou" in silent and "CCAS de Dzaoudzi" not in silent
    nobody = client.get(url, {"nobody_next": "on"}).content.decode()
    assert "CCAS de Dzaoudzi" in nobody and "CCAS de Mamoudzou" not in nobody
    shorter = client.get(url, {"silent": "on", "days": "3"}).content.decode()
    assert "CCAS de Dzaoudzi" in shorter and "CCAS de Mamoudzou" in shorter


@pytest.mark.parametrize("count", [1, 8])
def test_the_overview_query_count_does_not_grow(client, count, django_assert_max_num_queries):
    world = project_world()
    upcoming = _future_session(world)
    for index in range(count):
        structure = StructureFactory(name=f"CCAS {index}")
        world.programme.structures.add(structure)
        _entry(world, structure=structure, days_ago=index)
        _entry(world, structure=structure, kind="question")
        EnrolmentFactory(session=upcoming, participant=ParticipantFactory(structure=structure))
    client.force_login(world.coordinator)
    url = reverse("projects:follow_up", args=[world.programme.pk])
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200


# --------------------------------------------------------------------------- reminder


def _remind_world():
    world = project_world()
    world.referent.email = "zainaba@ccas-mamoudzou.yt"
    world.referent.save()
    world.other_referent.email = ""
    world.other_referent.save()
    _future_session(world)
    return world


def test_recipients_are_the_referents_else_the_team_agents_else_nobody():
    world = _remind_world()
    third = StructureFactory(name="CCAS de Sada")  # no referent, no fiche
    world.programme.structures.add(third)
    fiche = ProjectFiche.objects.create(programme=world.programme, structure=world.other)
    agent = ParticipantFactory(structure=world.other, email="agent@ccas-dzaoudzi.yt")
    TeamMember.objects.create(
        fiche=fiche, kind="agent", participant=agent, full_name=agent.full_name, is_referent=True
    )
    TeamMember.objects.create(fiche=fiche, kind="elected", full_name="Élu sans compte")
    answer = reminder_recipients(
        programme=world.programme, structures=[world.ccas, world.other, third]
    )
    assert [(t.source, [r.email for r in t.recipients]) for t in answer] == [
        ("referents", ["zainaba@ccas-mamoudzou.yt"]),
        ("team", ["agent@ccas-dzaoudzi.yt"]),
        ("", []),
    ]


def test_a_reminder_queues_messages_and_a_relance_entry_and_a_double_submit_sends_once(
    client, django_capture_on_commit_callbacks
):
    world = _remind_world()
    client.force_login(world.coordinator)
    url = reverse("projects:follow_up_remind", args=[world.programme.pk])
    page = client.get(url, {"structure": [world.ccas.pk, world.other.pk]})
    text = page.content.decode()
    assert page.status_code == 200
    assert "zainaba@ccas-mamoudzou.yt" in text
    assert "personne à qui écrire" in text  # the other CCAS has no address
    form = page.context["form"]
    assert "DESIGN PALAS" in form.initial["body"]
    data = {
        "subject": form.initial["subject"],
        "body": form.initial["body"],
        "token": form.initial["token"],
        "structure": [world.ccas.pk, world.other.pk],
    }
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(url, data)
        second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.recipient == "zainaba@ccas-mamoudzou.yt"
    assert message.purpose == REMINDER_PURPOSE
    assert message.legal_basis == OutboxMessage.LegalBasis.SERVICE
    entry = FollowUpEntry.objects.get()
    assert (message.about_type, message.about_id) == ("projects.followupentry", str(entry.pk))
    assert (entry.kind, entry.channel, entry.structure) == ("reminder", "email", world.ccas)
    assert entry.outbox_message == message
    assert entry.author == world.coordinator
    # The message shows in the structure's log.
    log = structure_log(programme=world.programme, structure=world.ccas)
    assert message in [item.message for item in log.items]


def test_the_same_token_twice_is_refused_by_the_service():
    world = _remind_world()
    kwargs = dict(
        actor=world.coordinator,
        programme=world.programme,
        structures=[world.ccas],
        subject="Où en êtes-vous ?",
        body="Bonjour",
        token="abc",
    )
    follow_up_remind(**kwargs)
    with pytest.raises(ProjectsError) as error:
        follow_up_remind(**kwargs)
    assert error.value.code == "already_sent"
    assert OutboxMessage.objects.count() == 1
    assert FollowUpEntry.objects.count() == 1


def test_a_reminder_to_nobody_is_refused():
    world = _remind_world()
    with pytest.raises(ProjectsError) as error:
        follow_up_remind(
            actor=world.coordinator,
            programme=world.programme,
            structures=[world.other],
            subject="Relance",
            body="Bonjour",
            token="t1",
        )
    assert error.value.code == "no_recipient"
    assert not OutboxMessage.objects.exists()


# --------------------------------------------------------------------------- panels


def test_the_programme_and_structure_pages_show_the_follow_up(client):
    world = project_world()
    _future_session(world)
    _entry(world, structure=world.ccas, days_ago=31)
    client.force_login(world.coordinator)
    programme_page = client.get(
        reverse("formations:programme_detail", args=[world.programme.pk])
    ).content.decode()
    assert "Suivi des structures" in programme_page
    assert "2 structures sur 2 sans contact depuis 30 jours ou plus" in programme_page
    assert "2 structures sans aucun·e inscrit·e à la prochaine session" in programme_page
    structure_page = client.get(
        reverse("formations:structure_detail", args=[world.ccas.pk])
    ).content.decode()
    assert reverse("projects:follow_up_log", args=[world.programme.pk, world.ccas.pk]) in (
        structure_page
    )


def test_a_structure_in_two_programmes_sees_each_programmes_messages_in_its_own_log():
    world = project_world()
    other_programme = ProgrammeFactory(title="Centres sociaux connectés")
    other_programme.structures.add(world.ccas)
    here = _entry(world, summary="Relance ici")
    there = FollowUpEntry.objects.create(
        programme=other_programme,
        structure=world.ccas,
        occurred_on=timezone.localdate(),
        kind="reminder",
        channel="email",
        summary="Relance là-bas",
    )
    for entry, subject in ((here, "Sujet d'ici"), (there, "Sujet d'ailleurs")):
        OutboxMessage.objects.create(
            purpose=REMINDER_PURPOSE,
            recipient="ref@example.org",
            subject=subject,
            body="Bonjour",
            about_type="projects.followupentry",
            about_id=str(entry.pk),
        )
    log = structure_log(programme=world.programme, structure=world.ccas)
    subjects = [item.message.subject for item in log.items if item.message]
    assert subjects == ["Sujet d'ici"]


def test_an_ended_programmes_silence_is_measured_at_its_end(client, settings):
    settings.SUIVI_FOLLOW_UP_SILENCE_DAYS = 30
    world = project_world()
    today = timezone.localdate()
    world.programme.start_date = today - dt.timedelta(days=400)
    world.programme.end_date = today - dt.timedelta(days=100)
    world.programme.save()
    _entry(world, structure=world.ccas, days_ago=110)  # 10 days before the end
    _entry(world, structure=world.other, days_ago=200)  # 100 days before the end
    overview = follow_up_overview(programme=world.programme, user=world.coordinator)
    rows = {row.structure: row for row in overview.rows}
    assert rows[world.ccas].days_since == 10
    assert rows[world.other].days_since == 100
    assert overview.ended and overview.as_of == world.programme.end_date
    assert [row.structure for row in overview.silent] == [world.other]
    client.force_login(world.coordinator)
    page = client.get(reverse("projects:follow_up", args=[world.programme.pk])).content.decode()
    end = world.programme.end_date.strftime("%d/%m/%Y")
    assert f"Au {end}, fin du programme : 1 structure sans contact" in page
    assert "10 jours avant la fin du programme" in page


def test_a_running_programmes_silence_is_measured_today():
    world = project_world()
    today = timezone.localdate()
    world.programme.start_date = today - dt.timedelta(days=100)
    world.programme.end_date = today + dt.timedelta(days=100)
    world.programme.save()
    _entry(world, structure=world.ccas, days_ago=40)
    overview = follow_up_overview(programme=world.programme, user=world.coordinator)
    assert not overview.ended and overview.as_of == today
    assert {row.structure: row.days_since for row in overview.rows}[world.ccas] == 40
