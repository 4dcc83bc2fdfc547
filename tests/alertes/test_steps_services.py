"""Writing administrative steps (alertes.services_steps): who may, who follows, and the
member's request for reminders recorded as such."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from alertes.services_steps import StepError, step_add, step_end, step_update
from formations.audit import AuditEntry
from formations.consent import consent_withdraw_channel, may_contact
from formations.models import ContactConsent, User
from tests.factories import UserFactory
from tests.factories.members import AdministrativeStepFactory, MembershipFactory, alertes_world

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 1)


def _add(world, membership=None, actor=None, **values):
    membership = membership or MembershipFactory(structure=world.arbrisseau)
    values.setdefault("title", "Actualisation France Travail")
    values.setdefault("due_on", DAY)
    return step_add(membership=membership, actor=actor or world.staff, **values)


def test_adding_a_step_with_a_reminder_records_the_members_request():
    world = alertes_world()
    step = _add(world, recurrence="monthly", remind_by_sms=True)

    assert step.followed_by == world.staff and step.created_by == world.staff
    person, structure = step.membership.participant, world.arbrisseau
    row = ContactConsent.objects.get(participant=person, purpose="admin_reminders")
    assert (row.channel, row.structure, row.collected_by) == ("sms", structure, world.staff)
    assert row.action == "given" and row.method == ContactConsent.Method.ORAL
    assert may_contact(person, "sms", "admin_reminders", structure=structure).allowed
    # Not a consent to the structure's news.
    assert not may_contact(person, "sms", "structure_news", structure=structure).allowed
    assert AuditEntry.objects.filter(action="step_added", object_id=str(step.pk)).exists()


def test_a_standing_request_is_not_recorded_twice():
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    _add(world, membership, remind_by_sms=True)
    _add(world, membership, title="Rendez-vous CAF", remind_by_sms=True, remind_by_email=True)

    rows = ContactConsent.objects.filter(
        participant=membership.participant, purpose="admin_reminders"
    )
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "sms"]


def test_staff_of_another_structure_is_refused():
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    with pytest.raises(PermissionDenied):
        _add(world, membership, actor=world.other_admin)
    step = AdministrativeStepFactory(membership=membership)
    with pytest.raises(PermissionDenied):
        step_update(step=step, actor=world.other_admin, title="Autre")
    with pytest.raises(PermissionDenied):
        step_end(step=step, actor=world.other_admin)
    step.refresh_from_db()
    assert step.title == "Actualisation France Travail" and step.ended_at is None


@pytest.mark.parametrize("who", ["other_admin", "inactive", "trainer"])
def test_the_follower_must_be_an_active_account_of_the_structure(who):
    world = alertes_world()
    follower = {
        "other_admin": world.other_admin,
        "inactive": UserFactory(
            role=User.Role.STRUCTURE_STAFF, structure=world.arbrisseau, is_active=False
        ),
        "trainer": UserFactory(role=User.Role.TRAINER),
    }[who]
    with pytest.raises(StepError) as caught:
        _add(world, followed_by=follower)
    assert caught.value.code == "invalid_follower"


def test_a_coordinator_may_follow_a_step():
    world = alertes_world()
    step = _add(world, actor=world.admin, followed_by=world.coordinator)
    assert step.followed_by == world.coordinator


def test_no_step_for_a_member_no_longer_followed():
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau, ended_at=timezone.now())
    with pytest.raises(StepError) as caught:
        _add(world, membership)
    assert caught.value.code == "membership_ended"


def test_a_repetition_ending_before_the_first_date_is_refused():
    world = alertes_world()
    with pytest.raises(StepError) as caught:
        _add(world, recurrence="monthly", until=DAY - dt.timedelta(days=1))
    assert caught.value.code == "invalid"


def test_a_change_of_title_does_not_renew_a_withdrawn_request():
    world = alertes_world()
    step = _add(world, remind_by_sms=True)
    person = step.membership.participant
    consent_withdraw_channel(
        participant=person, channel="sms", method=ContactConsent.Method.SMS_STOP, actor=None
    )

    step_update(step=step, actor=world.staff, title="Actualisation mensuelle")
    assert not may_contact(person, "sms", "admin_reminders", structure=world.arbrisseau).allowed

    # Ticked again on the form: the person asks again.
    step_update(step=step, actor=world.staff, remind_by_sms=True)
    assert may_contact(person, "sms", "admin_reminders", structure=world.arbrisseau).allowed


def test_stopping_a_step_keeps_it_and_is_done_once():
    world = alertes_world()
    step = _add(world)
    stopped = step_end(step=step, actor=world.admin)
    again = step_end(step=step, actor=world.admin)
    assert stopped.ended_at is not None and again.ended_at == stopped.ended_at
    assert AuditEntry.objects.filter(action="step_ended", object_id=str(step.pk)).count() == 1
    with pytest.raises(StepError) as caught:
        step_update(step=step, actor=world.admin, title="Autre")
    assert caught.value.code == "step_ended"


def test_the_sms_reminder_request_no_longer_promises_stop_and_v1_stays_known():
    """Reminder SMS go transactional, whose sender may not get replies: the request's
    text (v2) says to ask the centre; requests recorded under v1 keep their text."""
    from formations.consent import WORDINGS, consent_give, known_wordings

    current = WORDINGS[("sms", "admin_reminders")]
    assert current.version == "v2" and "STOP" not in str(current.text)
    assert "STOP" in str(known_wordings("sms", "admin_reminders")["v1"].text)
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    row = consent_give(
        participant=membership.participant,
        channel="sms",
        purpose="admin_reminders",
        structure=world.arbrisseau,
        method="paper",
        actor=world.coordinator,
        wording_version="v1",
    )
    assert row.wording_version == "v1"
