"""The demo's evaluations: answered campaigns (results and a synthesis at once), campaigns
due and not sent (for run_periodic), each loaded once."""

import io

import pytest
from django.core.management import call_command

from evaluations.models import Answer, Campaign, Invitation, Response
from evaluations.sending import send_due
from livrables.models import IssuedDocument

pytestmark = pytest.mark.django_db


def test_the_demo_answers_some_campaigns_and_leaves_others_for_the_sending():
    call_command("load_demo", stdout=io.StringIO())
    campaigns, responses = Campaign.objects.count(), Response.objects.count()
    call_command("load_demo", stdout=io.StringIO())

    assert (Campaign.objects.count(), Response.objects.count()) == (campaigns, responses)
    answered = Campaign.objects.filter(responses__isnull=False).distinct()
    assert {c.session.code for c in answered} == {"CD93-2022-01", "CD93-2022-02", "LABO-2021-1"}
    # Both à chaud and à froid have answers, so they show side by side.
    assert {c.version.questionnaire.code for c in answered} >= {"a-chaud", "a-froid"}
    # Not everyone answered: the response rate is below 100 %.
    assert Invitation.objects.filter(answered_on__isnull=True, campaign__in=answered).exists()
    # The comment naming someone is hidden from the funder's copy, with why.
    hidden = Answer.objects.get(hidden_at__isnull=False)
    assert "Hamidou" in hidden.text and hidden.hidden_reason
    # The Seine-Saint-Denis synthesis is issued once.
    assert IssuedDocument.objects.filter(kind="evaluation_synthesis").count() == 1
    # Campaigns due and not launched: the sending has invitations to send, once.
    due = Campaign.objects.filter(launched_at__isnull=True).count()
    assert due
    report = send_due()
    assert report.launched == due and report.sent_email > 0
    assert send_due().sent_email == 0
