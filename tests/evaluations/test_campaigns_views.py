import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Campaign, Invitation
from evaluations.sending import send_due
from evaluations.services_campaigns import campaign_create
from formations.models import User
from tests.evaluations.campaign_helpers import (
    QUESTION,
    answer_url,  # noqa: F401 (fixture)
    session_with_days,
    shipped_versions,
)
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    StructureFactory,
    UserFactory,
)
from tests.factories.evaluations import make_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("answer_url")]

PARIS = ZoneInfo("Europe/Paris")
DAY = dt.date(2026, 3, 2)
END = dt.datetime(2026, 3, 2, 17, 0, tzinfo=PARIS)


@pytest.fixture
def world(trainer):
    """A session run by `trainer`, three participants (one without contact details, one
    who answered), its hot campaign launched."""
    session = session_with_days(DAY, people=1)
    session.trainers.add(trainer)
    EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(last_name="Sanscontact", email="", phone=""),
    )
    answered = EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name="Repondu")
    )
    hot, _cold = shipped_versions()
    campaign = campaign_create(
        actor=None, version=hot, formation=session.formation, session=session
    )
    send_due(now=END + dt.timedelta(minutes=5))
    Invitation.objects.filter(participant=answered.participant).update(
        answered_on=dt.date(2026, 3, 3)
    )
    return session, campaign


def session_page(client, session):
    return client.get(reverse("sessions:session_detail", args=[session.pk]))


def test_the_coordinator_sees_the_campaigns_counts_and_buttons(client, coordinator, world):
    session, campaign = world
    client.force_login(coordinator)

    page = session_page(client, session).content.decode()

    assert "Campagnes d'évaluation" in page
    assert campaign.version.questionnaire.title in page
    assert "envoyée" in page
    assert reverse("evaluations:campaign_detail", args=[campaign.pk]) in page
    assert reverse("evaluations:campaign_create_session", args=[session.pk]) in page
    assert "Programmer les évaluations à chaud et à froid" in page


def test_the_trainer_sees_counts_only(client, trainer, world):
    session, campaign = world
    client.force_login(trainer)

    page = session_page(client, session).content.decode()
    detail = client.get(reverse("evaluations:campaign_detail", args=[campaign.pk]))

    assert campaign.version.questionnaire.title in page
    assert 'data-label="Réponses">1<' in page
    # (The tablet's page of the campaign, under the same path, is the trainer's.)
    detail_url = reverse("evaluations:campaign_detail", args=[campaign.pk])
    assert f'href="{detail_url}"' not in page
    assert "sans coordonnées" not in page and "pas encore répondu" not in page
    assert detail.status_code == 403


def test_the_detail_page_says_who_has_not_answered(client, coordinator, world):
    _session, campaign = world
    client.force_login(coordinator)

    page = client.get(reverse("evaluations:campaign_detail", args=[campaign.pk])).content.decode()

    assert "2 personnes n'ont pas encore répondu" in page
    assert "SANSCONTACT Camille" in page and "sans coordonnées" in page
    assert "a répondu" in page and "03/03/2026" not in page
    assert "(E-mail)" in page


@pytest.mark.parametrize("name", ["campaign_detail", "campaign_edit", "campaign_cancel"])
def test_people_out_of_reach_get_404_and_trainers_403(client, world, name):
    _session, campaign = world
    url = reverse(f"evaluations:{name}", args=[campaign.pk])
    outsider = UserFactory(role=User.Role.TRAINER)
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=StructureFactory())
    session_trainer = campaign.session.trainers.get()

    for user, status in ((outsider, 404), (referent, 404), (session_trainer, 403)):
        client.force_login(user)
        assert client.get(url).status_code == status, user
        # The detail page answers GET only.
        assert client.post(url).status_code in (status, 405 if name == "campaign_detail" else 0)
    assert Campaign.objects.get().cancelled_at is None


def test_create_pages_refuse_trainers(client, trainer, world):
    session, _campaign = world
    client.force_login(trainer)

    assert (
        client.get(reverse("evaluations:campaign_create_session", args=[session.pk])).status_code
        == 403
    )
    assert (
        client.post(reverse("evaluations:session_schedule_defaults", args=[session.pk])).status_code
        == 403
    )
    assert (
        client.get(
            reverse("evaluations:campaign_create_formation", args=[session.formation_id])
        ).status_code
        == 403
    )


