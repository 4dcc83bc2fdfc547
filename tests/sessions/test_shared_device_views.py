"""The QR code pages under the rule « one phone, one person per half-day »: the phone's
cookie, the scan ticket, the refusal page, the setting on the QR page and the flag on
the trainer's half-day page."""

import datetime as dt
import html
import json
import re

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from formations.models import AuditEntry
from sessions.devices import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, DEVICE_COOKIE_SALT
from sessions.models import Attendance
from sessions.tokens import qr_token
from sessions.views.signing.qr import check_scan_ticket, scan_ticket
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)
from tests.factories.sessions import SIGNATURE

pytestmark = pytest.mark.django_db

REFUSAL = (
    "Ce téléphone a déjà servi à émarger pour une autre personne pendant cette demi-journée. "
    "Chaque personne signe sur son propre téléphone, ou sur la tablette du formateur."
)


@pytest.fixture
def slot(trainer):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    return SlotFactory(session=session)  # 04/10/2021 09:00–12:30 Europe/Paris


@pytest.fixture
def alice(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Martin", first_name="Alice")
    )


@pytest.fixture
def bruno(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Petit", first_name="Bruno")
    )


@pytest.fixture
def during(slot):
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=20), tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone():
    return Client()


def page_text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def qr_url(slot) -> str:
    return reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])


def scan(client, slot):
    """Opens the QR page like a phone after scanning; returns (response, ticket)."""
    response = client.get(qr_url(slot))
    form = response.context["form"] if response.context and "form" in response.context else None
    return response, form["ticket"].value() if form else None


def post_signature(client, slot, enrolment, ticket, nonce):
    return client.post(
        qr_url(slot),
        {
            "enrolment": enrolment.pk,
            "ticket": ticket,
            "signature": json.dumps(SIGNATURE),
            "nonce": nonce,
            "device_time": "",
        },
    )


def test_scan_sets_signed_phone_cookie_httponly_lax_for_a_year(phone, slot, during):
    response, _ = scan(phone, slot)

    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == DEVICE_COOKIE_MAX_AGE
    assert not cookie["secure"]  # plain HTTP in tests; see the next test
    # A second visit keeps the same phone id: no new cookie.
    again, _ = scan(phone, slot)
    assert DEVICE_COOKIE not in again.cookies


def test_phone_cookie_secure_where_session_cookie_is(phone, slot, during, settings):
    settings.SESSION_COOKIE_SECURE = True

    response, _ = scan(phone, slot)

    assert response.cookies[DEVICE_COOKIE]["secure"] is True


def test_each_scan_gets_its_own_ticket_id(phone, slot, during):
    _, first = scan(phone, slot)
    _, second = scan(phone, slot)
    token = qr_token(slot=slot)

    assert check_scan_ticket(first, slot, token) != check_scan_ticket(second, slot, token)


def test_second_person_with_same_ticket_refused_nothing_written(phone, slot, alice, bruno, during):
    _, ticket = scan(phone, slot)
    assert post_signature(phone, slot, alice, ticket, "nonce-alice-0001").status_code == 200

    # The same page, another name picked: the scan ticket is still within its 5 minutes.
    response = post_signature(Client(), slot, bruno, ticket, "nonce-bruno-0001")

    assert response.status_code == 409
    assert "Téléphone déjà utilisé" in page_text(response)
    assert REFUSAL in page_text(response)
    assert "tablette" in page_text(response)
    assert not Attendance.objects.filter(enrolment=bruno).exists()


def test_same_phone_new_ticket_refused(phone, slot, alice, bruno, during):
    _, ticket = scan(phone, slot)
    post_signature(phone, slot, alice, ticket, "nonce-alice-0001")
    # A fresh ticket, as if the QR code were scanned again from another browser.
    _, new_ticket = scan(Client(), slot)

    response = post_signature(phone, slot, bruno, new_ticket, "nonce-bruno-0001")

    assert response.status_code == 409
    assert REFUSAL in page_text(response)
    assert not Attendance.objects.filter(enrolment=bruno).exists()


def test_phone_that_signed_is_told_before_drawing(phone, slot, alice, during):
    _, ticket = scan(phone, slot)
    post_signature(phone, slot, alice, ticket, "nonce-alice-0001")

    response, form_ticket = scan(phone, slot)

    assert response.status_code == 409
    assert form_ticket is None
    assert "Ce téléphone a déjà servi à émarger pendant cette demi-journée" in page_text(response)
    assert "Martin" not in page_text(response) and "MARTIN" not in page_text(response)


def test_first_person_retry_same_nonce_still_succeeds(phone, slot, alice, during):
    _, ticket = scan(phone, slot)

    first = post_signature(phone, slot, alice, ticket, "nonce-alice-0001")
    retry = post_signature(phone, slot, alice, ticket, "nonce-alice-0001")

    assert first.status_code == retry.status_code == 200
    assert "Émargement enregistré" in page_text(retry)
    assert Attendance.objects.filter(enrolment=alice).count() == 1


