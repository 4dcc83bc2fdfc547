import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import Attendance
from sessions.tokens import qr_token
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def slot(trainer):
    """A half-day under way in real time: the live server runs in this process, in a
    thread, with the real clock."""
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    now = timezone.now().replace(second=0, microsecond=0)
    return SlotFactory(
        session=session,
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(hours=3),
    )


@pytest.fixture
def enrolment(slot):
    return EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Nguyễn", first_name="Thị")
    )


def draw_signature(page, canvas):
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + box["height"] * 0.6)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(x + 30 + step * 14, y + box["height"] * (0.6 - 0.25 * ((step % 4) / 3)))
    page.mouse.up()
    # A second stroke, and a dot.
    page.mouse.move(x + 60, y + 30)
    page.mouse.down()
    page.mouse.move(x + 120, y + 34, steps=5)
    page.mouse.up()
    page.mouse.click(x + 200, y + 20)


def test_tablet_signature_drawn_with_mouse_is_stored(
    page, live_server, login_as, trainer, slot, enrolment, csp_violations
):
    other = EnrolmentFactory(session=slot.session)
    login_as(trainer)

    page.goto(live_server.url + reverse("sessions:slot_tablet", args=[slot.pk]))
    page.get_by_role("link", name=re.compile("NGUYỄN Thị")).click()
    page.wait_for_url(re.compile(rf"/tablette/{enrolment.pk}/$"))
    canvas = page.locator("canvas.signature-canvas")
    assert canvas.get_attribute("aria-label").startswith("Zone de signature de NGUYỄN Thị")

    # An empty pad is refused in the page itself, with a message read out to screen readers.
    page.get_by_role("button", name="Valider ma signature").click()
    assert "Le cadre est vide" in page.locator("[data-pad-error]").inner_text()
    assert not Attendance.objects.exists()

    draw_signature(page, canvas)
    page.get_by_role("button", name="Valider ma signature").click()
    page.wait_for_url(re.compile(rf"/demi-journees/{slot.pk}/tablette/$"))

    assert "Merci NGUYỄN Thị, votre signature est enregistrée." in page.content()
    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.method == Attendance.Method.TABLET
    strokes = attendance.signature["strokes"]
    assert len(strokes) == 3
    assert len(strokes[0]) >= 10
    assert all(len(point) == 3 for stroke in strokes for point in stroke)
    assert strokes[2][0][:2] == strokes[2][1][:2]  # the dot: two identical points
    assert attendance.signature["width"] > 100 and attendance.signature["height"] > 100
    assert len(attendance.nonce) == 32
    assert attendance.device_signed_at is not None
    assert "Chrome" in attendance.user_agent
    # Signed names are marked with text and no longer a link; the others still are.
    done = page.locator(".tablet-name.done")
    assert "Signé à" in done.inner_text()
    assert (
        page.get_by_role("link", name=re.compile(re.escape(other.participant.full_name))).count()
        == 1
    )
    assert csp_violations == []


def test_expired_qr_code_is_refused_in_browser(page, live_server, slot, enrolment, csp_violations):
    rotation = 60
    old = qr_token(slot=slot, at=timezone.now() - dt.timedelta(seconds=2 * rotation + 1))

    response = page.goto(live_server.url + reverse("sessions:sign_qr", args=[slot.pk, old]))

    assert response.status == 410
    assert page.get_by_role("heading", name="QR code expiré").is_visible()
    assert "Ce QR code a expiré" in page.get_by_role("alert").inner_text()
    assert page.locator("canvas").count() == 0
    assert not Attendance.objects.exists()
    assert csp_violations == []


