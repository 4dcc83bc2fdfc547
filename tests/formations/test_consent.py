import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from formations.consent import (
    ConsentError,
    annotate_current_consents,
    consent_collectors,
    consent_give,
    consent_history,
    consent_withdraw,
    current_consents,
    given_purposes,
    may_contact,
    may_contact_address,
    may_contact_many,
)
from formations.models import AuditEntry, ContactConsent, LegalBasis, Participant, User
from tests.factories import ContactConsentFactory, ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

MOBILE = "+262639691234"


@pytest.fixture
def person():
    return ParticipantFactory(email="awa@example.org", phone=MOBILE)


def give(person, actor, channel="sms", purpose="news_campaigns", **kwargs):
    return consent_give(
        participant=person,
        channel=channel,
        purpose=purpose,
        method=ContactConsent.Method.PAPER,
        actor=actor,
        **kwargs,
    )


def test_service_messages_need_no_consent_only_an_address(person):
    decision = may_contact(person, "sms", "service")

    assert decision == (True, "service")
    assert decision.legal_basis == LegalBasis.SERVICE
    assert may_contact(ParticipantFactory(email=""), "email", "service") == (False, "no_address")


@pytest.mark.parametrize(
    ("phone", "reason"),
    [("", "no_address"), ("06 12", "invalid_phone"), ("+33327469223", "not_mobile")],
)
def test_sms_needs_a_valid_mobile_even_for_service_messages(phone, reason):
    person = ParticipantFactory(phone=phone)

    assert may_contact(person, "sms", "service") == (False, reason)


def test_news_need_consent_for_that_channel(person, coordinator):
    assert may_contact(person, "sms", "news_campaigns") == (False, "no_consent")

    give(person, coordinator, channel="email")

    assert may_contact(person, "email", "news_campaigns") == (True, "consent")
    assert may_contact(person, "sms", "news_campaigns") == (False, "no_consent")
    assert may_contact(person, "email", "evaluation_follow_up") == (False, "no_consent")
    assert may_contact(person, "email", "news_campaigns").legal_basis == LegalBasis.CONSENT


def test_withdrawal_is_a_new_row_and_wins(person, coordinator):
    given = give(person, coordinator)

    [withdrawn] = consent_withdraw(
        participant=person,
        channel="sms",
        purposes=["news_campaigns"],
        method=ContactConsent.Method.WRITTEN,
        actor=coordinator,
        note="courriel du 3 mars",
    )

    assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")
    given.refresh_from_db()
    assert given.action == "given", "the grant stays as proof"
    assert list(consent_history(person)) == [withdrawn, given]
    assert (withdrawn.collected_by, withdrawn.method, withdrawn.note) == (
        coordinator,
        "written",
        "courriel du 3 mars",
    )
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == [
        "consent_given",
        "consent_withdrawn",
    ]


def test_consent_records_wording_version_date_and_collector(person, coordinator):
    signed = timezone.now() - dt.timedelta(days=10)

    row = give(person, coordinator, at=signed)

    assert (row.wording_version, row.at, row.collected_by) == ("v1", signed, coordinator)
    entry = AuditEntry.objects.get(action="consent_given")
    assert entry.actor == coordinator
    assert entry.data["wording_version"] == "v1"
    assert entry.object_id == str(person.pk)


def test_a_paper_consent_dated_before_a_withdrawal_does_not_revive_it(person, coordinator):
    consent_withdraw(
        participant=person, channel="sms", method=ContactConsent.Method.SMS_STOP, actor=None
    )

    give(person, coordinator, at=timezone.now() - dt.timedelta(days=7))

    assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")


def test_consent_given_again_after_withdrawal_counts(person, coordinator):
    give(person, coordinator, at=timezone.now() - dt.timedelta(days=7))
    consent_withdraw(
        participant=person,
        channel="sms",
        purposes=["news_campaigns"],
        method=ContactConsent.Method.ORAL,
        actor=coordinator,
        at=timezone.now() - dt.timedelta(days=1),
    )

    give(person, coordinator)

    assert may_contact(person, "sms", "news_campaigns") == (True, "consent")
    assert ContactConsent.objects.filter(participant=person).count() == 3


def test_withdrawing_twice_writes_once(person):
    first = consent_withdraw(
        participant=person, channel="sms", method=ContactConsent.Method.SMS_STOP, actor=None
    )
    second = consent_withdraw(
        participant=person, channel="sms", method=ContactConsent.Method.SMS_STOP, actor=None
    )

    assert [row.purpose for row in first] == ["evaluation_follow_up", "news_campaigns"]
    assert second == []


def test_only_coordinators_record_consent(person):
    trainer = UserFactory(role=User.Role.TRAINER)

    with pytest.raises(PermissionDenied):
        give(person, trainer)
    with pytest.raises(PermissionDenied):
        consent_withdraw(
            participant=person, channel="sms", method=ContactConsent.Method.ORAL, actor=trainer
        )
    assert not ContactConsent.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"purpose": "service"}, "not_a_consent_purpose"),
        ({"at": timezone.now() + dt.timedelta(days=1)}, "future_date"),
        ({"wording_version": "v9"}, "unknown_wording"),
    ],
)
def test_impossible_consents_are_refused_with_a_code(person, coordinator, kwargs, code):
    with pytest.raises(ConsentError) as error:
        give(person, coordinator, **kwargs)

    assert error.value.code == code
    assert not ContactConsent.objects.exists()
    assert not AuditEntry.objects.exists()


def test_current_consents_lists_every_channel_and_purpose(person, coordinator):
    row = give(person, coordinator, channel="email", purpose="evaluation_follow_up")

    state = current_consents(person)

    assert state == {
        ("email", "evaluation_follow_up"): row,
        ("sms", "evaluation_follow_up"): None,
        ("email", "news_campaigns"): None,
        ("sms", "news_campaigns"): None,
    }


