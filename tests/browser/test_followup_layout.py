"""The follow-up of structures on a portrait tablet (820 px) and a phone (390 px): the
overview with its filters and checkboxes, a structure's log (entries, a session with its
hours, a message), the reminder's confirmation page, without sideways scroll; the
reminder is sent by keyboard-reachable controls."""

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from formations.models import OutboxMessage, User
from projects.models import FollowUpEntry
from tests.factories import EnrolmentFactory, ParticipantFactory, TrainingSessionFactory
from tests.factories.planning import make_slot
from tests.factories.projects import project_world
from tests.factories.sessions import close, sign

pytestmark = pytest.mark.browser

SIZES = [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
IDS = ["tablet-820", "phone-390"]


def screenshot(target, name):
    if os.environ.get("SUIVI_SCREENSHOTS"):
        target.screenshot(path=f"{os.environ['SUIVI_SCREENSHOTS']}/{name}.png", full_page=True)


def no_sideways_scroll(page, size):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{size['width']} px: {width}"


@pytest.fixture
def world(db):
    world = project_world()
    world.referent.email = "zainaba.ali@ccas-mamoudzou.example.yt"
    world.referent.save()
    world.other_referent.email = ""  # nobody to write to at Dzaoudzi
    world.other_referent.save()
    trainer = User.objects.create(username="theo", role=User.Role.TRAINER)
    past = TrainingSessionFactory(formation=world.programme.formations.get(), code="LABO-1")
    past.trainers.add(trainer)
    morning = make_slot(
        past, dt.date(2026, 9, 14), dt.time(9), dt.time(12, 30), countersigned=False
    )
    person = EnrolmentFactory(
        session=past,
        participant=ParticipantFactory(
            structure=world.ccas, last_name="Madi-Abdallah", first_name="Anchya"
        ),
    )
    sign(person, morning)
    close(morning, trainer)
    upcoming = TrainingSessionFactory(formation=world.programme.formations.get(), code="LABO-2")
    make_slot(
        upcoming,
        timezone.localdate() + dt.timedelta(days=12),
        dt.time(9),
        dt.time(12, 30),
        countersigned=False,
    )
    today = timezone.localdate()
    FollowUpEntry.objects.create(
        programme=world.programme,
        structure=world.ccas,
        occurred_on=today - dt.timedelta(days=34),
        kind="question",
        channel="phone",
        summary="Comment associer les partenaires associatifs au diagnostic de territoire "
        "sans alourdir les réunions de l'équipe projet ?",
        author=world.coordinator,
    )
    FollowUpEntry.objects.create(
        programme=world.programme,
        structure=world.other,
        occurred_on=today - dt.timedelta(days=3),
        kind="meeting",
        channel="video",
        summary="Point d'étape sur la feuille de route.",
        author=world.coordinator,
    )
    OutboxMessage.objects.create(
        purpose="projects_follow_up_reminder",
        recipient=world.referent.email,
        recipient_name="Zaïnaba Ali",
        subject="DESIGN PALAS : où en êtes-vous ?",
        body="Bonjour",
        about_type="formations.structure",
        about_id=str(world.ccas.pk),
    )
    return world


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_follow_up_pages_fit(page, live_server, login_as, world, size):
    page.set_viewport_size(size)
    login_as(world.coordinator)
    programme = world.programme
    page.goto(live_server.url + reverse("projects:follow_up", args=[programme.pk]))
    assert page.get_by_role("heading", name="CCAS de Mamoudzou").is_visible()
    no_sideways_scroll(page, size)
    screenshot(page, f"follow-up-{size['width']}")

    page.goto(
        live_server.url + reverse("projects:follow_up_log", args=[programme.pk, world.ccas.pk])
    )
    assert page.get_by_text("MADI-ABDALLAH Anchya").is_visible()
    assert page.get_by_text("en attente de réponse").is_visible()
    no_sideways_scroll(page, size)
    screenshot(page, f"follow-up-log-{size['width']}")

    page.goto(live_server.url + reverse("projects:follow_up", args=[programme.pk]))
    page.get_by_label("Relancer CCAS de Mamoudzou").check()
    page.get_by_label("Relancer CCAS de Dzaoudzi").check()
    page.get_by_role("button", name="Relancer les structures cochées…").click()
    assert page.get_by_text("personne à qui écrire").is_visible()
    no_sideways_scroll(page, size)
    screenshot(page, f"follow-up-remind-{size['width']}")
    page.get_by_role("button", name="Envoyer la relance").click()
    page.wait_for_url("**/suivi/")
    assert page.get_by_text("Relance mise dans la file d'envoi : 1 message.").is_visible()
    assert FollowUpEntry.objects.filter(kind="reminder", structure=world.ccas).count() == 1
