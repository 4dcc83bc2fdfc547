"""The history of a session, of a participant and of a formation: the journal entries of
their parts (sessions.selectors.history), scoped for auditors, and the session's page."""

import re

import pytest
from django.urls import reverse

from formations.audit import log_action
from formations.history import SHOWN, history_entries
from formations.models import AuditEntry, Funder, User
from sessions.services.enrolment import enrol_participants, unenrol
from tests.factories import (
    FunderFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import close, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(coordinator, trainer, auditor):
    """Alice in two sessions: S1 funded by the auditor's funder (FEDER), S2 by another
    (CAF); Bruno in S1 only. Each session has a signed, countersigned and sealed
    half-day, written through the services."""
    s1 = TrainingSessionFactory(code="LABO-1")
    s1.formation.programme.funders.add(Funder.objects.get(name="FEDER"))
    s2 = TrainingSessionFactory(code="LABO-2")
    s2.formation.programme.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    alice = ParticipantFactory(last_name="Abdallah", first_name="Alice")
    bruno = ParticipantFactory(last_name="Bacar", first_name="Bruno")
    world = {"s1": s1, "s2": s2, "alice": alice, "bruno": bruno}
    for key, session, people in (("1", s1, [alice, bruno]), ("2", s2, [alice])):
        session.trainers.add(trainer)
        slot = SlotFactory(session=session)
        enrol_participants(session=session, participants=people, actor=coordinator)
        for enrolment in session.enrolments.all():
            sign(enrolment, slot)
        close(slot, trainer)
        world[f"slot{key}"] = slot
    return world


def summaries(entries):
    return [entry.summary for entry in entries]


def history_text(html: str) -> str:
    """The history card's text, tags removed and spaces collapsed."""
    start = html.index('<section class="card" aria-labelledby="object-history">')
    card = html[start : html.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split()).replace(" ,", ",")


def test_a_session_shows_its_half_days_attendances_and_seal(world, coordinator):
    entries = list(history_entries(obj=world["s1"], user=coordinator))

    assert [e.action for e in entries] == [
        "slot.close",
        "slot.countersign",
        "attendance.sign",
        "attendance.sign",
        "enrolment.create",
    ]
    assert "Émargement de BACAR Bruno" in " ".join(summaries(entries))
    assert all("LABO-2" not in s for s in summaries(entries))
    assert {e.ip_address for e in entries if e.action == "attendance.sign"} == {"192.0.2.7"}


def test_a_participant_shows_their_own_entries_only(world, coordinator):
    alice, bruno = world["alice"], world["bruno"]
    log_action(actor=coordinator, action="participant_updated", obj=alice, summary="Alice")
    # Same primary key, another kind of object: not Alice's.
    log_action(actor=coordinator, action="x", summary="autre objet")
    AuditEntry.objects.filter(action="x").update(
        object_type="formations.structure", object_id=alice.pk
    )

    entries = list(history_entries(obj=alice, user=coordinator))

    actions = [e.action for e in entries]
    assert actions.count("attendance.sign") == 2  # S1 and S2
    assert actions.count("enrolment.create") == 2
    assert "participant_updated" in actions
    assert "x" not in actions
    assert not any("Bruno" in s for s in summaries(entries) if "Émargement" in s)
    assert "slot.close" not in actions  # a seal is the half-day's, not a person's
    assert len(list(history_entries(obj=bruno, user=coordinator))) == 2


def test_an_auditor_sees_on_a_participant_only_the_sessions_they_audit(world, auditor):
    entries = list(history_entries(obj=world["alice"], user=auditor))

    assert [e.action for e in entries] == ["attendance.sign", "enrolment.create"]
    assert all(
        e.object_id in {str(world["s1"].pk)} or e.object_type == "training_sessions.attendance"
        for e in entries
    )
    assert "LABO-1" in entries[1].summary


def test_unenrolment_names_the_person(world, coordinator):
    extra = ParticipantFactory(last_name="Chanfi")
    session = world["s1"]
    enrol_participants(session=session, participants=[extra], actor=coordinator)
    unenrol(enrolment=session.enrolments.get(participant=extra), actor=coordinator)

    entries = list(history_entries(obj=extra, user=coordinator))

    assert [e.action for e in entries] == ["enrolment.delete", "enrolment.create"]


def test_a_formation_shows_its_sessions_entries_not_their_half_days(world, coordinator):
    formation = world["s1"].formation
    log_action(actor=coordinator, action="formation_updated", obj=formation, summary="F")

    entries = list(history_entries(obj=formation, user=coordinator))

    assert [e.action for e in entries] == ["formation_updated", "enrolment.create"]


@pytest.mark.parametrize("role", ["trainer", "referent"])
def test_trainers_and_referents_get_no_history(world, role, trainer):
    user = (
        trainer
        if role == "trainer"
        else UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world["alice"].structure)
    )
    assert not history_entries(obj=world["s1"], user=user).exists()
    assert not history_entries(obj=world["alice"], user=user).exists()