def test_qr_code_signature_on_phone(browser, live_server, slot, enrolment):
    phone = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = phone.new_page()
    try:
        page.goto(
            live_server.url + reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])
        )
        options = page.locator("select option").all_inner_texts()
        assert "NGUYỄN Thị" in options
        assert all("@" not in option for option in options)
        page.get_by_label("Votre nom").select_option(label="NGUYỄN Thị")
        draw_signature(page, page.locator("canvas.signature-canvas"))
        page.get_by_role("button", name="Valider ma signature").click()
        page.get_by_role("heading", name="Émargement enregistré").wait_for()
    finally:
        phone.close()

    attendance = Attendance.objects.get(enrolment=enrolment, slot=slot)
    assert attendance.method == Attendance.Method.QR_CODE
    assert attendance.signature["width"] <= 390


def test_qr_display_rotates(page, live_server, login_as, trainer, slot, settings):
    settings.SUIVI_QR_ROTATION_SECONDS = 2
    login_as(trainer)

    page.goto(live_server.url + reverse("sessions:slot_qr", args=[slot.pk]))
    link = page.locator("[data-qr-url]")
    first = link.inner_text()
    assert f"/emargement/qr/{slot.pk}/" in first

    page.wait_for_function(
        "first => document.querySelector('[data-qr-url]').textContent !== first",
        arg=first,
        timeout=8_000,
    )
    assert page.locator("[data-qr-image]").get_attribute("src").startswith("data:image/svg+xml")
    assert link.get_attribute("href") == link.inner_text()


def test_tablet_mode_is_locked_at_portrait_tablet_width(
    page, live_server, login_as, trainer, slot, enrolment, csp_violations
):
    trainer.set_password("Tablette-2021!")
    trainer.save()
    page.set_viewport_size({"width": 820, "height": 1180})
    login_as(trainer)
    tablet_url = live_server.url + reverse("sessions:slot_tablet", args=[slot.pk])
    unlock = re.compile(re.escape(live_server.url + reverse("sessions:tablet_unlock")) + r"\?next=")

    page.goto(tablet_url)
    assert page.get_by_role("navigation", name="Navigation principale").count() == 0
    assert page.get_by_role("link", name="Suivi Formations").count() == 0
    page.get_by_role("link", name="Quitter le mode tablette").click()
    page.wait_for_url(unlock)
    assert page.get_by_role("heading", name="Quitter le mode tablette").is_visible()

    # A participant typing another address gets the same page, not the list of people.
    page.goto(live_server.url + reverse("formations:participant_list"))
    page.wait_for_url(unlock)
    assert enrolment.participant.email not in page.content()

    page.get_by_label("Votre mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Déverrouiller").click()
    assert "Mot de passe incorrect." in page.get_by_role("alert").first.inner_text()

    page.get_by_label("Votre mot de passe").fill("Tablette-2021!")
    page.get_by_role("button", name="Déverrouiller").click()
    page.wait_for_url(live_server.url + reverse("formations:participant_list"))
    assert page.get_by_role("navigation", name="Navigation principale").is_visible()
    assert "Mode tablette quitté." in page.get_by_role("status").inner_text()
    assert csp_violations == []


def test_second_person_on_same_phone_refused_in_browser(browser, live_server, slot, enrolment):
    other = EnrolmentFactory(
        session=slot.session, participant=ParticipantFactory(last_name="Petit", first_name="Bruno")
    )
    phone = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = phone.new_page()
    url = live_server.url + reverse("sessions:sign_qr", args=[slot.pk, qr_token(slot=slot)])
    try:
        page.goto(url)
        page.get_by_label("Votre nom").select_option(label="NGUYỄN Thị")
        draw_signature(page, page.locator("canvas.signature-canvas"))
        page.get_by_role("button", name="Valider ma signature").click()
        page.get_by_role("heading", name="Émargement enregistré").wait_for()
        cookies = {c["name"]: c for c in phone.cookies()}

        response = page.goto(url)

        assert response.status == 409
        assert page.get_by_role("heading", name="Téléphone déjà utilisé").is_visible()
        assert page.locator("canvas").count() == 0
    finally:
        phone.close()

    assert cookies["suivi_telephone"]["httpOnly"] is True
    assert cookies["suivi_telephone"]["sameSite"] == "Lax"
    assert not Attendance.objects.filter(enrolment=other).exists()