def test_creating_a_campaign_with_the_default_date(client, coordinator):
    session = session_with_days(DAY, people=1)
    _hot, cold = shipped_versions()
    client.force_login(coordinator)

    response = client.post(
        reverse("evaluations:campaign_create_session", args=[session.pk]),
        {
            "questionnaire": cold.questionnaire_id,
            "audience": "participants",
            "opens_at": "",
            "closes_at": "",
            "reminder_delay_days": "7",
            "max_reminders": "2",
        },
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.opens_at == dt.datetime(2026, 6, 2, 9, 0, tzinfo=PARIS)
    assert campaign.opens_at_follows_session


def test_a_chosen_date_is_read_in_the_session_time_zone(client, coordinator):
    session = session_with_days(DAY, zone="Indian/Mayotte", people=1)
    hot, _cold = shipped_versions()
    client.force_login(coordinator)

    client.post(
        reverse("evaluations:campaign_create_session", args=[session.pk]),
        {
            "questionnaire": hot.questionnaire_id,
            "audience": "participants",
            "opens_at": "2026-03-03T10:00",
            "reminder_delay_days": "7",
            "max_reminders": "2",
        },
    )

    assert Campaign.objects.get().opens_at == dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)


def test_a_team_campaign_without_its_structure_is_refused_on_the_field(client, coordinator):
    session = session_with_days(DAY, people=1)
    hot, _cold = shipped_versions()
    client.force_login(coordinator)

    response = client.post(
        reverse("evaluations:campaign_create_formation", args=[session.formation_id]),
        {
            "questionnaire": hot.questionnaire_id,
            "audience": "structure_team",
            "opens_at": "2026-03-03T10:00",
            "reminder_delay_days": "7",
            "max_reminders": "2",
        },
    )

    assert response.status_code == 200
    assert "Choisissez la structure" in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_one_click_and_the_cancel_page(client, coordinator):
    session = session_with_days(DAY, people=1)
    shipped_versions()
    client.force_login(coordinator)

    client.post(reverse("evaluations:session_schedule_defaults", args=[session.pk]))
    hot = Campaign.objects.order_by("opens_at").first()
    page = session_page(client, session).content.decode()
    unconfirmed = client.post(reverse("evaluations:campaign_cancel", args=[hot.pk]))
    hot.refresh_from_db()
    assert hot.cancelled_at is None and unconfirmed.status_code == 200
    client.post(reverse("evaluations:campaign_cancel", args=[hot.pk]), {"confirm": "on"})

    hot.refresh_from_db()
    assert Campaign.objects.count() == 2
    assert "Programmer les évaluations à chaud et à froid" not in page
    assert "(suit la session)" in page
    assert hot.cancelled_at is not None


def test_the_edit_page_changes_dates_before_launch_and_refuses_after(client, coordinator, world):
    session, launched = world
    _hot, cold = shipped_versions()
    pending = campaign_create(
        actor=None, version=cold, formation=session.formation, session=session
    )
    client.force_login(coordinator)

    client.post(
        reverse("evaluations:campaign_edit", args=[pending.pk]),
        {"opens_at": "2026-07-01T10:00", "reminder_delay_days": "3", "max_reminders": "1"},
    )
    refused = client.post(
        reverse("evaluations:campaign_edit", args=[launched.pk]),
        {"opens_at": "2026-07-01T10:00", "reminder_delay_days": "3", "max_reminders": "1"},
    )

    pending.refresh_from_db()
    assert pending.opens_at == dt.datetime(2026, 7, 1, 10, 0, tzinfo=PARIS)
    assert pending.max_reminders == 1
    assert "ne se modifie plus" in refused.content.decode()
    launched.refresh_from_db()
    assert launched.max_reminders == 2


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_panels_cost_the_same_queries_whatever_the_campaigns(client, coordinator, trainer):
    session = session_with_days(DAY, people=2)
    session.trainers.add(trainer)
    hot, cold = shipped_versions()
    session_url = reverse("sessions:session_detail", args=[session.pk])
    formation_url = reverse("formations:formation_detail", args=[session.formation_id])

    def add_campaigns(count):
        for _ in range(count):
            campaign_create(actor=None, version=hot, formation=session.formation, session=session)
            campaign_create(
                actor=None,
                version=cold,
                formation=session.formation,
                opens_at=END,
            )
        send_due(now=END + dt.timedelta(minutes=5))
        EnrolmentFactory(session=session)

    counts = {}
    for user in (coordinator, trainer):
        client.force_login(user)
        add_campaigns(1)
        few = (_queries(client, session_url), _queries(client, formation_url))
        add_campaigns(4)
        many = (_queries(client, session_url), _queries(client, formation_url))
        counts[user.role] = (few, many)
    for few, many in counts.values():
        assert many == few


def test_a_launched_campaign_that_found_nobody_says_so(client, coordinator):
    session = session_with_days(DAY)
    hot, _cold = shipped_versions()
    campaign = campaign_create(
        actor=None, version=hot, formation=session.formation, session=session
    )
    send_due(now=END + dt.timedelta(minutes=5))
    campaign.refresh_from_db()
    assert campaign.launched_at is not None
    client.force_login(coordinator)

    panel = session_page(client, session).content.decode()
    detail = client.get(reverse("evaluations:campaign_detail", args=[campaign.pk]))

    assert "personne à inviter" in panel
    assert ">envoyée<" not in panel
    assert "personne à inviter" in detail.content.decode()
    assert ">envoyée<" not in detail.content.decode()