def test_may_contact_many_decides_a_campaign_in_one_query(django_assert_num_queries):
    consenting, withdrawn, silent = ParticipantFactory.create_batch(3, phone=MOBILE)
    ContactConsentFactory(participant=consenting, channel="sms", purpose="news_campaigns")
    ContactConsentFactory(participant=withdrawn, channel="sms", purpose="news_campaigns")
    ContactConsentFactory(
        participant=withdrawn,
        channel="sms",
        purpose="news_campaigns",
        action="withdrawn",
        wording_version="",
        at=timezone.now() + dt.timedelta(seconds=1),
    )
    people = [consenting, withdrawn, silent]

    with django_assert_num_queries(1):
        decisions = may_contact_many(people, "sms", "news_campaigns")

    assert decisions == {
        consenting.pk: (True, "consent"),
        withdrawn.pk: (False, "consent_withdrawn"),
        silent.pk: (False, "no_consent"),
    }


def test_annotations_give_the_current_state_per_channel(person, coordinator):
    give(person, coordinator, channel="email", purpose="evaluation_follow_up")
    give(person, coordinator, channel="sms", purpose="news_campaigns")
    consent_withdraw(
        participant=person, channel="sms", method=ContactConsent.Method.SMS_STOP, actor=None
    )

    annotated = annotate_current_consents(Participant.objects.filter(pk=person.pk)).get()

    assert given_purposes(annotated, "email") == ["evaluation_follow_up"]
    assert given_purposes(annotated, "sms") == []


def test_a_given_consent_names_its_wording_in_the_database(person):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ContactConsent.objects.create(
            participant=person,
            channel="sms",
            purpose="news_campaigns",
            action="given",
            wording_version="",
            method="paper",
        )


def test_the_collector_may_be_another_account_and_is_journaled(person, coordinator, trainer):
    row = give(person, coordinator, collected_by=trainer, note="bulletin du 12 mars")

    assert (row.collected_by, row.note) == (trainer, "bulletin du 12 mars")
    entry = AuditEntry.objects.get(action="consent_given")
    assert entry.actor == coordinator
    assert (entry.data["collected_by"], entry.data["note"]) == (trainer.pk, "bulletin du 12 mars")


@pytest.mark.parametrize("who", ["inactive", "auditor"])
def test_a_collector_must_be_an_active_account_that_meets_people(person, coordinator, who):
    collector = (
        UserFactory(role=User.Role.TRAINER, is_active=False)
        if who == "inactive"
        else UserFactory(role=User.Role.FUNDER_AUDITOR)
    )

    with pytest.raises(ConsentError) as error:
        give(person, coordinator, collected_by=collector)
    with pytest.raises(ConsentError):
        consent_withdraw(
            participant=person,
            channel="sms",
            method=ContactConsent.Method.ORAL,
            actor=coordinator,
            collected_by=collector,
        )

    assert error.value.code == "inactive_collector"
    assert not ContactConsent.objects.exists()


def test_consent_collectors_are_active_coordinators_trainers_and_referents(
    coordinator, trainer, referent, auditor
):
    UserFactory(role=User.Role.TRAINER, is_active=False)

    assert set(consent_collectors()) == {coordinator, trainer, referent}


def test_participant_consents_record_writes_all_changes_or_none(person, coordinator):
    from formations.services import participant_consents_record

    give(person, coordinator, channel="email", purpose="news_campaigns")
    changes = [("sms", "news_campaigns", True), ("email", "news_campaigns", False)]

    rows = participant_consents_record(
        participant=person, changes=changes, method="oral", actor=coordinator
    )

    assert [(r.channel, r.action) for r in rows] == [("sms", "given"), ("email", "withdrawn")]
    with pytest.raises(ConsentError):
        participant_consents_record(
            participant=person,
            changes=[("email", "news_campaigns", True), ("sms", "service", True)],
            method="oral",
            actor=coordinator,
        )
    assert may_contact(person, "email", "news_campaigns") == (False, "consent_withdrawn")


class TestMayContactAddress:
    """What the outbox asks of a row, which holds an address and not a person."""

    def test_service_messages_go_to_any_usable_address(self):
        assert may_contact_address("email", "staff@example.org", "service") == (True, "service")
        assert may_contact_address("sms", MOBILE, "service") == (True, "service")
        assert may_contact_address("sms", "+33327469223", "service") == (False, "not_mobile")
        assert may_contact_address("sms", "0612", "service") == (False, "invalid_phone")
        assert may_contact_address("email", " ", "service") == (False, "no_address")

    def test_consent_purposes_follow_the_person_holding_the_address(self, person, coordinator):
        assert may_contact_address("email", "AWA@example.org", "news_campaigns") == (
            False,
            "no_consent",
        )
        give(person, coordinator, channel="email")

        assert may_contact_address("email", "AWA@example.org", "news_campaigns") == (
            True,
            "consent",
        )
        assert may_contact_address("email", "nobody@example.org", "news_campaigns") == (
            False,
            "no_consent",
        )

    def test_a_shared_phone_is_allowed_while_one_holder_consents(self, person, coordinator):
        other = ParticipantFactory(phone=MOBILE)
        give(other, coordinator, channel="sms")

        assert may_contact_address("sms", MOBILE, "news_campaigns") == (True, "consent")

        consent_withdraw(
            participant=other, channel="sms", method=ContactConsent.Method.SMS_STOP, actor=None
        )
        assert may_contact_address("sms", MOBILE, "news_campaigns") == (False, "no_consent")
