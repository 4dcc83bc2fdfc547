import datetime as dt
import html
import json
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations.models import User
from sessions.models import Attendance, Rectification, Seal
from sessions.tokens import qr_token, remote_link_token
from sessions.views.signing.qr import SCAN_TICKET_MAX_AGE
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SIGNATURE = {
    "width": 320,
    "height": 120,
    "strokes": [
        [[20, 60, 0], [40, 40, 16], [70, 80, 32], [100, 50, 48]],
        [[120, 60, 300], [160, 62, 320]],
    ],
}
USER_AGENT = "Mozilla/5.0 (Linux; Android 14; Tablette) Chrome/126"


@pytest.fixture
def slot(trainer):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    return SlotFactory(session=session)  # 04/10/2021 09:00–12:30 Europe/Paris


@pytest.fixture
def enrolment(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Nguyễn", first_name="Thị")
    )


@pytest.fixture
def during(slot):
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=20), tick=False) as traveller:
        yield traveller


@pytest.fixture
def trainer_client(client, trainer):
    client.force_login(trainer)
    return client


def sign_data(**extra):
    data = {"signature": json.dumps(SIGNATURE), "nonce": "a1b2c3d4e5f60718", "device_time": ""}
    data.update(extra)
    return data


def page_text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --------------------------------------------------------------------------- tablet


def test_tablet_sign_creates_attendance_with_vector_ip_and_user_agent(
    trainer_client, slot, enrolment, during
):
    url = reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk])

    response = trainer_client.post(
        url,
        sign_data(device_time="2021-10-04T07:19:58.000Z"),
        HTTP_USER_AGENT=USER_AGENT,
        REMOTE_ADDR="192.0.2.44",
        follow=True,
    )

    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.method == Attendance.Method.TABLET
    assert attendance.status == Attendance.Status.PRESENT
    assert attendance.signature["strokes"][0][1] == [40, 40, 16]
    assert attendance.signature["width"] == 320
    assert attendance.ip_address == "192.0.2.44"
    assert attendance.user_agent == USER_AGENT
    assert attendance.nonce == "a1b2c3d4e5f60718"
    assert attendance.device_signed_at == dt.datetime(2021, 10, 4, 7, 19, 58, tzinfo=dt.UTC)
    assert response.redirect_chain[-1][0] == reverse("sessions:slot_tablet", args=[slot.pk])
    assert "Merci NGUYỄN Thị, votre signature est enregistrée." in messages_of(response)
    assert "Signé à 09:20" in page_text(response)


def test_tablet_sign_double_post_same_nonce_creates_one_row(
    trainer_client, slot, enrolment, during
):
    url = reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk])

    first = trainer_client.post(url, sign_data())
    second = trainer_client.post(url, sign_data())

    assert first.status_code == second.status_code == 302
    assert Attendance.objects.filter(enrolment=enrolment, slot=slot).count() == 1


def test_tablet_sign_second_signature_other_nonce_refused_with_message(
    trainer_client, slot, enrolment, during
):
    url = reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk])
    trainer_client.post(url, sign_data(nonce="nonce-first-0001"))

    response = trainer_client.post(url, sign_data(nonce="nonce-other-0002"), follow=True)

    assert response.status_code == 200
    assert any("déjà enregistré" in m for m in messages_of(response))
    assert Attendance.objects.filter(enrolment=enrolment, slot=slot).count() == 1


def test_tablet_sign_empty_signature_shows_form_error(trainer_client, slot, enrolment, during):
    url = reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk])
    empty = json.dumps({"width": 320, "height": 120, "strokes": []})

    response = trainer_client.post(url, sign_data(signature=empty))

    assert response.status_code == 400
    assert "Signature invalide" in page_text(response)
    assert not Attendance.objects.exists()


def test_tablet_page_lists_signed_with_text(trainer_client, slot, enrolment, during):
    other = EnrolmentFactory(session=slot.session)
    trainer_client.post(
        reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]), sign_data()
    )

    response = trainer_client.get(reverse("sessions:slot_tablet", args=[slot.pk]))

    text = page_text(response)
    assert "Signé à 09:20" in text
    assert reverse("sessions:slot_tablet_sign", args=[slot.pk, other.pk]) in text
    assert reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]) not in text


