import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from evaluations.models import Campaign, Invitation
from evaluations.sending import delivery_refusal, send_due
from evaluations.services_campaigns import campaign_cancel, campaign_create
from evaluations.tokens import invitation_url
from formations.consent import consent_give, consent_withdraw
from formations.models import OutboxMessage
from formations.outbox import DELIVERY_CHECKS
from formations.periodic import PERIODIC_JOBS
from tests.evaluations.campaign_helpers import (
    answer_url,  # noqa: F401 (fixture)
    session_with_days,
    shipped_versions,
)
from tests.factories import EnrolmentFactory, ParticipantFactory

PARIS = ZoneInfo("Europe/Paris")
DAY = dt.date(2026, 3, 2)
END = dt.datetime(2026, 3, 2, 17, 0, tzinfo=PARIS)

pytestmark = pytest.mark.usefixtures("answer_url")


def hot_campaign(session, **fields):
    hot, _cold = shipped_versions()
    return campaign_create(
        actor=None, version=hot, formation=session.formation, session=session, **fields
    )


def invitation_rows():
    return OutboxMessage.objects.filter(about_type="evaluations.invitation")


@pytest.mark.django_db
def test_running_the_sending_twice_sends_each_invitation_once():
    session = session_with_days(DAY, people=3)
    campaign = hot_campaign(session)

    first = send_due(now=END + dt.timedelta(minutes=5))
    second = send_due(now=END + dt.timedelta(minutes=10))

    assert (first.launched, first.invitations_written, first.sent_email) == (1, 3, 3)
    assert (second.launched, second.invitations_written, second.sent_email) == (0, 0, 0)
    assert invitation_rows().count() == 3
    assert Invitation.objects.filter(campaign=campaign, sent_at__isnull=False).count() == 3
    assert sorted(invitation_rows().values_list("recipient", flat=True)) == sorted(
        e.participant.email for e in session.enrolments.all()
    )


@pytest.mark.django_db
def test_nothing_goes_before_the_opening():
    session = session_with_days(DAY, people=2)
    campaign = hot_campaign(session)

    report = send_due(now=END - dt.timedelta(minutes=1))

    campaign.refresh_from_db()
    assert campaign.launched_at is None
    assert report.invitations_written == 0 and not invitation_rows().exists()


@pytest.mark.django_db
def test_a_person_enrolled_later_is_invited_at_the_next_run():
    session = session_with_days(DAY, people=1)
    hot_campaign(session)
    send_due(now=END + dt.timedelta(minutes=5))
    late = EnrolmentFactory(session=session)

    report = send_due(now=END + dt.timedelta(days=1))

    assert report.invitations_written == 1 and report.sent_email == 1
    assert invitation_rows().filter(participant=late.participant).count() == 1


@pytest.mark.django_db
def test_the_message_names_the_questionnaire_the_session_anonymity_link_and_closing():
    session = session_with_days(DAY, people=1)
    closes = END + dt.timedelta(days=20)
    campaign = hot_campaign(session, closes_at=closes)

    send_due(now=END + dt.timedelta(minutes=5))

    message = invitation_rows().get()
    invitation = Invitation.objects.get(campaign=campaign)
    assert message.purpose == "evaluation_invitation"
    assert message.legal_basis == "service"
    assert message.subject == f"Votre avis : « {campaign.version.questionnaire.title} »"
    assert f"la session {session.code} de la formation « {session.formation.title} »" in (
        message.body
    )
    assert "Ce questionnaire est anonyme" in message.body
    assert invitation_url(invitation) in message.body
    assert "jusqu'au 22 mars 2026" in message.body
    assert message.expires_at == closes
    assert message.about_id == str(invitation.pk)


@pytest.mark.django_db
def test_sms_for_people_with_only_a_phone_and_nobody_without_contact_details():
    session = session_with_days(DAY)
    phone_only = EnrolmentFactory(
        session=session, participant=ParticipantFactory(email="", phone="+33612345678")
    )
    EnrolmentFactory(session=session, participant=ParticipantFactory(email="", phone=""))
    campaign = hot_campaign(session)

    report = send_due(now=END + dt.timedelta(minutes=5))
    again = send_due(now=END + dt.timedelta(minutes=10))

    sms = invitation_rows().get()
    assert sms.channel == "sms" and sms.recipient == "+33612345678"
    assert sms.participant == phone_only.participant
    assert invitation_url(Invitation.objects.get(participant=phone_only.participant)) in sms.body
    assert len(sms.body) < 300
    assert (report.sent_sms, report.no_contact, again.no_contact) == (1, 1, 1)
    unsent = Invitation.objects.get(campaign=campaign, sent_at__isnull=True)
    assert unsent.channel == ""


