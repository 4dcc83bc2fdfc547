"""The history of a participant and of a formation on their pages (formations.history), and
where an audit entry comes from (formations.audit: the request's address)."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.test import RequestFactory
from django.urls import reverse

from formations.audit import AuditRequestMiddleware, current_ip, log_action
from formations.history import (
    SHOWN,
    action_label,
    history_entries,
    history_lines,
)
from formations.importing import import_participants
from formations.models import AuditEntry, Funder, Participant, User
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    StructureFactory,
    UserFactory,
)
from tests.factories.importing import csv_bytes, person

pytestmark = pytest.mark.django_db


def history_text(html: str) -> str:
    start = html.index('<section class="card" aria-labelledby="object-history">')
    card = html[start : html.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split()).replace(" ,", ",")


@pytest.fixture
def audited(auditor):
    """A participant enrolled in a session of a programme the auditor's funder pays for."""
    enrolment = EnrolmentFactory(participant__last_name="Abdallah", participant__first_name="Alice")
    enrolment.session.formation.programme.funders.add(Funder.objects.get(name="FEDER"))
    return enrolment


# --- Where an entry comes from ----------------------------------------------------------------


def test_an_entry_written_during_a_request_keeps_its_address(client, coordinator, audited):
    formation = audited.session.formation
    client.force_login(coordinator)
    data = {
        "programme": formation.programme_id,
        "contract_reference": formation.contract_reference,
        "title": "Nouveau titre",
        "amount": "25000.00",
        "pricing_mode": formation.pricing_mode,
    }

    client.post(
        reverse("formations:formation_edit", args=[formation.pk]),
        data,
        REMOTE_ADDR="203.0.113.45",
    )

    entry = AuditEntry.objects.get(action="formation_updated")
    assert (entry.actor, entry.ip_address) == (coordinator, "203.0.113.45")


def test_outside_a_request_an_entry_has_no_address(coordinator):
    entry = log_action(actor=coordinator, action="formation_updated", summary="commande")
    assert entry.ip_address is None and current_ip() is None


def test_the_address_is_held_for_the_request_only():
    seen = []
    middleware = AuditRequestMiddleware(lambda request: seen.append(current_ip()))
    factory = RequestFactory()

    middleware(factory.get("/", REMOTE_ADDR="2001:db8::1"))
    middleware(factory.get("/", REMOTE_ADDR="pas une adresse"))

    assert seen == ["2001:db8::1", None]
    assert current_ip() is None


# --- Which entries concern a participant --------------------------------------------------------


def test_an_entry_records_the_people_it_names_but_not_its_own_object(coordinator):
    formation = FormationFactory()
    alice, bruno = ParticipantFactory(), ParticipantFactory()

    entry = log_action(
        actor=coordinator,
        action="enrolment.create",
        obj=formation,
        mentions=[alice, bruno, alice, formation],
    )

    assert sorted(entry.mentions.values_list("object_type", "object_id")) == sorted(
        [("formations.participant", str(alice.pk)), ("formations.participant", str(bruno.pk))]
    )
    # Named, but written on a formation: no branch of a participant's history takes it.
    assert list(history_entries(obj=bruno, user=coordinator)) == []


@pytest.mark.parametrize(
    ("action", "data", "named"),
    [
        ("enrolment.create", {"participants": [12, 3], "already_enrolled": [1]}, ["12", "3"]),
        ("enrolment.delete", {"participant": 2, "enrolment": 40}, ["2"]),
        (
            "participants_imported",
            {"created_participant_ids": [5], "existing_participant_ids": [6]},
            ["5"],
        ),
        ("enrolment.create", {}, []),
        ("participant_updated", {"participants": [7]}, []),
    ],
)
def test_the_migration_records_the_people_older_entries_name(coordinator, action, data, named):
    backfill = importlib.import_module("formations.migrations.0010_audit_mentions")
    entry = AuditEntry.objects.create(action=action, data=data)

    backfill.record_mentions(django_apps, None)

    assert sorted(entry.mentions.values_list("object_id", flat=True)) == sorted(named)
    assert set(entry.mentions.values_list("object_type", flat=True)) <= {"formations.participant"}


def test_the_import_that_created_a_participant_is_in_their_history(coordinator):
    content = csv_bytes([person(nom="Lefèvre", prenom="Hélène", email="helene@example.org")])
    import_participants(file_name="ccas.csv", content=content, actor=coordinator)
    helene = Participant.objects.get(email="helene@example.org")
    someone_else = ParticipantFactory()

    assert [e.action for e in history_entries(obj=helene, user=coordinator)] == [
        "participants_imported"
    ]
    assert not history_entries(obj=someone_else, user=coordinator).exists()


def test_lines_say_who_without_an_account_and_when_the_server_acted(coordinator):
    log_action(actor=None, action="attendance.sign", summary="Émargement de X", ip="192.0.2.1")
    log_action(actor=None, action="enrolment.create", summary="2 inscriptions à la session S")
    log_action(actor=coordinator, action="session.update", summary="Session S modifiée")
    log_action(actor=coordinator, action="something.new", summary="")

    lines = history_lines(AuditEntry.objects.order_by("pk"))

    assert [(line.who, line.what, line.ip) for line in lines] == [
        ("Sans compte (lien ou QR code)", "", "192.0.2.1"),
        ("Le serveur (commande ou tâche automatique)", "Inscription", ""),
        ("Claire Coordo", "", ""),
        ("Claire Coordo", "something : new", ""),
    ]
    assert action_label("participant_updated") == "Fiche modifiée"