def test_trainer_of_another_session_gets_404(client, slot, enrolment, during):
    stranger = UserFactory(role=User.Role.TRAINER)
    TrainingSessionFactory().trainers.add(stranger)
    client.force_login(stranger)

    for name, args in [
        ("slot_detail", [slot.pk]),
        ("slot_tablet", [slot.pk]),
        ("slot_tablet_sign", [slot.pk, enrolment.pk]),
        ("slot_qr", [slot.pk]),
        ("slot_qr_image", [slot.pk]),
        ("slot_remote_links", [slot.pk]),
    ]:
        assert client.get(reverse(f"sessions:{name}", args=args)).status_code == 404, name
    assert (
        client.post(
            reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]), sign_data()
        ).status_code
        == 404
    )
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("name", ["slot_detail", "slot_tablet", "slot_qr", "slot_remote_links"])
def test_trainer_pages_redirect_anonymous_to_login(client, slot, name):
    url = reverse(f"sessions:{name}", args=[slot.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


# --------------------------------------------------------------------------- QR code


def test_qr_page_shows_rotating_image_and_url(trainer_client, slot, during):
    response = trainer_client.get(reverse("sessions:slot_qr", args=[slot.pk]))

    text = page_text(response)
    expected = "http://testserver" + reverse(
        "sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)]
    )
    assert expected in text
    assert f'data-rotation-seconds="{settings.SUIVI_QR_ROTATION_SECONDS}"' in text
    assert "no-store" in response["Cache-Control"]


def test_qr_image_is_svg_with_current_url(trainer_client, slot, during):
    response = trainer_client.get(reverse("sessions:slot_qr_image", args=[slot.pk]))

    assert response["Content-Type"].startswith("image/svg+xml")
    assert response.content.startswith(b"<svg")
    assert response["X-Qr-Url"].endswith(
        reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])
    )
    assert 1 <= int(response["X-Qr-Seconds-Left"]) <= settings.SUIVI_QR_ROTATION_SECONDS
    assert "no-store" in response["Cache-Control"]


def test_qr_expired_token_refused_with_message(client, slot, enrolment, during):
    old = qr_token(
        slot=slot,
        at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2 * settings.SUIVI_QR_ROTATION_SECONDS),
    )

    response = client.get(reverse("sessions:sign_qr", args=[slot.pk, old]))

    assert response.status_code == 410
    assert "Ce QR code a expiré" in page_text(response)
    assert "NGUYỄN" not in page_text(response)


def test_qr_forged_token_refused(client, slot, enrolment, during):
    genuine = qr_token(slot=slot)
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")

    for token in (forged, "n-importe-quoi"):
        response = client.get(reverse("sessions:sign_qr", args=[slot.pk, token]))
        assert response.status_code == 403
        assert "Ce QR code n'est pas valide" in page_text(response)


def test_qr_token_of_other_slot_refused(client, slot, during):
    other = SlotFactory(session=slot.session, day=dt.date(2021, 10, 5))

    response = client.get(reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=other)]))

    assert response.status_code == 403
    assert "autre demi-journée" in page_text(response)


def test_qr_flow_creates_qr_code_attendance(client, slot, enrolment, during):
    url = reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])
    page = client.get(url)
    assert page.status_code == 200
    assert "NGUYỄN Thị" in page_text(page)
    assert enrolment.participant.email not in page_text(page)
    ticket = page.context["form"]["ticket"].value()

    # Drawing takes a while: the QR token itself has rotated twice, the scan ticket holds.
    during.shift(dt.timedelta(seconds=3 * settings.SUIVI_QR_ROTATION_SECONDS))
    response = client.post(
        url,
        sign_data(enrolment=enrolment.pk, ticket=ticket),
        HTTP_USER_AGENT=USER_AGENT,
        REMOTE_ADDR="198.51.100.9",
    )

    assert response.status_code == 200
    assert "Émargement enregistré" in page_text(response)
    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.method == Attendance.Method.QR_CODE
    assert attendance.ip_address == "198.51.100.9"
    assert attendance.signature["strokes"]


def test_qr_post_after_scan_ticket_expired_refused(client, slot, enrolment, during):
    url = reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])
    ticket = client.get(url).context["form"]["ticket"].value()

    during.shift(dt.timedelta(seconds=SCAN_TICKET_MAX_AGE + 5))
    response = client.post(url, sign_data(enrolment=enrolment.pk, ticket=ticket))

    assert response.status_code == 410
    assert "scannez à nouveau le QR code" in page_text(response)
    assert not Attendance.objects.exists()