@pytest.mark.django_db
def test_a_cold_invitation_is_not_sent_to_whoever_withdrew_evaluation_follow_up():
    _hot, cold = shipped_versions()
    session = session_with_days(DAY)
    agreed = EnrolmentFactory(session=session).participant
    withdrew = EnrolmentFactory(session=session).participant
    for person in (agreed, withdrew):
        consent_give(
            participant=person,
            channel="email",
            purpose="evaluation_follow_up",
            method="paper",
            actor=None,
        )
    consent_withdraw(participant=withdrew, channel="email", method="paper", actor=None)
    campaign = campaign_create(
        actor=None, version=cold, formation=session.formation, session=session
    )

    send_due(now=campaign.opens_at + dt.timedelta(minutes=5))
    send_due(now=campaign.opens_at + dt.timedelta(days=30))

    sent = invitation_rows().get(participant=agreed, purpose="evaluation_follow_up")
    refused = invitation_rows().get(participant=withdrew, purpose="evaluation_follow_up")
    assert sent.purpose == "evaluation_follow_up" and sent.status == "pending"
    assert refused.status == "abandoned"
    # No reminder to the person who refused: it would be refused again.
    assert invitation_rows().filter(participant=withdrew).count() == 1
    assert invitation_rows().filter(participant=agreed, purpose="evaluation_reminder").exists()


def _agree(participant):
    consent_give(
        participant=participant,
        channel="email",
        purpose="evaluation_follow_up",
        method="paper",
        actor=None,
    )


@pytest.mark.django_db
def test_reminders_after_the_delay_at_most_the_maximum_and_never_once_answered():
    session = session_with_days(DAY, people=2)
    answering, silent = (e.participant for e in session.enrolments.all())
    for person in (answering, silent):
        _agree(person)
    hot_campaign(session, reminder_delay_days=7, max_reminders=2)
    send_due(now=END + dt.timedelta(minutes=5))

    early = send_due(now=END + dt.timedelta(days=6))
    first = send_due(now=END + dt.timedelta(days=7, minutes=5))
    Invitation.objects.filter(participant=answering).update(answered_on=dt.date(2026, 3, 10))
    too_soon = send_due(now=END + dt.timedelta(days=13))
    second = send_due(now=END + dt.timedelta(days=14, minutes=10))
    beyond = send_due(now=END + dt.timedelta(days=60))

    assert (early.reminders, first.reminders, too_soon.reminders) == (0, 2, 0)
    assert (second.reminders, beyond.reminders) == (1, 0)
    reminders = invitation_rows().filter(purpose="evaluation_reminder")
    assert reminders.filter(participant=silent).count() == 2
    assert reminders.filter(participant=answering).count() == 1
    assert reminders.first().subject.startswith("Rappel")
    silent_invitation = Invitation.objects.get(participant=silent)
    assert silent_invitation.reminders_sent == 2


@pytest.mark.django_db
def test_a_reminder_answered_since_it_was_written_is_refused_at_delivery():
    session = session_with_days(DAY, people=1)
    _agree(session.enrolments.get().participant)
    hot_campaign(session)
    send_due(now=END + dt.timedelta(minutes=5))
    send_due(now=END + dt.timedelta(days=8))
    reminder = invitation_rows().get(purpose="evaluation_reminder")
    Invitation.objects.update(answered_on=dt.date(2026, 3, 10))

    refusals = [check(reminder) for check in DELIVERY_CHECKS]

    assert "La personne a déjà répondu." in refusals
    invitation = invitation_rows().get(purpose="evaluation_invitation")
    assert delivery_refusal(invitation) == "La personne a déjà répondu."


@pytest.mark.django_db
def test_no_reminder_after_closing():
    session = session_with_days(DAY, people=1)
    _agree(session.enrolments.get().participant)
    hot_campaign(session, closes_at=END + dt.timedelta(days=5))
    send_due(now=END + dt.timedelta(minutes=5))

    report = send_due(now=END + dt.timedelta(days=8))

    assert report.reminders == 0
    assert invitation_rows().count() == 1


@pytest.mark.django_db
def test_a_cancelled_campaign_sends_nothing_and_withdraws_what_waits():
    session = session_with_days(DAY, people=2)
    before = hot_campaign(session)
    campaign_cancel(actor=None, campaign=before)
    other = session_with_days(DAY, people=2)
    after = hot_campaign(other)
    send_due(now=END + dt.timedelta(minutes=5))

    campaign_cancel(actor=None, campaign=after)
    later = send_due(now=END + dt.timedelta(days=10))

    assert not Invitation.objects.filter(campaign=before).exists()
    assert later.reminders == 0 and later.invitations_written == 0
    assert set(invitation_rows().values_list("status", flat=True)) == {"abandoned"}
    assert invitation_rows().count() == 2


