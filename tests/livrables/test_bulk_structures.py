"""The structures' certificats d'assiduité in the bulk issue: one per structure with people
in the scope, issued through `issue_structure_certificate`, left alone when up to date,
reissued when « à rééditer », and put in the scope's ZIP beside the people's."""

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations.jobs import job_state
from formations.models import AuditEntry, Participant, User
from livrables import bulk
from livrables.bulk import BULK_KINDS, Scope, bulk_states
from livrables.exceptions import LivrablesError
from livrables.models import DocumentEntry, IssuedDocument
from livrables.selectors import document_states, issued_file
from sessions.models import Rectification
from tests.factories import StructureFactory, UserFactory
from tests.livrables.conftest import pdf_text
from tests.livrables.test_bulk import BOTH, make_world, start, unzip

STRUCTURE = IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE
ALL = [*BOTH, STRUCTURE]


def make_structured_world(count_a=3, count_b=2):
    """`make_world` with the people grouped: CCAS A (the two first of the first session,
    one of them back in the second, the other also in the unsealed one), CCAS B (the
    third, and one of the second session), CCAS C (the last); the outsider, only in the
    unsealed session, stays in a structure of their own."""
    world = make_world(count_a=count_a, count_b=count_b)
    a = StructureFactory(name="CCAS A")
    b = StructureFactory(name="CCAS B")
    c = StructureFactory(name="CCAS C")
    people = world.people
    groups = {a: people[:2], b: [people[2], *people[3:-1]], c: people[-1:]}
    for structure, members in groups.items():
        Participant.objects.filter(pk__in=[p.pk for p in members]).update(structure=structure)
    for person in people:
        person.refresh_from_db()
    world.structures = [a, b, c]
    return world


@pytest.fixture
def world(db):
    return make_structured_world()


def structure_docs(world):
    records = list(IssuedDocument.objects.filter(kind=STRUCTURE, formation=world.formation))
    states = document_states(records)
    return {r.structure_id: r for r in records if states[r.pk].is_current}


def rectify(world, person, *, after):
    """A rectification of the person's first half-day, just after `after` (an issue)."""
    attendance = person.enrolments.filter(session=world.sealed[0]).get().attendances.first()
    Rectification.objects.create(
        attendance=attendance,
        old_values={},
        new_values={},
        reason="Arrivée en retard signalée",
        author=world.coordinator,
        previous_digest="",
        digest="9" * 64,
        created_at=after + dt.timedelta(microseconds=1),
    )


def test_bulk_for_a_formation_issues_one_certificate_per_structure_with_people(world, committed):
    job = start(committed, world, kinds=ALL)

    job.refresh_from_db()
    assert (job.total, job.done, job.failed, job.status) == (13, 13, 0, "finished")
    issued = structure_docs(world)
    # Not the outsider's structure: its person is only in the unsealed session.
    assert set(issued) == {s.pk for s in world.structures}
    assert IssuedDocument.objects.filter(kind=STRUCTURE).count() == 3
    assert AuditEntry.objects.filter(action="livrables.structure_certificate_issued").count() == 3
    text = pdf_text(issued_file(document=issued[world.structures[1].pk]).content)
    assert "CCAS B" in text
    # A session of the formation is still open: a statement at a date.
    assert not any(d.final for d in issued.values())


def test_a_second_run_issues_nothing(world, committed):
    start(committed, world, kinds=ALL)
    before = set(IssuedDocument.objects.values_list("number", flat=True))

    job = start(committed, world, kinds=ALL)

    job.refresh_from_db()
    assert set(IssuedDocument.objects.values_list("number", flat=True)) == before
    assert (job.total, job.done, job.failed) == (13, 13, 0)


def test_a_rectification_reissues_that_structure_s_certificate_only(world, committed):
    start(committed, world, kinds=[STRUCTURE])
    old = structure_docs(world)
    b = world.structures[1]
    rectify(world, world.people[2], after=old[b.pk].issued_at)  # of CCAS B
    scope = Scope(formation=world.formation)
    state = next(s for s in bulk_states(scope=scope) if s.kind == STRUCTURE)
    assert (state.up_to_date, state.to_reissue, state.missing) == (2, 1, 0)

    job = start(committed, world, kinds=[STRUCTURE])

    job.refresh_from_db()
    assert (job.total, job.done, job.failed) == (3, 3, 0)
    new = structure_docs(world)
    assert new[b.pk].number != old[b.pk].number
    entry = DocumentEntry.objects.get(document=old[b.pk])
    assert entry.kind == DocumentEntry.Kind.SUPERSEDED and entry.replaced_by == new[b.pk]
    assert {pk: d.number for pk, d in new.items() if pk != b.pk} == {
        pk: d.number for pk, d in old.items() if pk != b.pk
    }
    state = next(s for s in bulk_states(scope=scope) if s.kind == STRUCTURE)
    assert (state.up_to_date, state.to_reissue, state.missing) == (3, 0, 0)