def test_qr_post_with_forged_ticket_refused(client, slot, enrolment, during):
    url = reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])

    response = client.post(url, sign_data(enrolment=enrolment.pk, ticket=f"{slot.pk}:x:y"))

    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_qr_enrolment_of_other_session_refused(client, slot, enrolment, during):
    url = reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])
    ticket = client.get(url).context["form"]["ticket"].value()
    outsider = EnrolmentFactory()

    response = client.post(url, sign_data(enrolment=outsider.pk, ticket=ticket))

    assert response.status_code == 400
    assert "ne figure pas parmi les inscrit·es" in page_text(response)
    assert not Attendance.objects.exists()


# --------------------------------------------------------------------------- remote links


def test_remote_link_outside_window_refused(client, slot, enrolment):
    url = reverse("sessions:sign_remote", args=[remote_link_token(enrolment=enrolment, slot=slot)])

    with time_machine.travel(slot.ends_at + dt.timedelta(hours=2), tick=False):
        get = client.get(url)
        post = client.post(url, sign_data())

    assert get.status_code == post.status_code == 403
    assert "est clos" in page_text(get)
    assert not Attendance.objects.exists()


def test_remote_link_works_during_slot(client, slot, enrolment, during):
    url = reverse("sessions:sign_remote", args=[remote_link_token(enrolment=enrolment, slot=slot)])

    page = client.get(url)
    response = client.post(url, sign_data(), HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR="203.0.113.5")

    assert page.status_code == 200
    assert "NGUYỄN Thị" in page_text(page)
    assert response.status_code == 200
    assert "Émargement enregistré" in page_text(response)
    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.method == Attendance.Method.REMOTE_LINK
    assert attendance.ip_address == "203.0.113.5"


def test_remote_link_second_use_refused_already_signed(client, slot, enrolment, during):
    url = reverse("sessions:sign_remote", args=[remote_link_token(enrolment=enrolment, slot=slot)])
    client.post(url, sign_data(nonce="premier-essai-01"))

    again_get = client.get(url)
    again_post = client.post(url, sign_data(nonce="second-essai-002"))

    assert again_get.status_code == again_post.status_code == 409
    assert "déjà enregistré" in page_text(again_get)
    assert "déjà enregistré" in page_text(again_post)
    assert Attendance.objects.filter(enrolment=enrolment).count() == 1


@pytest.mark.parametrize(
    "posted",
    [
        "[" * 100_000,
        '{"width": 320, "height": 120, "strokes": [[[10, 10, 0], [1%s, 40, 5]]]}' % ("0" * 400),
    ],
)
def test_remote_link_malformed_signature_asked_again_not_server_error(
    client, slot, enrolment, during, posted
):
    url = reverse("sessions:sign_remote", args=[remote_link_token(enrolment=enrolment, slot=slot)])

    response = client.post(url, sign_data(signature=posted))

    assert response.status_code == 400
    assert "signature" in response.context["form"].errors
    assert not Attendance.objects.exists()


def test_remote_link_forged_refused(client, slot, enrolment, during):
    token = remote_link_token(enrolment=enrolment, slot=slot)

    response = client.get(reverse("sessions:sign_remote", args=[token[:-3] + "xyz"]))

    assert response.status_code == 403
    assert "Ce lien d'émargement n'est pas valide" in page_text(response)


def test_remote_links_page_lists_links_and_emails_them(
    trainer_client, slot, enrolment, during, committed
):
    no_mail = EnrolmentFactory(session=slot.session, participant=ParticipantFactory(email=""))
    page = trainer_client.get(reverse("sessions:slot_remote_links", args=[slot.pk]))
    link = "http://testserver" + reverse(
        "sessions:sign_remote", args=[remote_link_token(enrolment=enrolment, slot=slot)]
    )
    assert link in page_text(page)

    response = committed(
        trainer_client.post, reverse("sessions:slot_remote_links", args=[slot.pk]), follow=True
    )

    assert "1 lien personnel en file d'envoi par e-mail." in messages_of(response)
    # The page follows the sending job (the trainer started it).
    job = response.context["job"]
    progress = trainer_client.get(reverse("formations:job_progress", args=[job.pk])).json()
    assert (progress["total"], progress["done"], progress["finished"]) == (1, 1, True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [enrolment.participant.email]
    assert link in message.body
    assert "Émargement à distance" in message.subject
    assert "09:00" in message.body
    assert any(no_mail.participant.full_name in m for m in messages_of(response))


# --------------------------------------------------------------------------- trainer's page


def test_slot_detail_lists_statuses(trainer_client, slot, enrolment, during):
    EnrolmentFactory(session=slot.session, participant=ParticipantFactory(last_name="Martin"))
    trainer_client.post(
        reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]), sign_data()
    )

    response = trainer_client.get(reverse("sessions:slot_detail", args=[slot.pk]))

    text = page_text(response)
    assert response.status_code == 200
    assert "À signer" in text
    assert "Tablette du formateur" in text
    assert "signé : 1 / 2" in text


