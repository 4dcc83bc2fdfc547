"""The Alertes demo (issue 12): the two Lille Sud centres with what the tender shows —
members in groups, consents some withdrawn, steps due this week, a scheduled campaign,
sent ones with delivered and failed messages — each centre seeing only its own."""

import datetime as dt
import time

import pytest
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from alertes import demo
from alertes.constants import CAMPAIGN_PURPOSE, STEP_REMINDER_PURPOSE
from alertes.models import AdministrativeStep, AlertCampaign, CampaignRecipient, StepReminder
from alertes.selectors import alertes_structure
from formations.consent import may_contact
from formations.models import (
    ContactConsent,
    Funder,
    MemberGroup,
    Membership,
    OutboxMessage,
    Participant,
    Programme,
    SmsEvent,
    Structure,
    User,
)

pytestmark = pytest.mark.django_db


def test_the_demo_keeps_the_tenders_promises():
    """One load (a few seconds), every promise checked on it."""
    started = time.perf_counter()
    result = demo.load()
    elapsed = time.perf_counter() - started
    _both_centres_with_members_in_groups_and_feder_publicity(result)
    _consents_given_never_asked_and_withdrawn()
    _steps_due_this_week_followed_by_staff()
    _one_scheduled_campaign_and_sent_ones_with_statistics()
    _each_admin_sees_only_their_own_centre()
    print(f"alertes demo loaded in {elapsed:.2f} s")
    assert elapsed < 15  # ~2-3 s; generous for a loaded machine


def _centres():
    return (
        Structure.objects.get(name=demo.ARBRISSEAU),
        Structure.objects.get(name=demo.CHEMIN_ROUGE),
    )


def _both_centres_with_members_in_groups_and_feder_publicity(result):
    arbrisseau, chemin_rouge = _centres()
    assert chemin_rouge.commune == "Faches-Thumesnil"
    for centre in (arbrisseau, chemin_rouge):
        memberships = Membership.objects.filter(structure=centre)
        assert 40 <= memberships.count() <= 60
        assert MemberGroup.objects.filter(structure=centre).count() >= 5
        # Everyone in one to three of their centre's groups, none of the other's.
        counts = memberships.annotate(n=Count("groups")).values_list("n", flat=True)
        assert set(counts) <= {1, 2, 3}
        assert not memberships.exclude(groups__structure=centre).filter(groups__isnull=False)
        assert Programme.objects.filter(
            funders__kind="feder", structures=centre, funders__publicity_sentence__contains="FEDER"
        ).exists()
    people = Participant.objects.filter(memberships__isnull=False)
    assert set(people.values_list("kind", flat=True)) == set(Participant.MEMBER_KINDS)
    ages = [timezone.localdate().year - p.date_of_birth.year for p in people]
    assert min(ages) < 18 and max(ages) > 65
    assert any(not name.isascii() for name in people.values_list("last_name", flat=True))
    # The person both centres follow: two records, for the coordinators' duplicates page.
    assert people.filter(last_name="Dupont", first_name="Madeleine").count() == 2
    assert result.structures == 2 and result.members == Membership.objects.count()


def _consents_given_never_asked_and_withdrawn():
    arbrisseau, _ = _centres()
    members = Participant.objects.filter(memberships__structure=arbrisseau)
    allowed = [may_contact(p, "sms", "structure_news", structure=arbrisseau) for p in members]
    reasons = {decision.reason for decision in allowed}
    assert sum(decision.allowed for decision in allowed) > len(allowed) / 2
    assert {"no_consent", "consent_withdrawn"} <= reasons
    # One by a STOP reply received on the provider's hook, one noted on the member's page.
    stop = ContactConsent.objects.get(
        structure=arbrisseau, method=ContactConsent.Method.SMS_STOP, purpose="structure_news"
    )
    assert SmsEvent.objects.filter(phone=stop.participant.phone, text="STOP").exists()
    page = ContactConsent.objects.get(
        structure=arbrisseau, action="withdrawn", channel="email", purpose="structure_news"
    )
    assert page.collected_by.username == "arbrisseau"
    assert ContactConsent.objects.filter(
        structure=arbrisseau, purpose="admin_reminders", action="given"
    ).exists()


