"""The administrative dates' pages: add, change and stop a step, the week, and the
panels (the structure's home, the member's profile)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from alertes.models import AdministrativeStep
from alertes.panels_steps import member_steps_panel
from alertes.reminders import remind_due_steps
from formations.consent import consent_withdraw_channel
from formations.models import ContactConsent
from tests.factories.members import (
    AdministrativeStepFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 10:00 in Lille.
NOW = dt.datetime(2026, 11, 30, 10, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield alertes_world()


def _form(**overrides):
    values = {
        "title": "Rendez-vous CAF",
        "category": "benefits",
        "due_on": "2026-12-03",
        "recurrence": "once",
        "until": "",
        "note": "",
        "request_method": "paper",
        "remind_days_before": "2",
    }
    values.update(overrides)
    return values


def test_adding_a_step_with_the_members_request(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    url = reverse("alertes:step_add", args=[world.arbrisseau.pk, membership.pk])
    client.force_login(world.staff)

    page = client.get(url)
    assert page.status_code == 200
    assert "La personne demande un rappel par SMS" in page.text
    assert "Je demande à recevoir par SMS un rappel" in page.text  # the wording shown

    response = client.post(url, _form(followed_by=world.staff.pk, remind_by_sms="on"))

    assert response.status_code == 302
    step = AdministrativeStep.objects.get()
    assert (step.title, step.due_on, step.remind_by_sms) == (
        "Rendez-vous CAF",
        dt.date(2026, 12, 3),
        True,
    )
    request = ContactConsent.objects.get(purpose="admin_reminders")
    assert request.method == "paper" and request.structure == world.arbrisseau


def test_the_form_refuses_a_follower_of_another_structure(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    client.force_login(world.admin)
    response = client.post(
        reverse("alertes:step_add", args=[world.arbrisseau.pk, membership.pk]),
        _form(followed_by=world.other_admin.pk),
    )
    assert response.status_code == 200 and "followed_by" in response.context["form"].errors
    assert not AdministrativeStep.objects.exists()


def test_every_page_is_a_404_across_structures(client, world):
    step = AdministrativeStepFactory(membership__structure=world.arbrisseau)
    other_step = AdministrativeStepFactory(membership__structure=world.chemin_rouge)
    own, other = world.arbrisseau.pk, world.chemin_rouge.pk
    client.force_login(world.other_admin)
    urls = [
        reverse("alertes:step_add", args=[own, step.membership_id]),
        reverse("alertes:step_edit", args=[own, step.pk]),
        reverse("alertes:step_end", args=[own, step.pk]),
        reverse("alertes:week", args=[own]),
        # Their own structure in the address, the other's objects.
        reverse("alertes:step_add", args=[other, step.membership_id]),
        reverse("alertes:step_edit", args=[other, step.pk]),
        reverse("alertes:step_end", args=[other, step.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        posted = client.post(url, _form(followed_by=world.other_admin.pk))
        assert posted.status_code == (405 if "semaine" in url else 404), url
    step.refresh_from_db()
    assert step.ended_at is None and AdministrativeStep.objects.count() == 2
    # Their own step opens.
    assert client.get(reverse("alertes:step_edit", args=[other, other_step.pk])).status_code == 200


def test_editing_shows_a_withdrawn_request_unticked(client, world):
    step = AdministrativeStepFactory(membership__structure=world.arbrisseau)
    give_structure_consent(step.membership, "sms", purpose="admin_reminders")
    consent_withdraw_channel(
        participant=step.membership.participant,
        channel="sms",
        method=ContactConsent.Method.SMS_STOP,
        actor=None,
    )
    url = reverse("alertes:step_edit", args=[world.arbrisseau.pk, step.pk])
    client.force_login(world.staff)

    page = client.get(url)
    assert "a retiré sa demande de rappel" in page.text
    assert "par SMS, le " in page.text and "(réponse STOP à un SMS)" in page.text
    assert page.context["form"]["remind_by_sms"].value() is False

    response = client.post(
        url, _form(title="Actualisation", due_on="2026-12-02", followed_by=step.followed_by_id)
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.title == "Actualisation" and not step.remind_by_sms
    assert ContactConsent.objects.filter(action="given").count() == 1  # nothing renewed


def test_the_withdrawn_notice_says_the_request_was_stopped_from_the_members_space(client, world):
    from formations.consent import consent_withdraw

    step = AdministrativeStepFactory(
        membership__structure=world.arbrisseau, remind_by_sms=False, remind_by_email=True
    )
    give_structure_consent(step.membership, "email", purpose="admin_reminders")
    consent_withdraw(
        participant=step.membership.participant,
        channel="email",
        purposes=["admin_reminders"],
        structure=world.arbrisseau,
        method=ContactConsent.Method.WEB_LINK,
        actor=None,
        note="depuis son espace personnel",
    )
    client.force_login(world.staff)
    page = client.get(reverse("alertes:step_edit", args=[world.arbrisseau.pk, step.pk])).text
    assert "par e-mail, le " in page and "(depuis son espace personnel)" in page


def test_stopping_a_step_asks_first(client, world):
    step = AdministrativeStepFactory(membership__structure=world.arbrisseau)
    url = reverse("alertes:step_end", args=[world.arbrisseau.pk, step.pk])
    client.force_login(world.admin)
    assert "plus aucun rappel" in client.get(url).text
    step.refresh_from_db()
    assert step.ended_at is None
    assert client.post(url).status_code == 302
    step.refresh_from_db()
    assert step.ended_at is not None
    # Its edit page now sends back.
    edit = client.get(reverse("alertes:step_edit", args=[world.arbrisseau.pk, step.pk]))
    assert edit.status_code == 302


def _week_steps(world):
    mine = AdministrativeStepFactory(
        membership__structure=world.arbrisseau,
        membership__participant__last_name="Benali",
        followed_by=world.staff,
        title="Actualisation France Travail",
        due_on=dt.date(2026, 1, 1),
        recurrence="monthly",
    )
    give_structure_consent(mine.membership, "sms", purpose="admin_reminders")
    theirs = AdministrativeStepFactory(
        membership__structure=world.arbrisseau,
        membership__participant__last_name="Dupont",
        followed_by=world.admin,
        title="Rendez-vous CAF",
        due_on=dt.date(2026, 12, 4),
    )
    AdministrativeStepFactory(
        membership__structure=world.arbrisseau,
        followed_by=world.staff,
        title="Titre de séjour",
        due_on=dt.date(2026, 12, 8),  # next week
    )
    AdministrativeStepFactory(
        membership__structure=world.chemin_rouge, title="Dossier de l'autre centre"
    )
    return mine, theirs


def test_the_week_shows_the_steps_i_follow_then_the_whole_structure(client, world):
    with time_machine.travel(NOW, tick=False):
        mine, theirs = _week_steps(world)
        remind_due_steps()
        url = reverse("alertes:week", args=[world.arbrisseau.pk])
        client.force_login(world.staff)

        page = client.get(url).text
        assert "Actualisation France Travail" in page and "mardi 1er décembre" in page
        assert 'SMS : <span class="badge info">en attente d\'envoi' in page
        assert "Rendez-vous CAF" not in page and "Titre de séjour" not in page
        assert "Dossier de l&#x27;autre centre" not in page

        everyone = client.get(url, {"tous": "1"}).text
        assert "Rendez-vous CAF" in everyone and "Actualisation France Travail" in everyone
        assert "Dossier" not in everyone

        following = client.get(url, {"semaine": "2026-12-07"}).text
        assert "Titre de séjour" in following and "Actualisation" not in following
        # A nonsense week is this week.
        assert "Actualisation" in client.get(url, {"semaine": "20266-1-1"}).text


def test_the_week_page_queries_do_not_grow_with_the_steps(
    client, world, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False):
        url = reverse("alertes:week", args=[world.arbrisseau.pk])
        client.force_login(world.admin)
        _week_steps(world)
        remind_due_steps()
        client.get(url, {"tous": "1"})
        with django_assert_max_num_queries(12) as few:
            client.get(url, {"tous": "1"})
        for _n in range(5):
            _week_steps(world)
        remind_due_steps()
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(url, {"tous": "1"})
        assert len(response.context["week"].lines) == 12


def test_the_home_shows_my_steps_of_the_week(client, world):
    with time_machine.travel(NOW, tick=False):
        _week_steps(world)
        client.force_login(world.staff)
        page = client.get(reverse("alertes:structure_home", args=[world.arbrisseau.pk])).text
    assert "Vos démarches de la semaine" in page
    assert "Actualisation France Travail" in page and "Rendez-vous CAF" not in page


def test_the_member_panel_lists_the_steps_with_their_next_date(world):
    with time_machine.travel(NOW, tick=False):
        mine, _theirs = _week_steps(world)
        remind_due_steps()
        request = RequestFactory().get("/")
        request.user = world.staff
        template, context = member_steps_panel(request, mine.membership)
        html = render_to_string(template, {**context, "structure": world.arbrisseau})
        assert "mardi 1er décembre 2026" in html and "Tous les mois" in html
        assert reverse("alertes:step_edit", args=[world.arbrisseau.pk, mine.pk]) in html
        assert reverse("alertes:step_add", args=[world.arbrisseau.pk, mine.membership_id]) in html
        request.user = world.other_admin
        assert member_steps_panel(request, mine.membership) is None


def test_suivie_par_offers_coordinators_to_coordinators_only(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    add = reverse("alertes:step_add", args=[world.arbrisseau.pk, membership.pk])

    client.force_login(world.staff)
    choices = list(client.get(add).context["form"].fields["followed_by"].queryset)
    assert world.staff in choices and world.admin in choices
    assert world.coordinator not in choices and world.other_admin not in choices
    # A staff member cannot pick a coordinator by posting their pk.
    refused = client.post(add, _form(followed_by=world.coordinator.pk))
    assert refused.status_code == 200 and "followed_by" in refused.context["form"].errors

    client.force_login(world.coordinator)
    page = client.get(add)
    choices = list(page.context["form"].fields["followed_by"].queryset)
    assert world.coordinator in choices and world.staff in choices
    assert "(coordination)" in page.text

    # A step a coordinator follows keeps its follower when the centre's team edits it.
    step = AdministrativeStepFactory(membership=membership, followed_by=world.coordinator)
    client.force_login(world.staff)
    edit = reverse("alertes:step_edit", args=[world.arbrisseau.pk, step.pk])
    choices = list(client.get(edit).context["form"].fields["followed_by"].queryset)
    assert world.coordinator in choices
    saved = client.post(
        edit, _form(title="Titre", due_on="2026-12-02", followed_by=world.coordinator.pk)
    )
    assert saved.status_code == 302
