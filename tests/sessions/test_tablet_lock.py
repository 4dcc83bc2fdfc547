"""Tablet mode is locked: once a half-day's tablet pages are open, every other page asks
for the trainer's password (middleware, unlock page, `tablet_unlock`)."""

import datetime as dt
import html
import json
import re
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from formations.models import AuditEntry
from sessions.models import Attendance
from sessions.services.tablet import LOCK_KEY, UNLOCK_MAX_ATTEMPTS
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SlotFactory,
    TrainingSessionFactory,
)
from tests.factories.sessions import SIGNATURE

pytestmark = pytest.mark.django_db

PASSWORD = "Tablette-2021!"


@pytest.fixture
def trainer_with_password(trainer):
    trainer.set_password(PASSWORD)
    trainer.save()
    return trainer


@pytest.fixture
def slot(trainer):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    return SlotFactory(session=session)


@pytest.fixture
def enrolment(slot):
    return EnrolmentFactory(
        session=slot.session,
        participant=ParticipantFactory(
            last_name="Nguyễn", first_name="Thị", email="thi.nguyen@example.org"
        ),
    )


@pytest.fixture
def during(slot):
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=20), tick=False) as traveller:
        yield traveller


@pytest.fixture
def tablet(client, trainer_with_password, slot, enrolment, during):
    """A trainer's browser in tablet mode on `slot`."""
    client.force_login(trainer_with_password)
    assert client.get(reverse("sessions:slot_tablet", args=[slot.pk])).status_code == 200
    return client


def unlock_url(next_url: str) -> str:
    return reverse("sessions:tablet_unlock") + "?next=" + quote(next_url, safe="")


def page_text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_entering_tablet_mode_locks_and_is_logged_once(tablet, slot):
    tablet.get(reverse("sessions:slot_tablet", args=[slot.pk]))

    assert tablet.session[LOCK_KEY] == slot.pk
    entries = AuditEntry.objects.filter(action="tablet.locked")
    assert entries.count() == 1
    assert entries.get().data == {"slot": slot.pk}


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("dashboard", {}),
        ("formations:participant_list", {}),
        ("formations:participant_detail", None),
        ("sessions:session_detail", "session"),
        ("sessions:slot_detail", "slot"),
        ("sessions:slot_qr", "slot"),
        ("sessions:session_enrolments", "session"),
        ("login", {}),
        ("admin:index", {}),
    ],
)
def test_every_other_page_redirects_to_unlock(tablet, slot, enrolment, name, kwargs):
    if kwargs == "slot":
        kwargs = {"pk": slot.pk}
    elif kwargs == "session":
        kwargs = {"pk": slot.session_id}
    elif kwargs is None:
        kwargs = {"pk": enrolment.participant_id}
    url = reverse(name, kwargs=kwargs)

    response = tablet.get(url)

    assert response.status_code == 302
    assert response["Location"] == unlock_url(url)


def test_participant_list_not_reachable_only_the_password_page(tablet, enrolment):
    response = tablet.get(reverse("formations:participant_list") + "?q=Nguy%E1%BB%85n", follow=True)

    text = page_text(response)
    assert response.redirect_chain[-1][0].startswith(reverse("sessions:tablet_unlock"))
    assert "Quitter le mode tablette" in text
    assert "thi.nguyen@example.org" not in text
    assert "Participant·es" not in text  # no main navigation either
    assert 'name="password"' in text


def test_posts_elsewhere_are_not_run(tablet, slot, enrolment):
    response = tablet.post(
        reverse("sessions:slot_detail", args=[slot.pk]),
        {"action": "mark", "enrolment": enrolment.pk, f"mark-{enrolment.pk}-status": "absent"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sessions:tablet_unlock"))
    assert not Attendance.objects.exists()


def test_tablet_pages_of_the_locked_slot_still_work(tablet, slot, enrolment):
    sign_url = reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk])

    page = tablet.get(sign_url)
    response = tablet.post(
        sign_url,
        {"signature": json.dumps(SIGNATURE), "nonce": "nonce-tablet-001", "device_time": ""},
        follow=True,
    )

    assert page.status_code == 200
    assert response.redirect_chain == [(reverse("sessions:slot_tablet", args=[slot.pk]), 302)]
    assert Attendance.objects.get(enrolment=enrolment).method == Attendance.Method.TABLET


def test_tablet_pages_of_another_slot_ask_for_the_password(tablet, slot):
    other = SlotFactory(session=slot.session, day=dt.date(2021, 10, 5))
    url = reverse("sessions:slot_tablet", args=[other.pk])

    response = tablet.get(url)

    assert response["Location"] == unlock_url(url)


def test_tablet_pages_show_no_way_out_but_the_unlock_button(tablet, slot, enrolment):
    for url in (
        reverse("sessions:slot_tablet", args=[slot.pk]),
        reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]),
    ):
        content = tablet.get(url).content.decode()
        links = set(re.findall(r'href="([^"#]+)"', content))
        pages = {link for link in links if not link.startswith(settings.STATIC_URL)}
        allowed = {
            reverse("sessions:slot_tablet", args=[slot.pk]),
            reverse("sessions:slot_tablet_sign", args=[slot.pk, enrolment.pk]),
            reverse("sessions:tablet_unlock")
            + "?next="
            + reverse("sessions:slot_detail", args=[slot.pk]),
        }
        assert pages <= allowed, url
        assert "Navigation principale" not in content
        assert "Se déconnecter" not in content
    tablet_page = tablet.get(reverse("sessions:slot_tablet", args=[slot.pk])).content.decode()
    unlock = reverse("sessions:tablet_unlock")
    assert re.search(rf'href="{unlock}\?next=[^"]+"[^>]*>Quitter le mode tablette<', tablet_page)