def _steps_due_this_week_followed_by_staff():
    today = timezone.localdate()
    week = AdministrativeStep.objects.filter(
        due_on__range=(today, today + dt.timedelta(days=6)), ended_at__isnull=True
    )
    assert week.filter(due_on=today).exists()
    assert week.count() >= 5
    assert set(week.values_list("followed_by__role", flat=True)) == {User.Role.STRUCTURE_STAFF}
    assert {"monthly", "yearly", "once"} <= set(
        AdministrativeStep.objects.values_list("recurrence", flat=True)
    )
    reminder = StepReminder.objects.select_related("message").first()
    assert reminder.message.purpose == STEP_REMINDER_PURPOSE
    assert reminder.message.status == OutboxMessage.Status.DELIVERED


def _one_scheduled_campaign_and_sent_ones_with_statistics():
    arbrisseau, _ = _centres()
    scheduled = AlertCampaign.objects.get(status="scheduled")
    assert scheduled.structure == arbrisseau and scheduled.scheduled_at > timezone.now()
    assert "{prénom}" in scheduled.body and scheduled.send_sms and scheduled.send_email
    assert scheduled.groups.exists() and not scheduled.recipients.exists()
    assert AlertCampaign.objects.filter(status="cancelled").exists()
    sent = AlertCampaign.objects.filter(status="sent")
    assert 3 <= sent.count() <= 4
    assert all(c.sent_at < timezone.now() for c in sent)
    messages = OutboxMessage.objects.filter(purpose=CAMPAIGN_PURPOSE)
    statuses = set(messages.values_list("status", flat=True))
    assert {"delivered", "failed", "sent"} <= statuses
    assert not messages.filter(status="pending").exists()
    # Each message is a recipient's, personalised, dated at the campaign's sending.
    recipient = CampaignRecipient.objects.filter(message__isnull=False).select_related(
        "message", "campaign", "membership__participant"
    )[0]
    assert recipient.membership.participant.first_name in recipient.message.body
    assert recipient.message.sent_at >= recipient.campaign.sent_at
    assert recipient.message.sent_at - recipient.campaign.sent_at < dt.timedelta(minutes=5)
    assert recipient.groups.exists()
    # Those without consent are kept apart, with no message.
    skipped = CampaignRecipient.objects.exclude(skipped_reason="")
    assert skipped.exists() and not skipped.filter(message__isnull=False).exists()


def _each_admin_sees_only_their_own_centre():
    arbrisseau, chemin_rouge = _centres()
    admin = User.objects.get(username="arbrisseau")
    other = User.objects.get(username="chemin-rouge")
    assert admin.structure == arbrisseau and other.structure == chemin_rouge
    assert alertes_structure(user=admin, pk=arbrisseau.pk) == arbrisseau
    with pytest.raises(Http404):
        alertes_structure(user=admin, pk=chemin_rouge.pk)
    with pytest.raises(Http404):
        alertes_structure(user=other, pk=arbrisseau.pk)
    own = Membership.objects.filter(structure=alertes_structure(user=admin, pk=arbrisseau.pk))
    assert not own.filter(participant__memberships__structure=chemin_rouge).exclude(
        participant__last_name="Dupont"
    )
    assert User.objects.get(username="animatrice").role == User.Role.STRUCTURE_STAFF
    assert admin.check_password(demo.DEMO_PASSWORD)


def test_loaded_after_the_base_demo_and_twice_adds_nothing():
    """The formations demo's structures and its FEDER programme are reused; a second load
    writes nothing."""
    feder = Funder.objects.create(
        name="FEDER", kind="feder", publicity_sentence=demo.FEDER_SENTENCE
    )
    centres = [
        Structure.objects.create(name=name, kind="centre_social", commune="Lille")
        for name in (demo.ARBRISSEAU, demo.CHEMIN_ROUGE)
    ]
    programme = Programme.objects.create(
        reference="CSC-MEL-2018",
        title="Centres sociaux connectés",
        carrier=demo.ARBRISSEAU,
        start_date=dt.date(2018, 1, 1),
        end_date=dt.date(2019, 12, 31),
    )
    programme.funders.add(feder)
    programme.structures.add(*centres)
    demo.load()
    assert Structure.objects.count() == 2 and Programme.objects.count() == 1
    counts = (
        Membership.objects.count(),
        ContactConsent.objects.count(),
        AdministrativeStep.objects.count(),
        AlertCampaign.objects.count(),
        OutboxMessage.objects.count(),
        User.objects.count(),
    )
    again = demo.load()
    assert again.campaigns == 0 and again.steps == 0 and again.messages == 0
    assert (
        Membership.objects.count(),
        ContactConsent.objects.count(),
        AdministrativeStep.objects.count(),
        AlertCampaign.objects.count(),
        OutboxMessage.objects.count(),
        User.objects.count(),
    ) == counts