def test_forged_phone_cookie_ignored_and_replaced(phone, slot, alice, during):
    phone.cookies[DEVICE_COOKIE] = "f" * 32 + ":forged-signature"

    response, ticket = scan(phone, slot)

    assert response.status_code == 200
    issued = response.cookies[DEVICE_COOKIE].value
    assert issued != "f" * 32 + ":forged-signature"
    post_signature(phone, slot, alice, ticket, "nonce-alice-0001")
    attendance = Attendance.objects.get(enrolment=alice)
    assert attendance.device_id != "f" * 32
    assert re.fullmatch(r"[0-9a-f]{32}", attendance.device_id)
    assert issued.startswith(attendance.device_id + ":")
    # Signed with another key, or genuine but not a phone id: no better than forged.
    salt = DEVICE_COOKIE + DEVICE_COOKIE_SALT
    for value in (
        signing.Signer(key="une-autre-clef", salt=salt).sign("e" * 32),
        signing.get_cookie_signer(salt=salt).sign("<script>"),
    ):
        phone.cookies[DEVICE_COOKIE] = value
        assert DEVICE_COOKIE in scan(phone, slot)[0].cookies


def test_post_without_cookie_gets_one_and_is_recorded(slot, alice, during):
    _, ticket = scan(Client(), slot)
    cookieless = Client()

    response = post_signature(cookieless, slot, alice, ticket, "nonce-alice-0001")

    assert response.status_code == 200
    device_id = Attendance.objects.get(enrolment=alice).device_id
    assert response.cookies[DEVICE_COOKIE].value.startswith(device_id + ":")


def test_shared_phones_allowed_recorded_and_flagged_on_trainer_page(
    client, trainer, phone, slot, alice, bruno, during
):
    client.force_login(trainer)
    toggle = client.post(
        reverse("sessions:slot_qr", args=[slot.pk]), {"allow_shared_devices": "1"}, follow=True
    )
    assert "sont maintenant acceptées" in page_text(toggle)
    assert AuditEntry.objects.filter(action="session.shared_devices_allowed").count() == 1

    _, ticket = scan(phone, slot)
    post_signature(phone, slot, alice, ticket, "nonce-alice-0001")
    again, second_ticket = scan(phone, slot)
    assert again.status_code == 200
    response = post_signature(phone, slot, bruno, second_ticket, "nonce-bruno-0001")

    assert response.status_code == 200
    assert Attendance.objects.filter(slot=slot, signature__isnull=False).count() == 2
    page = page_text(client.get(reverse("sessions:slot_detail", args=[slot.pk])))
    assert "⚠ même téléphone que PETIT Bruno" in page
    assert "⚠ même téléphone que MARTIN Alice" in page
    assert page.count("⚠ même téléphone que") == 2


def test_trainer_page_without_sharing_shows_no_flag(client, trainer, slot, alice, bruno, during):
    for enrolment, nonce in ((alice, "nonce-alice-0001"), (bruno, "nonce-bruno-0001")):
        device = Client()
        _, ticket = scan(device, slot)
        post_signature(device, slot, enrolment, ticket, nonce)
    client.force_login(trainer)

    page = page_text(client.get(reverse("sessions:slot_detail", args=[slot.pk])))

    assert "même téléphone" not in page


def test_qr_page_shows_setting_and_switches_back(client, trainer, slot, during):
    client.force_login(trainer)
    url = reverse("sessions:slot_qr", args=[slot.pk])
    assert "Autoriser plusieurs signatures depuis un même téléphone" in page_text(client.get(url))
    client.post(url, {"allow_shared_devices": "1"})

    shown = page_text(client.get(url))
    response = client.post(url, {"allow_shared_devices": "0"}, follow=True)

    assert "Revenir à un téléphone par personne" in shown
    assert "ne signe plus que pour une personne" in page_text(response)
    slot.session.refresh_from_db()
    assert slot.session.allow_shared_devices is False
    assert [
        e.data["new"]
        for e in AuditEntry.objects.filter(action="session.shared_devices_allowed").order_by("pk")
    ] == [True, False]


def test_scan_ticket_of_old_format_refused(phone, slot, alice, during):
    token = qr_token(slot=slot)
    old = signing.TimestampSigner(salt="sessions.qr-scan-ticket").sign(f"{slot.pk}:{token}")

    response = post_signature(phone, slot, alice, old, "nonce-alice-0001")

    assert response.status_code == 403
    assert not Attendance.objects.exists()
    assert check_scan_ticket(scan_ticket(slot, token, "abc"), slot, token) == "abc"


def test_admin_cannot_change_the_setting_behind_the_log(admin_client, slot):
    url = reverse("admin:training_sessions_trainingsession_change", args=[slot.session_id])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert 'name="allow_shared_devices"' not in response.content.decode()
    assert "Autoriser plusieurs signatures depuis un même téléphone" in page_text(response)