def test_right_password_unlocks_logs_and_goes_on(tablet, trainer, slot):
    target = reverse("sessions:session_detail", args=[slot.session_id])

    response = tablet.post(
        reverse("sessions:tablet_unlock"), {"password": PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == target
    assert LOCK_KEY not in tablet.session
    entry = AuditEntry.objects.get(action="tablet.unlocked")
    assert entry.actor == trainer
    assert entry.data == {"slot": slot.pk, "failed_attempts": 0}
    assert tablet.get(target).status_code == 200
    assert tablet.get(reverse("formations:participant_list")).status_code == 200


def test_quit_button_goes_to_the_half_day_after_the_password(tablet, slot):
    page = tablet.get(reverse("sessions:slot_tablet", args=[slot.pk]))
    quit_url = html.unescape(
        re.search(r'href="([^"]+)"[^>]*>Quitter le mode tablette', page.content.decode())[1]
    )
    form = tablet.get(quit_url)
    assert form.status_code == 200

    response = tablet.post(
        reverse("sessions:tablet_unlock"),
        {"password": PASSWORD, "next": form.context["form"]["next"].value()},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("sessions:slot_detail", args=[slot.pk])
    assert "Mode tablette quitté." in page_text(response)


def test_wrong_password_refused_and_still_locked(tablet, slot):
    response = tablet.post(
        reverse("sessions:tablet_unlock"), {"password": "pas-le-bon", "next": "/"}
    )

    assert response.status_code == 400
    assert "Mot de passe incorrect. Encore 4 essais avant une pause de 5 minutes." in page_text(
        response
    )
    assert tablet.session[LOCK_KEY] == slot.pk
    assert tablet.get(reverse("dashboard")).status_code == 302
    assert not AuditEntry.objects.filter(action="tablet.unlocked").exists()


def test_empty_password_refused(tablet):
    response = tablet.post(reverse("sessions:tablet_unlock"), {"password": ""})

    assert response.status_code == 400
    assert "Saisissez votre mot de passe." in page_text(response)


def test_too_many_wrong_passwords_pause_even_the_right_one(tablet, slot, during):
    url = reverse("sessions:tablet_unlock")
    for _ in range(UNLOCK_MAX_ATTEMPTS - 1):
        assert tablet.post(url, {"password": "devine"}).status_code == 400

    fifth = tablet.post(url, {"password": "devine"})
    right_too_soon = tablet.post(url, {"password": PASSWORD})

    assert fifth.status_code == right_too_soon.status_code == 429
    assert "Trop d'essais de mot de passe : réessayez dans 5 minutes." in page_text(fifth)
    assert tablet.session[LOCK_KEY] == slot.pk
    paused = AuditEntry.objects.get(action="tablet.unlock_paused")
    assert paused.data["failures"] == UNLOCK_MAX_ATTEMPTS

    during.shift(dt.timedelta(minutes=3))
    assert "réessayez dans 2 minutes" in page_text(tablet.post(url, {"password": PASSWORD}))

    during.shift(dt.timedelta(minutes=2, seconds=1))
    # After the pause a wrong guess pauses again at once; the right one unlocks.
    assert tablet.post(url, {"password": "devine"}).status_code == 429
    during.shift(dt.timedelta(minutes=5, seconds=1))
    assert tablet.post(url, {"password": PASSWORD}).status_code == 302
    assert LOCK_KEY not in tablet.session
    assert AuditEntry.objects.get(action="tablet.unlocked").data["failed_attempts"] == 6


@pytest.mark.parametrize(
    "next_url",
    ["https://ailleurs.example/", "//ailleurs.example/x", "javascript:alert(1)", "relative"],
)
def test_unlock_never_sends_to_another_site(tablet, slot, next_url):
    response = tablet.post(
        reverse("sessions:tablet_unlock"), {"password": PASSWORD, "next": next_url}
    )

    assert response["Location"] == reverse("sessions:slot_detail", args=[slot.pk])


def test_logout_allowed_while_locked_and_ends_the_session(tablet):
    response = tablet.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert LOCK_KEY not in tablet.session
    assert tablet.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_unlock_page_without_lock_just_goes_on(client, trainer):
    client.force_login(trainer)

    plain = client.get(reverse("sessions:tablet_unlock"))
    onward = client.get(reverse("sessions:tablet_unlock") + "?next=/sessions/")

    assert plain["Location"] == reverse("dashboard")
    assert onward["Location"] == "/sessions/"
    assert not AuditEntry.objects.filter(action__startswith="tablet.").exists()


def test_static_files_not_sent_to_unlock(tablet):
    response = tablet.get(settings.STATIC_URL + "css/app.css")

    assert not response.get("Location", "").startswith(reverse("sessions:tablet_unlock"))
