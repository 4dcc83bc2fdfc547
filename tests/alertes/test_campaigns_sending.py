"""Sending campaigns: once, to those who agreed on each channel, never to the others."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from alertes.models import AlertCampaign, CampaignRecipient
from alertes.services_campaigns import (
    CampaignData,
    CampaignError,
    campaign_cancel,
    campaign_create,
    campaign_reuse,
    campaign_send,
    send_due_campaigns,
)
from formations import sms
from formations.consent import may_contact
from formations.models import ContactConsent, OutboxMessage
from formations.outbox import deliver_pending
from formations.periodic import run_periodic
from formations.sms.base import ProviderEvent
from formations.sms.receipts import sms_events_record
from tests.factories.members import (
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db


def _members(world):
    consenting = MembershipFactory(
        structure=world.arbrisseau, groups=[world.group], participant__first_name="Inès"
    )
    give_structure_consent(consenting, "sms", "email")
    without = MembershipFactory(
        structure=world.arbrisseau, groups=[world.group], participant__first_name="Zoë"
    )
    give_structure_consent(without, "email")
    return consenting, without


PARIS = ZoneInfo("Europe/Paris")


def daytime(days: int = 1, hour: int = 10) -> dt.datetime:
    """A moment `days` ahead at `hour` in Paris: inside the sending hours (8 h – 20 h)."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


def _data(world, **overrides):
    values = {
        "title": "Sortie au parc",
        "body": "Bonjour {prénom}, la sortie au parc a lieu samedi.",
        "scheduled_at": daytime(),
        "send_sms": True,
        "groups": [world.group],
    }
    values.update(overrides)
    return CampaignData(**values)


def test_a_member_without_sms_consent_is_listed_apart_and_receives_nothing(committed):
    world = alertes_world()
    consenting, without = _members(world)
    campaign = AlertCampaignFactory(
        structure=world.arbrisseau, groups=[world.group], send_email=True, email_subject="Sortie"
    )

    count = committed(campaign_send, campaign=campaign)

    assert count == 3  # SMS to Inès, e-mails to both
    skipped = CampaignRecipient.objects.get(membership=without, channel="sms")
    assert skipped.message is None and skipped.skipped_reason == "pas de consentement pour ce canal"
    assert [m.to for m in sms.outbox] == [consenting.participant.phone]
    assert sms.outbox[0].body == "Bonjour Inès, la sortie au parc a lieu samedi à 14 h."
    assert not OutboxMessage.objects.filter(participant=without.participant, channel="sms").exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [consenting.participant.email, without.participant.email]
    )
    assert "/alertes/desinscription/" in mail.outbox[0].body
    assert list(skipped.groups.all()) == [world.group]
    campaign.refresh_from_db()
    assert campaign.status == "sent" and campaign.sent_at is not None


def test_a_stop_reply_withdraws_consent_and_the_next_campaign_skips_them(committed):
    world = alertes_world()
    consenting, _without = _members(world)
    committed(
        campaign_send,
        campaign=AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group]),
    )
    assert len(sms.outbox) == 1

    sms_events_record(
        events=[
            ProviderEvent(
                provider="console",
                status="reply",
                phone=consenting.participant.phone,
                text="STOP",
                message_id="r1",
            )
        ]
    )
    following = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    assert committed(campaign_send, campaign=following) == 0

    assert len(sms.outbox) == 1
    recipient = CampaignRecipient.objects.get(campaign=following, membership=consenting)
    assert recipient.message is None
    assert recipient.skipped_reason == "consentement retiré"


def test_run_periodic_many_times_sends_a_due_campaign_once(committed):
    world = alertes_world()
    _members(world)
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    start = campaign.scheduled_at

    for minute in range(-2, 6):  # before it is due, then every minute (and twice some)
        for seconds in (0, 30):
            moment = start + dt.timedelta(minutes=minute, seconds=seconds)
            with time_machine.travel(moment, tick=False):
                committed(run_periodic, now=moment)
            if minute < 0:
                assert sms.outbox == []
    assert send_due_campaigns(now=start + dt.timedelta(hours=1)) == {
        "campaigns": 0,
        "messages": 0,
        "failed": 0,
    }
    assert campaign_send(campaign=campaign) == 0

    assert len(sms.outbox) == 1
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 2
    campaign.refresh_from_db()
    assert campaign.status == "sent" and campaign.sent_at >= start


