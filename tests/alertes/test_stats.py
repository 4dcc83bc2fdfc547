"""A structure's statistics: members by group, kind and age band, consents by channel,
messages per month, category and group, reminders; only the structure's own rows, in a
constant number of queries; the page, its charts and its CSV."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from alertes.constants import CAMPAIGN_PURPOSE, STEP_REMINDER_PURPOSE
from alertes.models import AlertCampaign, CampaignRecipient, StepReminder
from alertes.selectors_stats import structure_stats
from formations.consent import consent_withdraw
from formations.models import ContactConsent, OutboxMessage, Participant
from tests.factories.members import (
    AdministrativeStepFactory,
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)


def _message(structure, status, *, at=NOW, purpose=CAMPAIGN_PURPOSE, channel="sms"):
    message = OutboxMessage.objects.create(
        channel=channel,
        purpose=purpose,
        recipient="+33612345678",
        body="Bonjour",
        structure=structure,
        status=status,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=at)
    return message


def _recipient(campaign, membership, status, *, groups=(), at=NOW):
    message = _message(campaign.structure, status, at=at) if status else None
    recipient = CampaignRecipient.objects.create(
        campaign=campaign,
        membership=membership,
        channel="sms",
        message=message,
        skipped_reason="" if message else "Pas d'accord pour les SMS",
    )
    recipient.groups.set(groups)
    return recipient


def _row(rows, label):
    return next(row for row in rows if row.label == label)


def test_members_by_group_kind_and_age_band_count_active_members_only():
    world = alertes_world()
    s = world.arbrisseau
    culture = MemberGroupFactory(structure=s, name="Culture")
    MembershipFactory(structure=s, groups=[world.group, culture])  # born 1985: 41
    young = MembershipFactory(structure=s, groups=[world.group])
    young.participant.date_of_birth = dt.date(2008, 11, 21)  # 17 until tomorrow
    young.participant.save()
    eighteen = MembershipFactory(structure=s)
    eighteen.participant.date_of_birth = dt.date(2008, 11, 20)  # 18 today
    eighteen.participant.kind = Participant.Kind.VOLUNTEER
    eighteen.participant.save()
    unknown = MembershipFactory(structure=s)
    unknown.participant.date_of_birth = None
    unknown.participant.save()
    ended = MembershipFactory(structure=s, groups=[world.group], ended_at=NOW)
    MembershipFactory(structure=world.chemin_rouge, groups=[world.other_group])

    stats = structure_stats(structure=s, now=NOW)

    assert stats.members == 4
    assert _row(stats.by_group, "Petite enfance").count == 2  # the ended one not counted
    assert _row(stats.by_group, "Culture").count == 1
    assert _row(stats.by_group, "sans groupe").count == 2
    assert "Jeunesse" not in [row.label for row in stats.by_group]
    assert _row(stats.by_kind, "Habitant·e, adhérent·e").count == 3
    assert _row(stats.by_kind, "Bénévole").count == 1
    ages = {row.label: row.count for row in stats.by_age}
    assert ages == {
        "moins de 18 ans": 1,
        "18–25 ans": 1,
        "26–44 ans": 1,
        "45–64 ans": 0,
        "65 ans et plus": 0,
        "non renseigné": 1,
    }
    assert ended.pk


def test_consents_by_channel_given_withdrawn_never_asked():
    world = alertes_world()
    s = world.arbrisseau
    given = MembershipFactory(structure=s)
    give_structure_consent(given, "sms")
    withdrawn = MembershipFactory(structure=s)
    give_structure_consent(withdrawn, "sms", "email")
    consent_withdraw(
        participant=withdrawn.participant,
        channel="sms",
        method=ContactConsent.Method.PAPER,
        actor=None,
        structure=s,
    )
    MembershipFactory(structure=s)  # never asked
    asked = MembershipFactory(structure=s)
    give_structure_consent(asked, "sms", purpose="admin_reminders")
    other = MembershipFactory(structure=world.chemin_rouge)
    give_structure_consent(other, "sms")

    stats = structure_stats(structure=s, now=NOW)

    rows = {(row.channel, row.purpose): row for row in stats.consents}
    sms = rows[("sms", "structure_news")]
    assert (sms.given, sms.withdrawn, sms.never) == (1, 1, 2)
    email = rows[("email", "structure_news")]
    assert (email.given, email.withdrawn, email.never) == (1, 0, 3)
    reminders = rows[("sms", "admin_reminders")]
    # consent_withdraw records the withdrawal of every structure purpose on the channel.
    assert (reminders.given, reminders.withdrawn, reminders.never) == (1, 1, 2)


def test_messages_per_month_in_the_structure_time_zone_per_category_and_group():
    world = alertes_world()
    s = world.arbrisseau
    member = MembershipFactory(structure=s, groups=[world.group])
    chosen = MembershipFactory(structure=s)
    news = AlertCampaignFactory(structure=s, status=AlertCampaign.Status.SENT)
    rights = AlertCampaignFactory(
        structure=s, status=AlertCampaign.Status.SENT, category=AlertCampaign.Category.RIGHTS
    )
    _recipient(news, member, OutboxMessage.Status.DELIVERED, groups=[world.group])
    _recipient(news, chosen, None)  # no consent: skipped
    _recipient(rights, member, OutboxMessage.Status.FAILED, groups=[world.group])
    _recipient(rights, chosen, OutboxMessage.Status.ABANDONED)
    # 1 November 00:30 in Paris is still October in UTC: counted in November.
    _message(s, OutboxMessage.Status.SENT, at=dt.datetime(2026, 11, 1, 0, 30, tzinfo=PARIS))
    _message(s, OutboxMessage.Status.SENT, at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=PARIS))
    _message(s, OutboxMessage.Status.SENT, at=dt.datetime(2025, 10, 31, tzinfo=PARIS))  # old
    _message(s, OutboxMessage.Status.SENT, purpose="password_reset")  # not Alertes
    _message(world.chemin_rouge, OutboxMessage.Status.SENT)  # another structure

    stats = structure_stats(structure=s, now=NOW)

    assert len(stats.messages_by_month) == 12
    assert stats.messages_by_month[0].label == "décembre 2025"
    november = _row(stats.messages_by_month, "novembre 2026")
    assert (november.written, november.sent, november.delivered) == (4, 2, 1)
    assert (november.failed, november.abandoned, november.pending) == (1, 1, 0)
    assert _row(stats.messages_by_month, "octobre 2026").written == 1
    category = _row(stats.messages_by_category, "Actualité de la structure")
    assert (category.written, category.delivered, category.skipped) == (1, 1, 1)
    rights_row = _row(stats.messages_by_category, "Accès aux droits")
    assert (rights_row.failed, rights_row.abandoned) == (1, 1)
    group = _row(stats.messages_by_group, "Petite enfance")
    assert (group.written, group.delivered, group.failed) == (2, 1, 1)
    chosen_row = _row(stats.messages_by_group, "sans groupe (membres choisis)")
    assert (chosen_row.written, chosen_row.skipped) == (1, 1)


def test_reminders_due_and_sent_per_month():
    world = alertes_world()
    step = AdministrativeStepFactory(membership=MembershipFactory(structure=world.arbrisseau))
    for day, status in ((3, OutboxMessage.Status.DELIVERED), (4, OutboxMessage.Status.FAILED)):
        message = _message(world.arbrisseau, status, purpose=STEP_REMINDER_PURPOSE)
        reminder = StepReminder.objects.create(
            step=step, occurrence=dt.date(2026, 11, day), channel="sms", message=message
        )
        StepReminder.objects.filter(pk=reminder.pk).update(created_at=NOW)

    stats = structure_stats(structure=world.arbrisseau, now=NOW)

    november = _row(stats.reminders_by_month, "novembre 2026")
    assert (november.due, november.sent, november.delivered, november.failed) == (2, 1, 1, 1)


def _world_with(rows: int):
    world = alertes_world()
    s = world.arbrisseau
    for _index in range(rows):
        group = MemberGroupFactory(structure=s)
        member = MembershipFactory(structure=s, groups=[group, world.group])
        give_structure_consent(member, "sms")
        campaign = AlertCampaignFactory(structure=s, status=AlertCampaign.Status.SENT)
        _recipient(campaign, member, OutboxMessage.Status.SENT, groups=[group])
    return world


@pytest.mark.parametrize("rows", [1, 6])
def test_the_page_costs_the_same_queries_whatever_the_rows(
    client, django_assert_max_num_queries, rows
):
    world = _world_with(rows)
    client.force_login(world.admin)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("alertes:stats", args=[world.arbrisseau.pk]))
    assert response.status_code == 200


def test_the_page_shows_tables_and_accessible_charts_to_the_structure_only(client):
    world = _world_with(2)
    url = reverse("alertes:stats", args=[world.arbrisseau.pk])
    for user in (world.admin, world.staff, world.coordinator):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
    page = response.content.decode()
    assert "<caption" in page and 'role="img"' in page and "<desc" in page
    assert "Petite enfance" in page and "2 personnes" in page
    assert 'aria-current="page"' in page and "Statistiques" in page

    client.force_login(world.other_admin)
    assert client.get(url).status_code == 404
    assert client.get(url + "?format=csv").status_code == 404


def test_the_csv_holds_every_table(client):
    world = _world_with(1)
    client.force_login(world.staff)
    response = client.get(reverse("alertes:stats", args=[world.arbrisseau.pk]), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Adhérent·es actif·ves par tranche d'âge" in text
    assert "Petite enfance;1" in text
    assert "Messages des campagnes par catégorie" in text
    assert timezone.now()  # the page is dated in the structure's zone


@pytest.mark.parametrize("rows", [1, 5])
def test_the_statistics_take_nine_queries_whatever_the_rows(django_assert_num_queries, rows):
    world = _world_with(rows)
    with django_assert_num_queries(9):
        structure_stats(structure=world.arbrisseau)
