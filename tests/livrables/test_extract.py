"""A structure referent's proof: the extract of the signed sheet restricted to their own
structure's people, marked as an extract on every page, with its own number and kind."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from formations.models import AuditEntry, User
from livrables.data import build_sheet_data
from livrables.models import IssuedDocument
from sessions.models import Seal
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    StructureFactory,
    UserFactory,
)
from tests.livrables.conftest import RECTIFICATION_REASON, SIGNATURE, pdf_text

pytestmark = pytest.mark.django_db

MARK = "Extrait — Centre social Wazemmes : seules les personnes de cette structure figurent"
OTHERS = ("NGUYỄN", "ÖZTÜRK", "MARTIN Camille")


def extract_url(session):
    return reverse("livrables:session_sheet_extract", args=[session.pk])


def issue_extract(client, session):
    """The referent issues the extract (POST), then downloads it."""
    client.post(reverse("livrables:session_sheet_extract_issue", args=[session.pk]))
    return client.get(extract_url(session))


def _referent(sheet_world, key="dvorak"):
    structure = sheet_world.enrolments[key].participant.structure
    return UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)


def test_extract_holds_the_referents_people_only_and_says_so(client, sheet_world):
    referent = _referent(sheet_world)
    client.force_login(referent)

    response = issue_extract(client, sheet_world.session)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="extrait-emargement-EXT-LABO-2021-1-'
    )
    text = pdf_text(response.content)
    assert "DVOŘÁK Jiří" in text
    assert "Retard : arrivée 09:30, 30 min manquées" in text
    assert RECTIFICATION_REASON in text  # Dvořák's own rectification stays
    for name in OTHERS:
        assert name not in text
    assert MARK in text
    assert "Extrait de feuille d'émargement" in text
    # The half-day's seal and countersignature belong to everyone: still shown.
    assert "Théo Formateur" in text and "Scellements" in text


def test_extract_leaves_out_other_peoples_rectifications(client, sheet_world):
    client.force_login(_referent(sheet_world, "nguyen"))

    text = pdf_text(issue_extract(client, sheet_world.session).content)

    assert "NGUYỄN Thị Hương" in text
    assert "DVOŘÁK" not in text
    assert RECTIFICATION_REASON not in text
    assert "Motif" not in text  # no annex of rectifications at all


def test_extract_is_marked_on_every_page(client, sheet_world):
    structure = sheet_world.enrolments["dvorak"].participant.structure
    slots = list(sheet_world.session.slots.all())
    for i in range(40):
        enrolment = EnrolmentFactory(
            session=sheet_world.session,
            participant=ParticipantFactory(last_name=f"Wazemmes{i:02d}", structure=structure),
        )
        for slot in slots:
            AttendanceFactory(enrolment=enrolment, slot=slot, signature=SIGNATURE)
    client.force_login(_referent(sheet_world))

    reader = PdfReader(io.BytesIO(issue_extract(client, sheet_world.session).content))

    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert MARK in " ".join(page.extract_text().split())


def test_extract_is_registered_under_its_own_kind_and_logged(client, sheet_world):
    referent = _referent(sheet_world)
    client.force_login(referent)

    response = issue_extract(client, sheet_world.session)

    document = IssuedDocument.objects.get()
    assert document.kind == IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT
    assert document.number.startswith("EXT-LABO-2021-1-")
    assert document.number in pdf_text(response.content)
    assert document.issued_by == referent
    assert (document.session, document.structure) == (sheet_world.session, referent.structure)
    entry = AuditEntry.objects.get(action="livrables.sheet_extract_issued")
    assert entry.data["number"] == document.number
    assert entry.data["structure"] == referent.structure_id
    # The public verification page knows it, without naming the structure.
    page = client.get(reverse("livrables:verify_document", args=[document.number]))
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "Extrait de feuille d&#x27;émargement" in html or "Extrait de feuille d'émargement" in html
    )
    assert "Wazemmes" not in html


def test_referent_never_gets_the_full_sheet(client, sheet_world):
    client.force_login(_referent(sheet_world))

    response = client.get(reverse("livrables:session_sheet", args=[sheet_world.session.pk]))

    assert response.status_code == 404
    assert not IssuedDocument.objects.exists()


def test_referent_of_a_structure_outside_the_session_gets_404(client, sheet_world):
    outsider = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=StructureFactory())
    EnrolmentFactory(participant__structure=outsider.structure)  # another session
    client.force_login(outsider)

    assert client.get(extract_url(sheet_world.session)).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "trainer", "auditor"])
def test_extract_is_for_referents_only(client, sheet_world, role):
    if role == "coordinator":
        user = sheet_world.coordinator
    elif role == "trainer":
        user = sheet_world.trainer
    else:
        user = UserFactory(role=User.Role.FUNDER_AUDITOR)
        user.funders.add(FunderFactory(name="FEDER"))
    client.force_login(user)

    assert client.get(extract_url(sheet_world.session)).status_code == 404


def test_session_page_links_the_referent_to_the_extract_not_the_sheet(client, sheet_world):
    client.force_login(_referent(sheet_world))

    html = client.get(reverse("sessions:session_detail", args=[sheet_world.session.pk])).content
    html = html.decode()

    assert extract_url(sheet_world.session) in html
    assert reverse("livrables:session_sheet", args=[sheet_world.session.pk]) not in html


def test_build_sheet_data_for_a_structure(sheet_world):
    structure = sheet_world.enrolments["martin"].participant.structure

    data = build_sheet_data(session=sheet_world.session, structure=structure)
    whole = build_sheet_data(session=sheet_world.session)

    assert [row.participant_name for row in data.rows] == ["MARTIN Camille"]
    assert [cell.status for cell in data.rows[0].cells] == ["present", "left_early"]
    assert data.rectifications == ()
    assert data.extract_label == (
        "Extrait — CCAS de Mamoudzou : seules les personnes de cette structure figurent"
    )
    assert data.number.startswith("EXT-")
    assert len(data.slots) == len(whole.slots) == 2
    assert data.seals == whole.seals
    assert whole.extract_label == "" and len(whole.rows) == 4


def test_build_sheet_data_extract_query_count_is_constant(
    sheet_world, django_assert_max_num_queries
):
    structure = sheet_world.enrolments["martin"].participant.structure
    with django_assert_max_num_queries(8) as small:
        build_sheet_data(session=sheet_world.session, structure=structure)
    for i in range(20):
        enrolment = EnrolmentFactory(
            session=sheet_world.session,
            participant=ParticipantFactory(last_name=f"Mamoudzou{i}", structure=structure),
        )
        for slot in sheet_world.session.slots.all():
            AttendanceFactory(enrolment=enrolment, slot=slot)
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = build_sheet_data(session=sheet_world.session, structure=structure)
    assert len(data.rows) == 21


def test_extract_of_a_session_not_fully_sealed_is_a_provisional_preview(client, sheet_world):
    Seal.objects.filter(slot=sheet_world.afternoon).delete()
    referent = _referent(sheet_world)
    client.force_login(referent)

    response = issue_extract(client, sheet_world.session)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="extrait-emargement-provisoire-PROV-LABO-2021-1-'
    )
    text = pdf_text(response.content)
    assert MARK in text and "DOCUMENT PROVISOIRE" in text
    assert "DVOŘÁK Jiří" in text and "NGUYỄN" not in text
    assert not IssuedDocument.objects.exists()
    entry = AuditEntry.objects.get(action="livrables.sheet_extract_previewed")
    assert entry.data["structure"] == referent.structure_id