def test_coordinator_sees_slot_detail(coordinator_client, slot, during):
    assert (
        coordinator_client.get(reverse("sessions:slot_detail", args=[slot.pk])).status_code == 200
    )


def test_mark_late_with_minutes_missed(trainer_client, slot, enrolment, during):
    prefix = f"mark-{enrolment.pk}"

    response = trainer_client.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {
            "action": "mark",
            "enrolment": enrolment.pk,
            f"{prefix}-status": "late",
            f"{prefix}-minutes_missed": "15",
        },
        follow=True,
    )

    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.status == Attendance.Status.LATE
    assert attendance.minutes_attended == 195
    assert attendance.arrived_at == slot.starts_at + dt.timedelta(minutes=15)
    assert attendance.method == Attendance.Method.TRAINER
    assert "NGUYỄN Thị : Retard : arrivée 09:15, 15 min manquées — enregistré." in messages_of(
        response
    )


def test_mark_late_without_minutes_shows_error(trainer_client, slot, enrolment, during):
    prefix = f"mark-{enrolment.pk}"

    response = trainer_client.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {
            "action": "mark",
            "enrolment": enrolment.pk,
            f"{prefix}-status": "left_early",
            f"{prefix}-departure": "",
        },
    )

    assert response.status_code == 400
    assert "Indiquez l'heure de départ (ou les minutes manquées)" in page_text(response)
    assert not Attendance.objects.exists()


def test_mark_absent_after_signature_refused_with_message(trainer_client, slot, enrolment, during):
    trainer_client.post(
        reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]), sign_data()
    )
    prefix = f"mark-{enrolment.pk}"

    response = trainer_client.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {"action": "mark", "enrolment": enrolment.pk, f"{prefix}-status": "absent"},
    )

    assert response.status_code == 400
    assert "ne peut pas être notée absente" in page_text(response)
    assert Attendance.objects.get(enrolment=enrolment).status == Attendance.Status.PRESENT


def countersign(client, slot):
    return client.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {
            "action": "countersign",
            "contresignature-signature": json.dumps(SIGNATURE),
            "contresignature-nonce": "",
            "contresignature-device_time": "",
        },
    )


def close(client, slot, confirm=True):
    data = {"action": "close"}
    if confirm:
        data["cloture-confirm"] = "on"
    return client.post(reverse("sessions:slot_detail", args=[slot.pk]), data, follow=True)


def test_close_requires_confirmation_and_countersignature(trainer_client, slot, enrolment, during):
    not_confirmed = close(trainer_client, slot, confirm=False)
    assert "Cochez la case de confirmation" in page_text(not_confirmed)
    not_countersigned = close(trainer_client, slot)
    assert "doit être contre-signée" in page_text(not_countersigned)
    assert not Seal.objects.exists()

    during.move_to(slot.ends_at)
    assert countersign(trainer_client, slot).status_code == 302
    response = close(trainer_client, slot)

    seal = Seal.objects.get(slot=slot)
    assert any(seal.digest in m for m in messages_of(response))
    assert seal.digest in page_text(response)
    absent = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert absent.status == Attendance.Status.ABSENT


def test_coordinator_cannot_countersign_in_trainers_place(coordinator_client, slot, during):
    response = countersign(coordinator_client, slot)

    slot.refresh_from_db()
    assert response.status_code == 400
    assert "Seul·e un·e formateur·rice de cette session peut contresigner." in page_text(response)
    assert not slot.is_countersigned