def test_a_session_bulk_covers_the_structures_of_its_people(world, committed):
    start(committed, world, session=world.sealed[0], kinds=[STRUCTURE])

    a, b, _c = world.structures
    assert set(structure_docs(world)) == {a.pk, b.pk}
    # The certificate still covers every sealed session of the formation.
    text = pdf_text(issued_file(document=structure_docs(world)[a.pk]).content)
    assert world.sealed[0].code in text and world.sealed[1].code in text


def test_a_structure_failing_is_counted_and_the_others_go_on(world, committed, monkeypatch):
    victim = world.structures[0]
    real = bulk.issue_structure_certificate

    def failing(*, structure, **kwargs):
        if structure.pk == victim.pk:
            raise LivrablesError("Rien de scellé", code="nothing_sealed")
        return real(structure=structure, **kwargs)

    monkeypatch.setattr(bulk, "issue_structure_certificate", failing)
    job = start(committed, world, kinds=ALL)

    job.refresh_from_db()
    assert (job.done, job.failed, job.status) == (13, 1, "finished")
    assert set(structure_docs(world)) == {s.pk for s in world.structures[1:]}
    assert IssuedDocument.objects.filter(kind__in=BOTH).count() == 10
    assert "1 document n'a pas pu être émis" in job_state(job)["summary"]


def test_panel_counts_and_offers_the_structures_checked(client, world, committed):
    client.force_login(world.coordinator)
    page = reverse("formations:formation_detail", args=[world.formation.pk])
    html = client.get(page).content.decode()
    slug = BULK_KINDS[STRUCTURE].slug
    assert f'value="{slug}" id="bulk-kind-{slug}" checked' in html
    assert "Certificats d&#x27;assiduité des structures" in html

    # Five people, three structures: the people's count is not the structures'.
    assert "5 personnes ont au moins une session entièrement scellée" in html

    committed(
        client.post,
        reverse("livrables:formation_certificates_bulk", args=[world.formation.pk]),
        {"types": [slug]},
    )

    states = {s.kind: s for s in bulk_states(scope=Scope(formation=world.formation))}
    assert (states[STRUCTURE].subjects, states[STRUCTURE].up_to_date) == (3, 3)
    assert states[BOTH[0]].missing == 5
    session_page = client.get(reverse("sessions:session_detail", args=[world.sealed[0].pk]))
    assert f'value="{slug}"' in session_page.content.decode()


def test_zip_lists_the_structures_certificates_with_the_register_s_sha256(client, world, committed):
    start(committed, world, kinds=ALL)
    client.force_login(world.coordinator)

    response = client.get(
        reverse("livrables:formation_certificates_zip", args=[world.formation.pk])
    )

    assert response.streaming
    files = unzip(b"".join(response.streaming_content))
    manifest = list(
        csv.DictReader(io.StringIO(files.pop("manifest.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert len(files) == len(manifest) == 13
    slugs = {s.pk: f"ccas-{s.name[-1].lower()}-{s.pk}" for s in world.structures}
    for structure, document in structure_docs(world).items():
        name = f"structures/{slugs[structure]}/{document.filename}"
        assert name in files
        assert hashlib.sha256(files[name]).hexdigest() == document.sha256
        line = next(row for row in manifest if row["numero"] == document.number)
        assert (line["fichier"], line["sha256"], line["type"], line["etat"]) == (
            name,
            document.sha256,
            "Certificat d'assiduité de la structure",
            "inclus",
        )
    # The people's folders come first, the structures' after them.
    names = list(files)
    assert all(n.startswith("structures/") for n in names[-3:])
    assert not any(n.startswith("structures/") for n in names[:-3])

    session = unzip(
        b"".join(
            client.get(
                reverse("livrables:session_certificates_zip", args=[world.sealed[0].pk])
            ).streaming_content
        )
    )
    folders = {n.split("/")[1] for n in session if n.startswith("structures/")}
    assert folders == {f"ccas-a-{world.structures[0].pk}", f"ccas-b-{world.structures[1].pk}"}


def test_zip_stays_not_found_for_a_referent_of_a_structure_in_it(client, world, committed):
    start(committed, world, kinds=ALL)
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.structures[0])
    client.force_login(referent)
    for url in (
        reverse("livrables:formation_certificates_zip", args=[world.formation.pk]),
        reverse("livrables:session_certificates_zip", args=[world.sealed[0].pk]),
    ):
        assert client.get(url).status_code == 404
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(world.funder)
    client.force_login(auditor)
    response = client.get(
        reverse("livrables:formation_certificates_zip", args=[world.formation.pk])
    )
    names = unzip(b"".join(response.streaming_content))
    assert sum(1 for n in names if n.startswith("structures/")) == 3


@pytest.mark.parametrize("url_name", ["formations:formation_detail", "sessions:session_detail"])
def test_pages_query_count_does_not_grow_with_structures(client, db, committed, url_name):
    def measure(world):
        start(committed, world, kinds=ALL)
        client.force_login(world.coordinator)
        pk = world.formation.pk if url_name == "formations:formation_detail" else world.sealed[0].pk
        url = reverse(url_name, args=[pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    # Three structures, then twenty-one (one per person).
    few = measure(make_structured_world(count_a=3, count_b=2))
    many = measure(make_world(count_a=12, count_b=9))

    assert many == few
