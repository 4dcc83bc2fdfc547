"""The certificat d'assiduité of a structure in a formation (one per CCAS): hours from the
émargement selectors, the contract's rule per structure at each session, sealed sessions
only, issued through the register (reissue supersedes, a rectification flags it), seen by
coordinators, the structure's referent and the auditors of the programme's funders."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from formations.french import hours_label
from formations.models import AuditEntry, User
from livrables.data_structure_certificate import build_structure_certificate_data
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.pdf.structure_certificate import render_structure_certificate
from livrables.selectors import document_state, issued_file
from livrables.services import issue_structure_certificate
from sessions.models import Attendance
from sessions.selectors import contract_status, realised_minutes
from sessions.services.attendance import attendance_rectify
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    ProviderIdentityFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import make_slot
from tests.livrables.conftest import pdf_pages, pdf_text
from tests.livrables.structure_world import rich_world, seal, sized_world

NOW = dt.datetime(2021, 11, 1, 16, 0, tzinfo=dt.UTC)
KIND = IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE


@pytest.fixture
def provider(db):
    return ProviderIdentityFactory()


@pytest.fixture
def world(db):
    return rich_world()


def issue(world, actor=None, now=NOW, structure=None):
    return issue_structure_certificate(
        structure=structure or world.structure,
        formation=world.formation,
        actor=actor or world.coordinator,
        now=now,
    )


def kept_text(record) -> str:
    return pdf_text(issued_file(document=record).content)


def structure_url(structure):
    return reverse("formations:structure_detail", args=[structure.pk])


def issue_url(world, structure=None):
    return reverse(
        "livrables:structure_certificate_issue",
        kwargs={"pk": (structure or world.structure).pk, "formation_pk": world.formation.pk},
    )


def download_url(record):
    return reverse("livrables:document_download", args=[record.number])


# ---------------------------------------------------------------------------- hours


def test_each_person_s_hours_are_the_realised_minutes_of_their_enrolments(world, provider):
    data = build_structure_certificate_data(
        structure=world.structure, formation=world.formation, now=NOW
    )

    expected = {
        (key, code): realised_minutes(enrolment=enrolment)
        for (key, code), enrolment in world.enrolments.items()
        if key != "martin" and code != "LABO-4"
    }
    names = {world.people[key].full_name: key for key in ("nguyen", "dvorak", "ozturk")}
    printed = {
        (names[person.name], block.code): person.realised_minutes
        for block in data.sessions
        for person in block.people
    }
    assert printed == expected
    assert expected[("dvorak", "LABO-1")] == 180
    for block in data.sessions:
        for person in block.people:
            # The half-days add up to the enrolment's hours.
            assert sum(c.realised_minutes for c in person.cells) == person.realised_minutes
    assert (data.realised_minutes, data.planned_minutes) == (sum(expected.values()), 35 * 60)


def test_pdf_prints_hours_per_person_and_the_structure_s_total(world, provider):
    record = issue(world)
    text = kept_text(record)

    totals = {}
    for (key, code), enrolment in world.enrolments.items():
        if key == "martin" or code == "LABO-4":
            continue
        realised = realised_minutes(enrolment=enrolment)
        sessions, minutes = totals.get(key, (0, 0))
        totals[key] = (sessions + 1, minutes + realised)
    planned = {"nguyen": 14 * 60, "dvorak": 14 * 60, "ozturk": 7 * 60}
    for key, (sessions, minutes) in totals.items():
        name = world.people[key].full_name
        assert f"{name} {sessions} {hours_label(minutes)} / {hours_label(planned[key])}" in text
    total = sum(minutes for _sessions, minutes in totals.values())
    assert total == record.realised_minutes == 31 * 60
    assert (
        "Heures réalisées : 31 h sur 35 h prévues — taux d'assiduité de la structure : 88,6 %"
        in (text)
    )
    assert "Retard : arrivée 09:30, 30 min manquées" in text
    assert "Absent — non signé" in text
    assert "Je soussigné(e) Marie Dupont, Gérante" in text
    assert "CCAS de Lille" in text
    assert "MARTIN" not in text  # another structure's person
    assert "Cofinancé par l'Union européenne" in text
    assert "Page 1 / 2" in text and "Page 2 / 2" in text
    assert f"N° {record.number}" in text
    assert record.number.startswith(f"CA-F{world.formation.pk}-S{world.structure.pk}-")


def test_rule_per_structure_is_judged_at_every_session(world, provider):
    text = kept_text(issue(world))

    assert "Règle du marché 1 à 2 participant·es par structure et par session" in text
    assert "LABO-1 04/10/2021 2 10 h / 14 h respectée (2 participant·es inscrit·es)" in text
    # A session where the structure had nobody is listed: its minimum fails.
    assert (
        "LABO-2 11/10/2021 0 0 h / 0 h non respectée : 0 participant·e inscrit·e, 1 à 2 prévu·es"
        in text
    )
    assert "Aucune personne de la structure n'était inscrite à cette session." in text
    assert "LABO-3 18/10/2021 3 21 h / 21 h non respectée : 3 participant·es inscrit·es" in text
    assert "respectée à 1 session sur 3" in text
    # The unsealed session is not covered.
    assert "LABO-4" not in text
    assert "état au 01/11/2021" in text


@pytest.mark.parametrize("rule", [(1, 2), (None, 2), None])
def test_certificate_and_formation_page_flag_the_same_sessions(db, provider, rule):
    """The certificate's verdict at each session and the formation page's offences agree,
    for the structure and for the other one (absent from LABO-3): a session where it had
    nobody, one over the maximum. LABO-4 is not sealed (not on the certificate) and has
    not begun on 1 November (its absent structure is not judged yet)."""
    world = rich_world(rule=rule)
    rule_status = contract_status(formation=world.formation, today=NOW.date()).rule(
        "attendees_per_structure"
    )

    for structure in (world.structure, world.other):
        data = build_structure_certificate_data(
            structure=structure, formation=world.formation, now=NOW
        )
        on_certificate = {
            block.code for block in data.sessions if block.rule and not block.rule.held
        }
        on_page = {o.session_code for o in rule_status.offences if o.structure_id == structure.pk}
        assert on_certificate == on_page
        assert {
            (o.session_code, o.state)
            for o in rule_status.offences
            if o.structure_id == structure.pk
        } == {(b.code, b.rule.state) for b in data.sessions if b.rule and not b.rule.held}
    expected = {
        (1, 2): {
            ("LABO-2", "CCAS de Lille"),
            ("LABO-3", "CCAS de Lille"),
            ("LABO-3", "Centre social Wazemmes"),
        },
        (None, 2): {("LABO-3", "CCAS de Lille")},
        None: set(),
    }[rule]
    assert {(o.session_code, o.structure_name) for o in rule_status.offences} == expected


def test_without_a_rule_per_structure_it_is_not_applicable(db, provider):
    world = rich_world(rule=None)

    text = kept_text(issue(world))

    assert "aucune (le marché ne fixe pas de nombre de participant·es par structure)" in text
    assert "respectée" not in text
    assert "LABO-2 11/10/2021 0 0 h / 0 h sans objet" in text


# ---------------------------------------------------------------------------- refusals


def test_refused_when_nothing_of_the_structure_is_sealed(world, provider):
    late = StructureFactory(name="CCAS de Roubaix", kind="ccas")
    person = ParticipantFactory(structure=late)
    EnrolmentFactory(session=world.sessions["LABO-4"], participant=person)

    with pytest.raises(LivrablesError) as refused:
        issue(world, structure=late)

    assert refused.value.code == "nothing_sealed"
    assert "rien ne peut être certifié" in refused.value.message
    assert not IssuedDocument.objects.exists()


def test_refused_when_the_structure_has_nobody_in_the_formation(world, provider):
    with pytest.raises(LivrablesError) as refused:
        issue(world, structure=StructureFactory(name="CCAS de Tourcoing", kind="ccas"))

    assert refused.value.code == "no_enrolment"


def test_refused_without_the_provider_identity(world):
    with pytest.raises(LivrablesError) as refused:
        issue(world)

    assert refused.value.code == "provider_missing"


def test_only_coordinators_issue(world, provider):
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.structure)
    for actor in (world.trainer, referent):
        with pytest.raises(LivrablesError) as refused:
            issue(world, actor=actor)
        assert refused.value.code == "not_allowed"
    assert not IssuedDocument.objects.exists()


# ---------------------------------------------------------------------------- register


def test_issue_registers_the_subject_and_journals_it_on_the_structure(world, provider):
    record = issue(world)

    assert record.kind == KIND
    assert (record.structure, record.formation) == (world.structure, world.formation)
    assert record.participant is None and record.session is None
    assert (record.realised_minutes, record.planned_minutes) == (31 * 60, 35 * 60)
    assert (record.covers_from, record.covers_to) == (dt.date(2021, 10, 4), dt.date(2021, 10, 18))
    assert record.final is False
    assert record.holder_initials == ""
    entry = AuditEntry.objects.get(action="livrables.structure_certificate_issued")
    assert entry.object_id == str(world.structure.pk)
    assert entry.data["formation"] == world.formation.pk


def test_reissue_supersedes_and_the_public_page_names_no_person(client, world, provider):
    first = issue(world)
    second = issue(world, now=NOW + dt.timedelta(hours=1))

    assert document_state(document=first).superseded_by == second.number
    assert document_state(document=second).is_current
    page = client.get(reverse("livrables:verify_document", args=[first.number]))
    html = page.content.decode().replace("&#x27;", "'")
    assert page.status_code == 200
    assert f"Remplacé par n° {second.number}" in html
    assert "Certificat d'assiduité de la structure" in html
    assert "FEDER-2018-AO.3 — Accompagner les usages numériques" in html
    assert "CCAS de Lille" in html
    assert "31 h réalisées sur 35 h prévues" in html
    assert "du 4 octobre 2021 au 18 octobre 2021" in html
    assert "état au" in html
    for name in ("Nguy", "NGUY", "Dvo", "DVO", "Öztürk", "ÖZTÜRK", "Martin", "MARTIN"):
        assert name not in html


def test_a_rectification_of_one_of_its_people_flags_it_to_reissue(client, world, provider):
    record = issue(world)
    other = issue(world, structure=world.other)
    assert not document_state(document=record).needs_reissue

    attendance = (
        Attendance.objects.filter(enrolment=world.enrolments[("dvorak", "LABO-1")])
        .order_by("slot__starts_at")
        .first()
    )
    attendance_rectify(
        attendance=attendance,
        status=Attendance.Status.ABSENT_EXCUSED,
        reason="Certificat médical reçu",
        author=world.coordinator,
        now=NOW + dt.timedelta(days=1),
    )

    assert document_state(document=record).needs_reissue
    assert not document_state(document=other).needs_reissue  # not its people
    client.force_login(world.coordinator)
    page = client.get(structure_url(world.structure)).content.decode()
    assert "à rééditer" in page
    again = issue(world, now=NOW + dt.timedelta(days=2))
    assert not document_state(document=again).needs_reissue


def test_a_session_sealed_since_flags_a_statement_at_a_date(world, provider):
    record = issue(world)
    labo4 = world.sessions["LABO-4"]

    slots = list(labo4.slots.order_by("starts_at"))
    for slot in slots[:1]:
        slot.countersigned_at = slot.ends_at
        slot.save()
        seal(slot, world.trainer)
    # Half of LABO-4 sealed: not a covered session yet, nothing changes on the certificate.
    assert not document_state(document=record).needs_reissue
    for slot in slots[1:]:
        seal(slot, world.trainer)
    assert document_state(document=record).needs_reissue

    final = issue(world, now=NOW + dt.timedelta(days=30))
    assert final.final is True
    assert "LABO-4" in kept_text(final)


def test_a_session_where_it_had_nobody_sealed_since_flags_it_too(world, provider):
    record = issue(world)
    session = TrainingSessionFactory(formation=world.formation, code="LABO-5")
    seal(make_slot(session, dt.date(2021, 11, 15), dt.time(9), dt.time(12)), world.trainer)

    assert document_state(document=record).needs_reissue


# ---------------------------------------------------------------------------- access


def test_coordinator_issues_and_reissues_from_the_structure_page(client, world, provider):
    client.force_login(world.coordinator)
    page = client.get(structure_url(world.structure)).content.decode()
    assert "Émettre" in page and "Pas encore émis." in page

    response = client.post(issue_url(world), follow=True)

    record = IssuedDocument.objects.get()
    html = response.content.decode().replace("&#x27;", "'")
    assert f"Document n° {record.number} émis (Certificat d'assiduité de la structure)." in html
    assert "31 h / 35 h" in html
    assert "Rééditer" in html
    assert reverse("livrables:document_download", args=[record.number]) in html
    revoke = reverse("livrables:document_revoke", args=[record.number])
    assert f'<a class="button secondary" href="{revoke}">Révoquer' in html
    client.post(issue_url(world))
    assert document_state(document=record).superseded_at is not None
    assert "1 certificat antérieur" in client.get(structure_url(world.structure)).content.decode()


def test_the_structure_s_referent_downloads_it_but_does_not_issue(client, world, provider):
    record = issue(world)
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.structure)
    client.force_login(referent)

    page = client.get(structure_url(world.structure))
    assert page.status_code == 200
    html = page.content.decode()
    assert record.number in html
    assert "Rééditer" not in html and "Révoquer" not in html
    response = client.get(download_url(record))
    assert response.status_code == 200
    assert response.content == issued_file(document=record).content
    assert client.post(issue_url(world)).status_code == 403
    assert IssuedDocument.objects.count() == 1


@pytest.mark.parametrize("who", ["other_referent", "other_auditor", "trainer"])
def test_others_get_not_found(client, world, provider, who):
    record = issue(world)
    if who == "other_referent":
        user = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.other)
    elif who == "other_auditor":
        user = UserFactory(role=User.Role.FUNDER_AUDITOR)
        user.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    else:
        user = world.trainer
    client.force_login(user)

    assert client.get(download_url(record)).status_code == 404
    # A trainer of its sessions reaches the structure, but issues nothing.
    assert client.post(issue_url(world)).status_code == (403 if who == "trainer" else 404)
    page = client.get(structure_url(world.structure))
    assert record.number.encode() not in page.content


def test_trainer_may_see_the_structure_but_not_its_certificate(client, world, provider):
    record = issue(world)
    client.force_login(world.trainer)

    page = client.get(structure_url(world.structure))

    assert page.status_code == 200
    assert b"structure-certificates" not in page.content
    assert client.post(issue_url(world)).status_code == 403
    assert client.get(download_url(record)).status_code == 404


def test_auditor_of_the_programme_s_funder_downloads_it(client, world, provider):
    record = issue(world)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(world.formation.programme.funders.get())
    client.force_login(auditor)

    assert client.get(download_url(record)).status_code == 200


# ---------------------------------------------------------------------------- size


@pytest.mark.parametrize("sessions,people", [(2, 1), (6, 3)])
def test_data_query_count_is_constant(
    db, provider, django_assert_max_num_queries, sessions, people
):
    world = sized_world(sessions=sessions, people=people, days=2)

    with django_assert_max_num_queries(11):
        data = build_structure_certificate_data(
            structure=world.structure, formation=world.formation, now=NOW
        )

    assert len(data.sessions) == sessions
    assert all(len(block.people) == people for block in data.sessions)


def test_fifteen_sessions_of_three_people_over_three_days_render(db, provider):
    world = sized_world(sessions=15, people=3, days=3)
    data = build_structure_certificate_data(
        structure=world.structure, formation=world.formation, now=NOW
    )

    content = render_structure_certificate(data)

    text = pdf_text(content)
    pages = pdf_pages(content)
    assert pages > 3
    assert f"Page {pages} / {pages}" in text
    assert "LABO-15" in text
    assert text.count("Réalisé / prévu") >= 15 + 2
    assert "respectée à 15 sessions sur 15" in text
    assert "final" in text


def test_header_row_repeats_when_a_session_table_runs_over_a_page(db, provider):
    world = sized_world(sessions=1, people=40, days=4)
    data = build_structure_certificate_data(
        structure=world.structure, formation=world.formation, now=NOW
    )

    content = render_structure_certificate(data)

    from io import BytesIO

    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(BytesIO(content)).pages]
    # Eight half-days: two tables per session; each page of a table starts with its header.
    with_header = [p for p in pages if "Participant·e" in p and "09:00–12:30" in p]
    assert len(pages) >= 3
    assert len(with_header) >= 3


def test_structure_page_query_count_does_not_grow_with_formations(client, world, provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import FormationFactory

    client.force_login(world.coordinator)

    def measure():
        client.get(structure_url(world.structure))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(structure_url(world.structure))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    issue(world)
    few, _html = measure()
    for index in range(3):
        formation = FormationFactory(programme=world.formation.programme)
        session = TrainingSessionFactory(formation=formation, code=f"AUTRE-{index}")
        EnrolmentFactory(session=session, participant=world.people["nguyen"])
        issue(world, now=NOW + dt.timedelta(minutes=index + 1))
    many, html = measure()

    assert html.count("structure-certificate-help-") >= 1
    assert html.count('class="structure-certificate"') == 4
    assert many == few


def test_revoking_leads_back_to_the_structure_and_offers_a_new_issue(client, world, provider):
    record = issue(world)
    client.force_login(world.coordinator)
    form = client.get(reverse("livrables:document_revoke", args=[record.number])).content
    back = structure_url(world.structure) + "#structure-certificates"
    assert f'<a class="button secondary" href="{back}">Annuler</a>' in form.decode()

    response = client.post(
        reverse("livrables:document_revoke", args=[record.number]),
        {"motif": "Erreur de structure"},
    )

    assert response.status_code == 302
    assert response.url == structure_url(world.structure) + "#structure-certificates"
    html = client.get(response.url).content.decode()
    assert f"Le certificat n° {record.number} a été révoqué le" in html
    assert "Rééditer" in html


@pytest.mark.parametrize(
    ("sessions", "sealed", "with_people", "expected"),
    [
        (2, 0, 0, "0 session entièrement scellée sur 2. </p>"),
        (2, 1, 0, "1 session entièrement scellée sur 2. Aucune personne de la structure n'y "),
        (2, 1, 1, "1 session entièrement scellée sur 2. Des personnes de la structure y sont"),
        (
            3,
            3,
            3,
            "3 sessions entièrement scellées sur 3. Des personnes de la structure sont "
            "inscrites à chacune d'elles.",
        ),
        (
            4,
            3,
            1,
            "3 sessions entièrement scellées sur 4. Des personnes de la structure sont "
            "inscrites à 1 d'entre elles.",
        ),
        (
            4,
            3,
            2,
            "3 sessions entièrement scellées sur 4. Des personnes de la structure sont "
            "inscrites à 2 d'entre elles.",
        ),
    ],
)
def test_the_count_of_sessions_with_the_structure_s_people_reads_well(
    sessions, sealed, with_people, expected
):
    row = SimpleNamespace(
        formation=SimpleNamespace(pk=1, contract_reference="FEDER-1", title="Labo"),
        sessions=sessions,
        sealed_sessions=sealed,
        sealed_with_people=with_people,
        current=None,
        revoked=None,
        earlier=[],
    )

    html = render_to_string(
        "livrables/panels/structure_certificates.html",
        {"structure_certificate_rows": [row], "can_issue_certificates": False},
    )

    assert expected in " ".join(html.replace("&#x27;", "'").split())
    assert "inscrites à 0" not in html