def test_not_due_yet_is_not_sent():
    world = alertes_world()
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    assert send_due_campaigns(now=campaign.scheduled_at - dt.timedelta(seconds=1))["campaigns"] == 0
    assert send_due_campaigns(now=campaign.scheduled_at)["campaigns"] == 1


def test_a_cancelled_campaign_is_never_sent_and_cannot_be_cancelled_after_sending(committed):
    world = alertes_world()
    _members(world)
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign_cancel(campaign=campaign, actor=world.staff)

    committed(send_due_campaigns, now=campaign.scheduled_at + dt.timedelta(minutes=5))

    assert sms.outbox == [] and not CampaignRecipient.objects.exists()
    campaign.refresh_from_db()
    assert campaign.status == "cancelled" and campaign.cancelled_by == world.staff
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign_send(campaign=sent)
    with pytest.raises(CampaignError) as refused:
        campaign_cancel(campaign=sent, actor=world.admin)
    assert refused.value.code == "not_scheduled"


def test_reuse_makes_a_new_scheduled_campaign_and_leaves_the_sent_one_unchanged(committed):
    world = alertes_world()
    _members(world)
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    committed(campaign_send, campaign=sent)
    sent.refresh_from_db()
    before = (sent.status, sent.sent_at, sent.scheduled_at, sent.body, sent.recipients.count())
    later = daytime(days=7)

    copy = campaign_reuse(campaign=sent, actor=world.staff, scheduled_at=later)

    assert copy.pk != sent.pk and copy.copied_from == sent
    assert copy.status == "scheduled" and copy.scheduled_at == later
    assert (copy.body, list(copy.groups.all())) == (sent.body, [world.group])
    sent.refresh_from_db()
    after = (sent.status, sent.sent_at, sent.scheduled_at, sent.body, sent.recipients.count())
    assert after == before
    with pytest.raises(CampaignError):
        campaign_reuse(campaign=copy, actor=world.staff, scheduled_at=later)


def test_a_campaign_never_goes_to_everyone_nor_to_another_structure():
    world = alertes_world()
    with pytest.raises(CampaignError) as refused:
        campaign_create(structure=world.arbrisseau, actor=world.admin, data=_data(world, groups=[]))
    assert refused.value.code == "no_recipients"
    with pytest.raises(CampaignError) as refused:
        campaign_create(
            structure=world.arbrisseau,
            actor=world.admin,
            data=_data(world, groups=[world.other_group]),
        )
    assert refused.value.code == "foreign_group"
    theirs = MembershipFactory(structure=world.chemin_rouge)
    with pytest.raises(CampaignError):
        campaign_create(
            structure=world.arbrisseau, actor=world.admin, data=_data(world, members=[theirs])
        )
    assert not AlertCampaign.objects.exists()


def test_chosen_members_and_groups_are_each_sent_once(committed):
    world = alertes_world()
    consenting, _without = _members(world)
    ended = MembershipFactory(
        structure=world.arbrisseau, groups=[world.group], ended_at=timezone.now()
    )
    give_structure_consent(ended, "sms")
    campaign = campaign_create(
        structure=world.arbrisseau,
        actor=world.admin,
        data=_data(world, members=[consenting]),
    )
    AlertCampaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())

    committed(send_due_campaigns)

    assert len(sms.outbox) == 1
    assert not CampaignRecipient.objects.filter(membership=ended).exists()