# --- The participant's and the formation's pages ------------------------------------------------


def test_the_participant_page_shows_their_history(client, coordinator, auditor, audited):
    alice = audited.participant
    log_action(actor=coordinator, action="participant_updated", obj=alice, summary=str(alice))
    for user in (coordinator, auditor):
        client.force_login(user)

        html = client.get(reverse("formations:participant_detail", args=[alice.pk])).content
        text = history_text(html.decode())

        assert "Claire Coordo Fiche modifiée : ABDALLAH Alice" in text


@pytest.mark.parametrize("role", ["referent", "trainer"])
def test_the_participant_page_hides_the_history_from_other_roles(client, coordinator, role):
    alice = ParticipantFactory(structure=StructureFactory())
    enrolment = EnrolmentFactory(participant=alice)
    log_action(actor=coordinator, action="participant_updated", obj=alice, summary=str(alice))
    if role == "referent":
        user = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=alice.structure)
    else:
        user = UserFactory(role=User.Role.TRAINER)
        enrolment.session.trainers.add(user)
    client.force_login(user)

    response = client.get(reverse("formations:participant_detail", args=[alice.pk]))
    history = client.get(reverse("formations:participant_history", args=[alice.pk]))

    assert response.status_code == 200
    assert "object-history" not in response.content.decode()
    assert "Fiche modifiée" not in response.content.decode()
    assert history.status_code == 403


def test_the_formation_page_shows_its_history_and_links_to_all(client, coordinator):
    formation = FormationFactory(title="Accompagnement numérique")
    for n in range(SHOWN + 3):
        log_action(actor=coordinator, action="formation_updated", obj=formation, summary=f"v{n}")
    client.force_login(coordinator)

    html = client.get(reverse("formations:formation_detail", args=[formation.pk])).content.decode()

    assert html.count('class="history-entry"') == SHOWN
    full = reverse("formations:formation_history", args=[formation.pk])
    assert f'href="{full}">Voir tout l\'historique ({SHOWN + 3} entrées)</a>' in html
    page = client.get(full).content.decode()
    assert page.count('class="history-entry"') == SHOWN + 3
    assert f"Historique — {formation.contract_reference} — Accompagnement numérique" in page


def test_an_empty_history_says_so(client, coordinator):
    formation = FormationFactory()
    client.force_login(coordinator)

    html = client.get(reverse("formations:formation_detail", args=[formation.pk])).content.decode()

    assert "Aucune entrée dans le journal pour l'instant." in history_text(html)


def test_an_auditor_of_another_funder_gets_no_history(client, audited):
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(Funder.objects.create(name="CAF du Nord", kind="caf"))
    client.force_login(other)

    for name, pk in (
        ("formations:participant_history", audited.participant_id),
        ("formations:formation_history", audited.session.formation_id),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404


@pytest.mark.parametrize("count", [1, 40])
def test_page_queries_do_not_grow_with_the_history(
    client, coordinator, audited, count, django_assert_max_num_queries
):
    alice = audited.participant
    formation = audited.session.formation
    for n in range(count):
        log_action(actor=coordinator, action="participant_updated", obj=alice, summary=f"{n}")
        log_action(actor=coordinator, action="formation_updated", obj=formation, summary=f"{n}")
    client.force_login(coordinator)

    # The consents take two, the certificates panel two (formations, documents).
    with django_assert_max_num_queries(12):
        client.get(reverse("formations:participant_detail", args=[alice.pk]))
    # The certificates section two (people with a sealed session, a bulk issue running);
    # the audit risks two here (the formation's scope, its half-days: there are none);
    # the expenses panel one (totals by category); the service-fait panel seven (claims,
    # the period's half-days, the statement's claims and payments, the contract rules,
    # the statements issued, the claim choices) and one more when the payment form
    # preselects the programme's only funder; the expected deliverables one (their due
    # items with their latest version); the audit pack's two (a pack job running, the
    # standing packs); the evaluation results one (the questionnaires with campaigns here);
    # the evaluation campaigns one (the campaigns with their counts); the evaluation
    # syntheses two (their questionnaires, the syntheses issued); the EU publicity one (the
    # programme's EU funders).
    with django_assert_max_num_queries(28):
        client.get(reverse("formations:formation_detail", args=[formation.pk]))
    with django_assert_max_num_queries(5):
        client.get(reverse("formations:participant_history", args=[alice.pk]))


def test_consents_stay_out_of_an_auditors_history(coordinator, auditor, audited):
    alice = audited.participant
    log_action(
        actor=coordinator,
        action="consent_given",
        obj=alice,
        summary="ABDALLAH Alice : accord SMS pour « convocations » (oral)",
    )
    log_action(actor=coordinator, action="participant_updated", obj=alice, summary="Alice")

    assert [e.action for e in history_entries(obj=alice, user=coordinator)] == [
        "participant_updated",
        "consent_given",
    ]
    assert [e.action for e in history_entries(obj=alice, user=auditor)] == ["participant_updated"]