# --- The session's page ------------------------------------------------------------------------


def test_the_session_page_shows_its_history_to_coordinators_and_auditors(
    client, world, coordinator, auditor
):
    url = reverse("sessions:session_detail", args=[world["s1"].pk])
    for user in (coordinator, auditor):
        client.force_login(user)

        text = history_text(client.get(url).content.decode())

        assert text.startswith("Historique Qui a fait quoi, quand et d'où")
        assert "en heure de Paris" in text
        assert "Théo Formateur Clôture et scellement de LABO-1 04/10/2021 09:00–12:30" in text
        assert (
            "Sans compte (lien ou QR code), depuis l'adresse IP 192.0.2.7 "
            "Émargement de ABDALLAH Alice (LABO-1 04/10/2021 09:00–12:30)"
        ) in text
        assert "Claire Coordo Inscription : 2 inscriptions à la session LABO-1" in text
        assert "Voir tout l'historique" not in text


def test_the_session_page_hides_the_history_from_its_trainer(client, world, trainer):
    client.force_login(trainer)

    html = client.get(reverse("sessions:session_detail", args=[world["s1"].pk])).content.decode()

    assert "object-history" not in html
    assert "192.0.2.7" not in html


def test_a_long_history_shows_the_latest_and_links_to_all(client, world, coordinator):
    session = world["s1"]
    for n in range(SHOWN):
        log_action(actor=coordinator, action="session.update", obj=session, summary=f"n°{n}")
    client.force_login(coordinator)

    html = client.get(reverse("sessions:session_detail", args=[session.pk])).content.decode()

    assert html.count('class="history-entry"') == SHOWN
    assert "n°9" in html and "Émargement" not in html
    full = reverse("sessions:session_history", args=[session.pk])
    assert f'href="{full}">Voir tout l\'historique ({SHOWN + 5} entrées)</a>' in html

    page = client.get(full).content.decode()
    assert page.count('class="history-entry"') == SHOWN + 5
    assert "Historique — Session LABO-1" in page


def test_the_session_history_page_is_for_coordinators_and_its_auditors(client, world, trainer):
    url = reverse("sessions:session_history", args=[world["s2"].pk])
    other_auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other_auditor.funders.add(Funder.objects.get(name="FEDER"))

    client.force_login(trainer)
    assert client.get(url).status_code == 403
    client.force_login(other_auditor)  # S2 is funded by the CAF
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("extra", [0, 120])
def test_session_history_queries_do_not_grow(
    client, world, coordinator, extra, django_assert_max_num_queries
):
    session = world["s1"]
    for n in range(extra):
        log_action(actor=coordinator, action="session.update", obj=session, summary=f"n°{n}")
    client.force_login(coordinator)

    with django_assert_max_num_queries(5):
        page = client.get(reverse("sessions:session_history", args=[session.pk]) + "?page=2")

    assert page.status_code == 200
    shown = len(re.findall('class="history-entry"', page.content.decode()))
    assert shown == (5 if extra == 0 else 50)