def test_the_unsubscribe_link_withdraws_the_email_consent_only(client):
    world = alertes_world()
    consenting, _without = _members(world)
    campaign_send(
        campaign=AlertCampaignFactory(
            structure=world.arbrisseau, groups=[world.group], send_email=True, email_subject="S"
        )
    )
    body = OutboxMessage.objects.get(participant=consenting.participant, channel="email").body
    link = body.split("e-mail : ")[1].split()[0]
    path = link.split("://", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)
    assert page.status_code == 200
    assert "Confirmez-vous" in page.content.decode()
    assert may_contact(
        consenting.participant, "email", "structure_news", structure=world.arbrisseau
    ).allowed

    done = client.post("/" + path)
    assert "C'est fait" in done.content.decode()
    person = consenting.participant
    email = may_contact(person, "email", "structure_news", structure=world.arbrisseau)
    assert email.reason == "consent_withdrawn"
    assert may_contact(person, "sms", "structure_news", structure=world.arbrisseau).allowed
    row = ContactConsent.objects.filter(participant=person, channel="email").latest("at", "pk")
    assert (row.action, row.method, row.structure) == ("withdrawn", "web_link", world.arbrisseau)
    assert row.collected_by is None


@pytest.mark.parametrize("token", ["abc", "eyJwIjoxLCJzIjoxfQ:1abc:forged", ""])
def test_a_forged_unsubscribe_token_gets_a_clear_page(client, token):
    from django.urls import reverse

    world = alertes_world()
    consenting, _without = _members(world)
    from alertes.unsubscribe import unsubscribe_token

    good = unsubscribe_token(
        participant_id=consenting.participant_id, structure_id=world.arbrisseau.pk
    )
    altered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for value in (token or altered,):
        response = client.post(reverse("alertes:unsubscribe", args=[value]))
        assert response.status_code == 404
        assert "Lien de désinscription invalide" in response.content.decode()
    assert may_contact(
        consenting.participant, "email", "structure_news", structure=world.arbrisseau
    ).allowed


def test_campaign_sms_go_as_marketing_so_the_provider_adds_its_stop_mention(committed):
    world = alertes_world()
    _members(world)
    committed(
        campaign_send,
        campaign=AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group]),
    )
    assert [m.marketing for m in sms.outbox] == [True]
    # No STOP number of our own is written in the text: Brevo appends « STOP au [STOP CODE] »
    # with its own short number (formations/sms/brevo.py).
    assert "STOP" not in sms.outbox[0].body


@pytest.mark.parametrize("members", [2, 12])
def test_sending_costs_the_same_queries_whatever_the_recipients(members, django_assert_num_queries):
    world = alertes_world()
    other = MemberGroupFactory(structure=world.arbrisseau)
    for index in range(members):
        membership = MembershipFactory(structure=world.arbrisseau, groups=[world.group, other])
        if index % 2:
            give_structure_consent(membership, "sms", "email")
    campaign = AlertCampaignFactory(
        structure=world.arbrisseau, groups=[world.group], send_email=True, email_subject="S"
    )
    # Claim, campaign, memberships + groups, 2 × consents, outbox rows, queued_at,
    # recipients, their groups, status, audit (2): 14, whatever the recipients.
    with django_assert_num_queries(14):
        written = campaign_send(campaign=campaign)
    assert written == members  # half agreed, on both channels
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 2 * members
    assert CampaignRecipient.groups.through.objects.count() == 2 * 2 * members


def test_bulk_rows_record_the_legal_basis_like_outbox_enqueue(committed):
    world = alertes_world()
    consenting, without = _members(world)
    campaign = AlertCampaignFactory(
        structure=world.arbrisseau, groups=[world.group], send_email=True, email_subject="S"
    )
    committed(campaign_send, campaign=campaign)
    rows = OutboxMessage.objects.filter(about_id=str(campaign.pk))
    assert {(m.participant_id, m.channel) for m in rows} == {
        (consenting.participant_id, "sms"),
        (consenting.participant_id, "email"),
        (without.participant_id, "email"),
    }
    assert {m.legal_basis for m in rows} == {"consent"}
    assert all(m.structure == world.arbrisseau and m.refused_reason == "" for m in rows)
    skipped = CampaignRecipient.objects.get(membership=without, channel="sms")
    assert skipped.message is None and "consentement" in skipped.skipped_reason