@pytest.mark.django_db
def test_the_periodic_job_is_registered_every_five_minutes():
    job = next(job for job in PERIODIC_JOBS if job.name == "evaluations.send_due")
    assert job.every == dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_the_command_dry_run_lists_and_writes_nothing(capsys, time_machine=None):
    session = session_with_days(dt.date(2020, 3, 2), people=2)
    campaign = hot_campaign(session)

    call_command("send_evaluations", "--dry-run")
    dry = capsys.readouterr().out
    assert not Invitation.objects.exists() and not invitation_rows().exists()
    campaign.refresh_from_db()
    assert campaign.launched_at is None
    call_command("send_evaluations")
    real = capsys.readouterr().out

    assert dry.count("invitation — ") == 2
    assert "Simulation : 1 campagne lancée, 2 invitations créées," in dry
    assert (
        "1 campagne lancée, 2 invitations créées, 2 invitations mises dans la file d'envoi "
        "par e-mail et 0 par SMS, 0 personne sans coordonnées, 0 relance mise dans la file "
        "d'envoi."
    ) in real
    assert "(s)" not in dry + real
    assert invitation_rows().count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_invitation_once():
    session = session_with_days(DAY, people=4)
    hot_campaign(session)
    now = END + dt.timedelta(minutes=5)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            send_due(now=now)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert invitation_rows().count() == 4
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 4
    assert Campaign.objects.get().launched_at is not None


@pytest.mark.django_db
def test_a_campaign_launched_long_ago_sends_nothing_more(settings):
    """Past the sending window, a person enrolled late gets no invitation and nobody a
    reminder: a run reads recent campaigns only (its link still answers)."""
    settings.SUIVI_EVALUATION_SENDING_DAYS = 30
    session = session_with_days(DAY, people=1)
    campaign = hot_campaign(session, reminder_delay_days=20, max_reminders=3)
    send_due(now=END + dt.timedelta(minutes=5))
    EnrolmentFactory(session=session)

    within = send_due(now=END + dt.timedelta(days=21))
    past = send_due(now=END + dt.timedelta(days=45))

    assert (within.invitations_written, within.reminders) == (1, 1)
    assert (past.invitations_written, past.reminders, past.sent_email) == (0, 0, 0)
    assert Invitation.objects.filter(campaign=campaign).count() == 2


@pytest.mark.django_db
def test_an_invitation_answered_since_it_was_written_is_refused_at_delivery():
    session = session_with_days(DAY, people=1)
    hot_campaign(session)
    send_due(now=END + dt.timedelta(minutes=5))
    message = invitation_rows().get(purpose="evaluation_invitation")
    Invitation.objects.update(answered_on=dt.date(2026, 3, 2))

    assert delivery_refusal(message) == "La personne a déjà répondu."


@pytest.mark.django_db
def test_a_name_tapped_on_the_tablet_without_answering_still_gets_the_invitation():
    session = session_with_days(DAY, people=2)
    campaign = hot_campaign(session)
    tapped, answered = (e.participant for e in session.enrolments.all())
    for person, answered_on in ((tapped, None), (answered, DAY)):
        Invitation.objects.create(
            campaign=campaign,
            participant=person,
            enrolment=person.enrolments.get(),
            channel="tablet",
            draft_step=1 if answered_on is None else 0,
            answered_on=answered_on,
        )

    report = send_due(now=END + dt.timedelta(minutes=5))

    assert report.sent_email == 1
    message = invitation_rows().get()
    assert message.participant == tapped and message.recipient == tapped.email
    invitation = Invitation.objects.get(participant=tapped)
    assert invitation.channel == "email" and invitation.sent_at is not None
    assert Invitation.objects.get(participant=answered).sent_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("people", [1, 12])
def test_a_run_with_nothing_due_reads_a_constant_number_of_queries(
    people, django_assert_max_num_queries
):
    """Neither the invitations whose reminder is not due nor those of people without
    contact details are read (or locked) one by one at every run."""
    session = session_with_days(DAY, people=people)
    for _ in range(people):
        EnrolmentFactory(session=session, participant=ParticipantFactory(email="", phone=""))
    hot_campaign(session, reminder_delay_days=7)
    first = send_due(now=END + dt.timedelta(minutes=5))
    assert (first.sent_email, first.no_contact) == (people, people)

    with django_assert_max_num_queries(10):
        report = send_due(now=END + dt.timedelta(days=3))

    assert (report.sent_email, report.reminders, report.no_contact) == (0, 0, people)


@pytest.mark.django_db
def test_each_campaign_reminds_after_its_own_delay():
    short, long = session_with_days(DAY, people=1), session_with_days(DAY, people=1)
    for session in (short, long):
        _agree(session.enrolments.get().participant)
    hot_campaign(short, reminder_delay_days=3, max_reminders=2)
    hot_campaign(long, reminder_delay_days=10, max_reminders=2)
    send_due(now=END + dt.timedelta(minutes=5))

    day5 = send_due(now=END + dt.timedelta(days=5))
    day9 = send_due(now=END + dt.timedelta(days=9))
    day11 = send_due(now=END + dt.timedelta(days=11))

    assert (day5.reminders, day9.reminders, day11.reminders) == (1, 1, 1)
    reminders = invitation_rows().filter(purpose="evaluation_reminder")
    assert reminders.filter(participant=short.enrolments.get().participant).count() == 2
    assert reminders.filter(participant=long.enrolments.get().participant).count() == 1
