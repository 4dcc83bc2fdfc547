"""Every write checks its actor in the service, whatever page or script calls it: a user
without the role is refused and nothing is written. `actor=None` is a management command."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from formations.importing import import_participants
from formations.models import Participant
from sessions.exceptions import SessionsError
from sessions.models import Enrolment, PaperSheetScan
from sessions.services import enrol_participants, send_convocations, unenrol
from sessions.services.paper import paper_scan_store
from sessions.services.remote_links import send_remote_links
from tests.factories import EnrolmentFactory, ParticipantFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = "nom;prenom;email;structure;type_structure\nSaindou;Amina;a@example.org;CCAS X;ccas\n"


@pytest.fixture
def outsider():
    return UserFactory(role="trainer")


def test_only_coordinators_enrol_unenrol_and_convoke(outsider):
    slot = SlotFactory()
    participant = ParticipantFactory()
    with pytest.raises(SessionsError) as enrolled:
        enrol_participants(session=slot.session, participants=[participant], actor=outsider)
    enrolment = EnrolmentFactory(session=slot.session)
    with pytest.raises(SessionsError) as unenrolled:
        unenrol(enrolment=enrolment, actor=outsider)
    with pytest.raises(SessionsError) as convoked:
        send_convocations(session=slot.session, actor=outsider)
    assert {enrolled.value.code, unenrolled.value.code, convoked.value.code} == {"not_coordinator"}
    assert list(Enrolment.objects.all()) == [enrolment]


def test_only_who_runs_the_session_stores_a_scan_or_sends_remote_links(outsider):
    slot = SlotFactory()
    scan = SimpleUploadedFile("feuille.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    with pytest.raises(SessionsError) as stored:
        paper_scan_store(slot=slot, uploaded_file=scan, actor=outsider)
    with pytest.raises(SessionsError) as sent:
        send_remote_links(slot=slot, actor=outsider, url_for=lambda token: token)
    assert (stored.value.code, sent.value.code) == ("not_trainer", "not_trainer")
    assert not PaperSheetScan.objects.exists()


def test_only_coordinators_import_participants(outsider):
    with pytest.raises(PermissionDenied):
        import_participants(file_name="liste.csv", content=CSV.encode(), actor=outsider)
    assert not Participant.objects.exists()
    # The command (no signed-in user) still imports.
    report = import_participants(file_name="liste.csv", content=CSV.encode(), actor=None)
    assert not report.has_errors and Participant.objects.count() == 1
