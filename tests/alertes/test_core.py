"""The shared core of Alertes: registering a member (known people found, never across
structures), consents given to one structure, and what the outbox makes of them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from formations.consent import consent_give, may_contact
from formations.members import MemberData, MemberError, member_register
from formations.models import ContactConsent, Membership, OutboxMessage, Participant
from formations.outbox import outbox_enqueue
from formations.sms.base import ProviderEvent
from formations.sms.receipts import sms_events_record
from tests.factories.members import (
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db


def _data(**overrides):
    values = {
        "last_name": "Dupont",
        "first_name": "Zoë",
        "email": "zoe.dupont@example.org",
        "phone": "+33612345678",
        "date_of_birth": dt.date(1990, 3, 2),
    }
    values.update(overrides)
    return MemberData(**values)


def test_registering_creates_the_person_membership_groups_and_consents():
    world = alertes_world()
    data = _data(groups=[world.group], consents=[("sms", "structure_news")])

    result = member_register(structure=world.arbrisseau, actor=world.staff, data=data)

    assert result.created
    person = result.membership.participant
    assert person.kind == Participant.Kind.RESIDENT
    assert list(result.membership.groups.all()) == [world.group]
    decision = may_contact(person, "sms", "structure_news", structure=world.arbrisseau)
    assert decision.allowed
    row = ContactConsent.objects.get(participant=person)
    assert row.collected_by == world.staff and row.structure == world.arbrisseau


@pytest.mark.parametrize(
    ("field", "again"),
    [
        ("email", {"email": "ZOE.DUPONT@example.org", "phone": "", "date_of_birth": None}),
        ("phone", {"email": "", "phone": "+33612345678", "date_of_birth": None}),
        (
            "name_birth",
            {"email": "", "phone": "", "last_name": "DUPONT", "first_name": "Zoe"},
        ),
    ],
)
def test_registering_a_person_known_in_the_structure_leads_to_them_and_creates_nothing(
    field, again
):
    world = alertes_world()
    first = member_register(structure=world.arbrisseau, actor=world.admin, data=_data())
    people, memberships = Participant.objects.count(), Membership.objects.count()

    second = member_register(structure=world.arbrisseau, actor=world.staff, data=_data(**again))

    assert not second.created
    assert second.matched_on == field
    assert second.membership == first.membership
    assert (Participant.objects.count(), Membership.objects.count()) == (people, memberships)


def test_a_person_known_only_to_another_structure_is_registered_anew_and_told_nothing():
    world = alertes_world()
    theirs = member_register(structure=world.chemin_rouge, actor=world.other_admin, data=_data())

    ours = member_register(structure=world.arbrisseau, actor=world.admin, data=_data())

    assert ours.created and ours.matched_on == ""
    assert ours.membership.participant != theirs.membership.participant


def test_staff_cannot_register_in_another_structure_nor_use_its_groups():
    world = alertes_world()
    with pytest.raises(PermissionDenied):
        member_register(structure=world.chemin_rouge, actor=world.staff, data=_data())
    with pytest.raises(MemberError) as refused:
        member_register(
            structure=world.arbrisseau, actor=world.admin, data=_data(groups=[world.other_group])
        )
    assert refused.value.code == "foreign_group"
    assert not Participant.objects.exists()


def test_a_consent_given_to_one_structure_lets_no_other_structure_write():
    world = alertes_world()
    ours = MembershipFactory(structure=world.arbrisseau)
    theirs = MembershipFactory(structure=world.chemin_rouge, participant=ours.participant)
    give_structure_consent(ours, "sms")

    assert may_contact(ours.participant, "sms", "structure_news", structure=world.arbrisseau)[0]
    refused = may_contact(theirs.participant, "sms", "structure_news", structure=world.chemin_rouge)
    assert refused.reason == "no_consent"
    with pytest.raises(PermissionDenied):
        consent_give(
            participant=ours.participant,
            channel="sms",
            purpose="structure_news",
            structure=world.arbrisseau,
            method=ContactConsent.Method.ORAL,
            actor=world.other_admin,
        )


def test_a_stop_withdraws_the_structures_consents_and_requested_reminders():
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    give_structure_consent(membership, "sms")
    give_structure_consent(membership, "sms", purpose="admin_reminders")
    person = membership.participant

    sms_events_record(
        events=[
            ProviderEvent(
                provider="console", status="reply", phone=person.phone, text="STOP", message_id="m1"
            )
        ]
    )

    for purpose in ("structure_news", "admin_reminders"):
        decision = may_contact(person, "sms", purpose, structure=world.arbrisseau)
        assert decision.reason == "consent_withdrawn", purpose
    message = outbox_enqueue(
        purpose="alertes_campaign",
        channel="sms",
        recipient=person.phone,
        body="Bonjour",
        participant=person,
        structure=world.arbrisseau,
    )
    assert message.status == OutboxMessage.Status.ABANDONED


def test_a_requested_reminder_is_sent_as_a_service_the_person_asked_for():
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    give_structure_consent(membership, "sms", purpose="admin_reminders")

    message = outbox_enqueue(
        purpose="alertes_step_reminder",
        channel="sms",
        recipient=membership.participant.phone,
        body="Rappel : actualisation France Travail demain.",
        participant=membership.participant,
        structure=world.arbrisseau,
    )

    assert message.status == OutboxMessage.Status.PENDING
    assert message.legal_basis == OutboxMessage.LegalBasis.SERVICE


def test_groups_are_unique_per_structure_by_name_whatever_the_case():
    from django.db import IntegrityError, transaction

    world = alertes_world()
    MemberGroupFactory(structure=world.chemin_rouge, name="Petite enfance")  # another structure
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberGroupFactory(structure=world.arbrisseau, name="PETITE ENFANCE")