def test_campaign_emails_carry_one_click_unsubscribe_headers(client, committed):
    world = alertes_world()
    consenting, _without = _members(world)
    campaign = AlertCampaignFactory(
        structure=world.arbrisseau, groups=[world.group], send_email=True, email_subject="S"
    )
    committed(campaign_send, campaign=campaign)
    email = next(m for m in mail.outbox if m.to == [consenting.participant.email])
    header = email.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http") and header.endswith(">")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = "/" + header.strip("<>").split("://", 1)[1].split("/", 1)[1]

    csrf_client = type(client)(enforce_csrf_checks=True)
    # The page's own form without its CSRF token is refused…
    assert csrf_client.post(path).status_code == 403
    assert may_contact(
        consenting.participant, "email", "structure_news", structure=world.arbrisseau
    ).allowed
    # …the mail client's one-click POST is accepted.
    done = csrf_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    decision = may_contact(
        consenting.participant, "email", "structure_news", structure=world.arbrisseau
    )
    assert decision.reason == "consent_withdrawn"


def test_a_stop_arriving_while_a_message_is_pending_abandons_it_at_delivery():
    world = alertes_world()
    consenting, _without = _members(world)
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign_send(campaign=campaign)  # written, not delivered (no commit callbacks)
    message = OutboxMessage.objects.get(participant=consenting.participant, channel="sms")
    assert message.status == "pending"

    sms_events_record(
        events=[
            ProviderEvent(
                provider="console",
                status="reply",
                phone=consenting.participant.phone,
                text="STOP",
                message_id="r-pending",
            )
        ]
    )
    deliver_pending(message_ids=[message.pk])

    message.refresh_from_db()
    assert message.status == "abandoned"
    assert "retiré" in message.refused_reason
    assert sms.outbox == []


def test_a_campaign_whose_sending_raises_is_marked_failed_and_not_retried(monkeypatch):
    world = alertes_world()
    _members(world)
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    AlertCampaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())

    def broken(messages):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr("alertes.services_campaigns.outbox_write_many", broken)
    assert send_due_campaigns() == {"campaigns": 0, "messages": 0, "failed": 1}

    campaign.refresh_from_db()
    assert campaign.status == "failed"
    assert "base indisponible" in campaign.failure_reason
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()
    assert not OutboxMessage.objects.exists()
    # Not retried: the next run finds nothing due.
    monkeypatch.undo()
    assert send_due_campaigns() == {"campaigns": 0, "messages": 0, "failed": 0}


@pytest.mark.parametrize(
    ("hour", "minute", "accepted"),
    [(7, 59, False), (8, 0, True), (20, 0, True), (20, 1, False), (23, 30, False)],
)
def test_scheduling_at_night_in_the_structures_time_zone_is_refused(hour, minute, accepted):
    world = alertes_world()
    world.arbrisseau.time_zone = "Indian/Mayotte"
    world.arbrisseau.save(update_fields=["time_zone"])
    day = timezone.localdate() + dt.timedelta(days=2)
    when = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo("Indian/Mayotte"))
    data = _data(world, scheduled_at=when)
    if accepted:
        assert campaign_create(structure=world.arbrisseau, actor=world.staff, data=data)
    else:
        with pytest.raises(CampaignError) as refused:
            campaign_create(structure=world.arbrisseau, actor=world.staff, data=data)
        assert refused.value.code == "night"
        assert "entre 8 h et 20 h (heure de Indian/Mayotte)" in refused.value.message


def test_the_same_form_token_creates_one_campaign():
    world = alertes_world()
    campaign_create(structure=world.arbrisseau, actor=world.staff, data=_data(world, token="t1"))
    with pytest.raises(CampaignError) as twice:
        campaign_create(
            structure=world.arbrisseau, actor=world.staff, data=_data(world, token="t1")
        )
    assert twice.value.code == "already_done"
    assert AlertCampaign.objects.get().form_token == "t1"
    # No token: no guard between two campaigns.
    campaign_create(structure=world.arbrisseau, actor=world.staff, data=_data(world))
    campaign_create(structure=world.arbrisseau, actor=world.staff, data=_data(world))
    assert AlertCampaign.objects.count() == 3


def test_a_crlf_body_is_stored_with_lf():
    world = alertes_world()
    campaign = campaign_create(
        structure=world.arbrisseau,
        actor=world.staff,
        data=_data(world, body="Bonjour\r\n{prénom}\r\n"),
    )
    assert campaign.body == "Bonjour\n{prénom}"