def test_rectification_after_seal_shows_in_list(trainer_client, trainer, slot, enrolment, during):
    during.move_to(slot.ends_at)
    countersign(trainer_client, slot)
    close(trainer_client, slot)
    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    prefix = f"rectify-{attendance.pk}"
    url = reverse("sessions:slot_detail", args=[slot.pk])

    missing_reason = trainer_client.post(
        url,
        {
            "action": "rectify",
            "attendance": attendance.pk,
            f"{prefix}-status": "absent_excused",
            f"{prefix}-reason": "  ",
        },
    )
    assert missing_reason.status_code == 400
    assert "Le motif est obligatoire" in page_text(missing_reason)

    response = trainer_client.post(
        url,
        {
            "action": "rectify",
            "attendance": attendance.pk,
            f"{prefix}-status": "absent_excused",
            f"{prefix}-reason": "Arrêt maladie transmis le lendemain",
        },
        follow=True,
    )

    rectification = Rectification.objects.get(attendance=attendance)
    assert rectification.author == trainer
    assert rectification.old_values["status"] == "absent"
    assert rectification.new_values["status"] == "absent_excused"
    text = page_text(response)
    assert "Arrêt maladie transmis le lendemain" in text
    assert "Absent·e → Absent·e excusé·e" in text
    assert "Rectification enregistrée pour NGUYỄN Thị : Absent·e excusé·e." in messages_of(response)


def test_mark_after_seal_refused(trainer_client, slot, enrolment, during):
    during.move_to(slot.ends_at)
    countersign(trainer_client, slot)
    close(trainer_client, slot)
    prefix = f"mark-{enrolment.pk}"

    response = trainer_client.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {"action": "mark", "enrolment": enrolment.pk, f"{prefix}-status": "present"},
    )

    assert response.status_code == 400
    assert "scellée" in page_text(response)
    assert Attendance.objects.get(enrolment=enrolment).status == Attendance.Status.ABSENT


def test_sealed_slot_refuses_qr_and_tablet(client, trainer_client, slot, enrolment, during):
    during.move_to(slot.ends_at)
    countersign(trainer_client, slot)
    close(trainer_client, slot)

    qr = client.get(reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)]))
    image = trainer_client.get(reverse("sessions:slot_qr_image", args=[slot.pk]))
    # Last: the tablet pages lock the browser session on tablet mode.
    tablet = trainer_client.get(
        reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]), follow=True
    )

    assert qr.status_code == 410
    assert "close et scellée" in page_text(qr)
    assert any("scellée" in m for m in messages_of(tablet))
    assert image.status_code == 410


@pytest.mark.parametrize("name", ["slot_detail", "slot_tablet", "slot_remote_links"])
def test_trainer_pages_query_count_does_not_grow_with_rows(trainer_client, slot, during, name):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert (
                trainer_client.get(reverse(f"sessions:{name}", args=[slot.pk])).status_code == 200
            )
        return len(queries)

    def add_rows(count):
        for _ in range(count):
            enrolment = EnrolmentFactory(session=slot.session)
            trainer_client.post(
                reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]),
                sign_data(nonce=f"nonce-{enrolment.pk:012d}"),
            )
            EnrolmentFactory(session=slot.session)

    add_rows(1)
    count_queries()  # the first visit of tablet mode writes its lock once
    few = count_queries()
    add_rows(5)
    many = count_queries()

    assert Attendance.objects.count() == 6
    assert many == few


def test_a_forged_qr_address_says_nothing_of_the_half_day(client, slot):
    response = client.get(reverse("sessions:sign_qr", args=[slot.pk, "pas-un-jeton"]))

    text = page_text(response)
    assert response.status_code == 403
    assert "QR code non valide" in text
    assert slot.session.code not in text
    assert slot.session.formation.title not in text


def test_an_arrival_time_with_present_is_refused_not_dropped(
    trainer_client, slot, enrolment, during
):
    prefix = f"mark-{enrolment.pk}"

    response = trainer_client.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {
            "action": "mark",
            "enrolment": enrolment.pk,
            f"{prefix}-status": "present",
            f"{prefix}-arrival": "09:10",
        },
    )

    assert response.status_code == 400
    assert "ne se note qu'avec « Retard »" in page_text(response)
    assert not Attendance.objects.exists()


def test_behind_a_proxy_a_signature_keeps_the_client_s_address(
    trainer_client, slot, enrolment, during, settings
):
    settings.SUIVI_TRUSTED_PROXY_COUNT = 1
    url = reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk])

    trainer_client.post(
        url,
        sign_data(device_time="2021-10-04T07:19:58.000Z"),
        HTTP_USER_AGENT=USER_AGENT,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 192.0.2.44",
    )

    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.ip_address == "192.0.2.44"
