"""The funder auditor's control page of a half-day (sessions:slot_audit): read-only, scoped to
the auditor's funders, with every record's evidence and whether the seal still verifies."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations.models import User
from sessions.models import Attendance, Seal
from sessions.selectors.audit import slot_audit_records
from sessions.services.attendance import attendance_rectify, attendance_sign
from sessions.services.paper import PaperEntry, paper_sheet_key_in
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.sessions import (
    SCAN_BYTES,
    PaperSheetScanFactory,
    at_local,
    close,
    during,
    signature,
)

pytestmark = pytest.mark.django_db

REASON = "Arrivée à 9 h 40 signalée par la formatrice"


def audit_url(slot):
    return reverse("sessions:slot_audit", args=[slot.pk])


@pytest.fixture
def world(auditor, trainer, coordinator):
    """A Mayotte session of a programme the auditor's funder finances; one half-day signed on
    the tablet (device clock 3 min 10 s behind), keyed in from a paper scan, one person
    struck out absent at the close, sealed, then one rectification."""
    programme = ProgrammeFactory(reference="FSE-DESIGN-PALAS")
    programme.funders.add(auditor.funders.get())
    session = TrainingSessionFactory(
        code="LABO-2021-1",
        time_zone="Indian/Mayotte",
        formation=FormationFactory(programme=programme),
    )
    session.trainers.add(trainer)
    slot = SlotFactory(session=session)
    ccas = StructureFactory(name="CCAS de Mamoudzou")
    amina, julien, absent = (
        EnrolmentFactory(
            session=session,
            participant=ParticipantFactory(
                last_name=name, first_name=first, structure=ccas, phone="+262 639 00 00 00"
            ),
        )
        for name, first in (("Saindou", "Amina"), ("Morel", "Julien"), ("Ali", "Fatima"))
    )
    signed = attendance_sign(
        enrolment=amina,
        slot=slot,
        signature=signature(),
        method=Attendance.Method.TABLET,
        ip="192.0.2.7",
        user_agent="Mozilla/5.0 (tablette de test)",
        nonce="n-1",
        device_signed_at=during(slot) - dt.timedelta(minutes=3, seconds=10),
        now=during(slot),
    )
    scan = PaperSheetScanFactory(slot=slot, uploaded_by=trainer, original_name="feuille-matin.pdf")
    paper_sheet_key_in(
        slot=slot,
        scan=scan,
        entries=[
            PaperEntry(
                enrolment=julien, status=Attendance.Status.LATE, arrived_at=at_local(slot, 9, 30)
            )
        ],
        actor=trainer,
    )
    seal = close(slot, trainer)
    attendance_rectify(
        attendance=signed,
        status=Attendance.Status.LATE,
        arrived_at=at_local(slot, 9, 40),
        reason=REASON,
        author=coordinator,
    )
    return {
        "slot": slot,
        "session": session,
        "seal": seal,
        "signed": signed,
        "scan": scan,
        "people": (amina, julien, absent),
    }


def _page(client, user, slot):
    client.force_login(user)
    response = client.get(audit_url(slot))
    assert response.status_code == 200
    return response.content.decode()


def test_auditor_sees_every_record_with_its_evidence(client, auditor, world):
    html = _page(client, auditor, world["slot"])

    # Method, server and device time in the session's zone with the offset, the gap, IP.
    assert "Tablette du formateur" in html
    assert "Feuille papier saisie" in html
    assert "04/10/2021 09:10:00 (UTC+03:00)" in html
    assert "04/10/2021 09:06:50 (UTC+03:00)" in html
    assert "écart −3 min 10 s" in html
    assert "192.0.2.7" in html
    assert "Mozilla/5.0 (tablette de test)" in html
    # The drawn signatures (participant's and trainer's) as inline SVG.
    assert html.count('<svg class="signature-preview') == 2
    assert "Signature de SAINDOU Amina" in html
    assert "Contresignée par Théo Formateur le 04/10/2021 12:30:00 (UTC+03:00)." in html
    # Status, minutes missed, and what counts.
    assert "Retard : arrivée 09:40, 40 min manquées" in html
    assert "Retard : arrivée 09:30, 30 min manquées" in html
    assert "Aucun émargement" not in html  # the absent row was written at the close
    assert "signés : 2 sur 3 inscrit·es ; minutes comptées pour le financeur : 350" in html


def test_auditor_sees_the_seal_in_full_and_that_it_verifies(client, auditor, world):
    html = _page(client, auditor, world["slot"])

    seal = world["seal"]
    assert seal.digest in html
    assert "aucune (premier scellement de la session)" in html
    assert "Scellement vérifié" in html
    assert "Scellement non vérifié" not in html
    assert "04/10/2021 12:35:00 (UTC+03:00)" in html  # sealed at


def test_auditor_sees_rectifications_with_author_and_reason(client, auditor, world):
    html = _page(client, auditor, world["slot"])

    assert REASON in html
    assert "Claire Coordo" in html
    rectification = re.search(r"<tr>\s*<th scope=\"row\">SAINDOU Amina</th>(.*?)</tr>", html, re.S)
    cells = re.findall(r"<td>(.*?)</td>", rectification.group(1), re.S)
    assert cells[:2] == ["Présent·e", "Retard : arrivée 09:40, 40 min manquées"]
    assert world["signed"].rectifications.get().digest in html


def test_a_row_edited_behind_the_apps_back_fails_verification(client, auditor, world):
    Attendance.objects.filter(pk=world["people"][1].attendances.get().pk).update(
        minutes_attended=210
    )

    html = _page(client, auditor, world["slot"])

    assert "Scellement non vérifié" in html
    assert "Scellement vérifié<" not in html
    assert "MOREL Julien" in html and "a été modifié hors de l&#x27;application" in html


def test_a_vanished_seal_is_reported(client, auditor, world):
    Seal.objects.filter(pk=world["seal"].pk).delete()

    html = _page(client, auditor, world["slot"])

    assert "Non scellée" in html
    assert "son scellement a disparu" in html
    assert "Scellement vérifié" not in html


def test_auditor_of_another_funder_gets_404(client, world):
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(other)

    assert client.get(audit_url(world["slot"])).status_code == 404


def test_coordinator_may_open_it_referent_and_trainer_may_not(client, coordinator, trainer, world):
    assert "Scellement vérifié" in _page(client, coordinator, world["slot"])
    referent = UserFactory(
        role=User.Role.STRUCTURE_REFERENT,
        structure=world["people"][0].participant.structure,
    )
    for user in (referent, trainer):
        client.force_login(user)
        assert client.get(audit_url(world["slot"])).status_code == 403


def test_page_is_read_only(client, auditor, world):
    client.force_login(auditor)

    assert client.post(audit_url(world["slot"]), {"action": "rectify"}).status_code == 405


def test_auditor_downloads_the_paper_scan(client, auditor, world):
    html = _page(client, auditor, world["slot"])
    scan_url = reverse("sessions:slot_paper_scan", args=[world["slot"].pk, world["scan"].pk])
    assert scan_url in html
    assert "feuille-matin.pdf" in html and world["scan"].sha256 in html

    response = client.get(scan_url + "?telecharger=1")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SCAN_BYTES
    assert "attachment" in response["Content-Disposition"]


def test_auditor_of_another_funder_cannot_download_the_scan(client, world):
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(other)
    scan_url = reverse("sessions:slot_paper_scan", args=[world["slot"].pk, world["scan"].pk])

    assert client.get(scan_url).status_code == 404


def test_page_shows_no_email_or_phone(client, auditor, world):
    html = _page(client, auditor, world["slot"])

    for enrolment in world["people"]:
        assert enrolment.participant.email not in html
    # The number in any of its written forms (a bare « 639 » can occur by chance in a
    # token or a digest on the page).
    for form in ("+262 639 00 00 00", "+262639000000", "0639 00 00 00", "0639000000"):
        assert form not in html
    assert "mailto:" not in html and "tel:" not in html


def test_session_page_links_each_half_day_to_its_control_page(client, auditor, world):
    session_url = reverse("sessions:session_detail", args=[world["session"].pk])
    client.force_login(auditor)
    assert audit_url(world["slot"]) in client.get(session_url).content.decode()

    referent = UserFactory(
        role=User.Role.STRUCTURE_REFERENT, structure=world["people"][0].participant.structure
    )
    client.force_login(referent)
    assert audit_url(world["slot"]) not in client.get(session_url).content.decode()


def test_unsealed_half_day_says_so(client, auditor, world):
    slot = SlotFactory(session=world["session"], day=dt.date(2021, 10, 5))

    html = _page(client, auditor, slot)

    assert "Non scellée" in html
    assert "Non contresignée" in html
    assert html.count("Aucun émargement") == 3
    assert "Scellement vérifié" not in html


def test_selector_figures(world):
    audit = slot_audit_records(slot=world["slot"])

    assert audit.verified
    assert [row.counted_minutes for row in audit.rows] == [0, 180, 170]  # Ali, Morel, Saindou
    assert [len(row.rectifications) for row in audit.rows] == [0, 0, 1]
    assert audit.other_problems == 0


def test_page_query_count_does_not_grow_with_people(client, auditor, world):
    client.force_login(auditor)
    slot = world["slot"]
    with CaptureQueriesContext(connection) as small:
        assert client.get(audit_url(slot)).status_code == 200
    for i in range(15):
        enrolment = EnrolmentFactory(session=world["session"])
        Attendance.objects.create(
            enrolment=enrolment,
            slot=slot,
            status=Attendance.Status.PRESENT,
            method=Attendance.Method.QR_CODE,
            signature=signature(),
            signed_at=during(slot),
            ip_address=f"192.0.2.{i + 10}",
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(audit_url(slot))

    assert response.status_code == 200
    assert len(large) == len(small)


def test_signatures_from_one_phone_for_two_people_are_pointed_out(client, auditor, world):
    session = world["session"]
    session.allow_shared_devices = True
    session.save()
    slot = SlotFactory(session=session, day=dt.date(2021, 10, 5))
    amina, julien, _ali = world["people"]
    for enrolment, nonce in ((amina, "p-1"), (julien, "p-2")):
        attendance_sign(
            enrolment=enrolment,
            slot=slot,
            signature=signature(),
            method=Attendance.Method.QR_CODE,
            ip="192.0.2.9",
            user_agent="Mozilla/5.0 (téléphone partagé)",
            nonce=nonce,
            device_id="telephone-de-julien",
            now=during(slot),
        )

    html = _page(client, auditor, slot)

    assert "même téléphone que MOREL Julien" in html
    assert "même téléphone que SAINDOU Amina" in html
    assert "même téléphone que" not in _page(client, auditor, world["slot"])


def test_a_renamed_signer_shows_the_name_signed_under_and_still_verifies(client, auditor, world):
    amina = world["people"][0].participant
    amina.last_name = "Martin"
    amina.save()

    html = _page(client, auditor, world["slot"])

    assert "MARTIN Amina" in html
    assert "nom à la signature : SAINDOU Amina" in html
    assert "Scellement vérifié" in html
    assert "heure de Mayotte" in html