def test_a_funder_without_auditor_is_refused_on_the_field(client, coordinator):
    session = session_with_days(DAY, people=1)
    funder = FunderFactory(name="Département de la Seine-Saint-Denis", kind="departement")
    session.formation.programme.funders.add(funder)
    hot, _cold = shipped_versions()
    client.force_login(coordinator)

    response = client.post(
        reverse("evaluations:campaign_create_session", args=[session.pk]),
        {
            "questionnaire": hot.questionnaire_id,
            "audience": "funder",
            "funder": funder.pk,
            "opens_at": "2026-03-03T10:00",
            "reminder_delay_days": "7",
            "max_reminders": "2",
        },
    )

    assert response.status_code == 200
    assert "aucun compte d&#x27;auditeur·rice actif" in response.content.decode()
    assert not Campaign.objects.exists()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_past_sending_date_says_the_invitations_leave_at_the_next_run(client, coordinator):
    session = session_with_days(DAY, people=1)
    hot, _cold = shipped_versions()
    client.force_login(coordinator)
    fields = {
        "questionnaire": hot.questionnaire_id,
        "audience": "participants",
        "reminder_delay_days": "7",
        "max_reminders": "2",
    }
    url = reverse("evaluations:campaign_create_session", args=[session.pk])

    past = client.post(url, {**fields, "opens_at": "2026-03-03T10:00"}, follow=True)
    future = client.post(url, {**fields, "opens_at": "2099-03-03T10:00"}, follow=True)

    assert _messages(past) == [
        "Campagne programmée. La date d'envoi est déjà passée : les invitations partiront "
        "au prochain envoi, dans les cinq minutes."
    ]
    assert _messages(future) == [
        "Campagne programmée. Les invitations partiront le 03/03/2099 à 10:00."
    ]


def test_scheduling_again_after_a_cancelled_campaign_warns_of_a_second_invitation(
    client, coordinator
):
    session = session_with_days(DAY, people=2)
    hot, _cold = shipped_versions()
    first = campaign_create(actor=None, version=hot, formation=session.formation, session=session)
    send_due(now=END + dt.timedelta(minutes=5))
    assert Invitation.objects.filter(campaign=first, sent_at__isnull=False).count() == 2
    client.force_login(coordinator)
    client.post(reverse("evaluations:campaign_cancel", args=[first.pk]), {"confirm": "on"})

    response = client.post(
        reverse("evaluations:session_schedule_defaults", args=[session.pk]), follow=True
    )

    texts = _messages(response)
    assert any(
        t.startswith("Attention : 2 personnes ont déjà reçu ce questionnaire") for t in texts
    ), texts
    assert sum("Attention" in t for t in texts) == 1  # the cold one was never sent


def test_the_questionnaire_list_is_in_french_order(client, coordinator):
    session = session_with_days(DAY, people=1)
    for title in ("Quiz numérique", "Évaluation de fin de labo", "auto-positionnement"):
        make_version(QUESTION, title=title)
    client.force_login(coordinator)

    page = client.get(reverse("evaluations:campaign_create_session", args=[session.pk]))

    titles = [label for _pk, label in page.context["form"].fields["questionnaire"].choices][1:]
    assert titles.index("auto-positionnement") < titles.index("Évaluation de fin de labo")
    assert titles.index("Évaluation de fin de labo") < titles.index("Quiz numérique")
    html = page.content.decode()
    assert html.index("Évaluation de fin de labo") < html.index("Quiz numérique")


def test_a_mayotte_campaign_names_its_time_zone_in_words(client, coordinator):
    session = session_with_days(DAY, zone="Indian/Mayotte", people=1)
    paris = session_with_days(DAY, people=1)
    hot, _cold = shipped_versions()
    campaign = campaign_create(
        actor=None, version=hot, formation=session.formation, session=session
    )
    campaign_create(actor=None, version=hot, formation=paris.formation, session=paris)
    client.force_login(coordinator)

    panel = session_page(client, session).content.decode()
    paris_panel = session_page(client, paris).content.decode()
    detail = client.get(reverse("evaluations:campaign_detail", args=[campaign.pk]))
    form = client.get(reverse("evaluations:campaign_create_session", args=[session.pk]))

    assert "(heure de Mayotte)" in panel
    assert "02/03/2026 17:00" in panel
    assert "heure de Paris" not in paris_panel
    assert "(heure de Mayotte)" in detail.content.decode()
    assert "Indian/Mayotte" not in detail.content.decode()
    assert "à l'heure de la session (heure de Mayotte)" in form.content.decode()
