"""Coordinators merge two records of one member across structures (issue 12): the
duplicates page, the merge moving everything, refusals, and who may."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from alertes.models import AdministrativeStep, CampaignRecipient
from alertes.selectors_merge import likely_duplicates
from alertes.services_merge import MEMBERSHIP_RELATIONS, PARTICIPANT_RELATIONS, members_merge
from formations.consent import may_contact
from formations.members import MemberError
from formations.models import (
    AuditEntry,
    ContactConsent,
    Membership,
    OutboxMessage,
    Participant,
)
from tests.factories import ParticipantFactory
from tests.factories.members import (
    AdministrativeStepFactory,
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db


def _message(person, structure, channel="sms"):
    return OutboxMessage.objects.create(
        channel=channel,
        purpose="alertes_campaign",
        recipient=person.phone or "x@example.org",
        body="Bonjour",
        participant=person,
        structure=structure,
    )


def _twins(world):
    """The same Zoë registered at l'Arbrisseau (phone, no date of birth) and at Chemin
    Rouge (same phone, an e-mail and a date of birth)."""
    keep = MembershipFactory(
        structure=world.arbrisseau,
        participant__last_name="Dupont",
        participant__first_name="Zoë",
        participant__email="",
        participant__phone="+33612345678",
        participant__date_of_birth=None,
        groups=[world.group],
    )
    other = MembershipFactory(
        structure=world.chemin_rouge,
        participant__last_name="Dupont",
        participant__first_name="Zoe",
        participant__email="zoe@example.org",
        participant__phone="+33612345678",
        participant__date_of_birth=dt.date(1990, 3, 2),
        groups=[world.other_group],
    )
    return keep, other


def test_the_duplicates_page_lists_likely_pairs_with_a_bounded_number_of_queries(
    client, django_assert_max_num_queries
):
    world = alertes_world()
    keep, other = _twins(world)
    # Same e-mail in another case; same name and date of birth; a professional namesake is
    # not a member and never listed.
    MembershipFactory(structure=world.arbrisseau, participant__email="A@example.org")
    MembershipFactory(structure=world.chemin_rouge, participant__email="a@example.org")
    for index in range(6):
        birth = dt.date(1970, 1, 1 + index)
        for structure in (world.arbrisseau, world.chemin_rouge):
            MembershipFactory(
                structure=structure,
                participant__last_name=f"Martin{index}",
                participant__first_name="Léa",
                participant__date_of_birth=birth,
            )
    ParticipantFactory(email="zoe@example.org", kind=Participant.Kind.PROFESSIONAL)
    pairs = likely_duplicates()
    assert len(pairs) == 8
    zoe = next(
        p for p in pairs if {p.first.pk, p.second.pk} == {keep.participant_id, other.participant_id}
    )
    assert zoe.reasons == ["phone"]
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("alertes:duplicates"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Centre social du Chemin Rouge" in text and "même numéro de téléphone" in text
    assert reverse("alertes:merge", args=[keep.participant_id, other.participant_id]) in text


def test_merge_moves_memberships_consents_messages_and_fills_blank_fields():
    world = alertes_world()
    keep, other = _twins(world)
    give_structure_consent(other, "sms")
    message = _message(other.participant, world.chemin_rouge)
    step = AdministrativeStepFactory(membership=other)
    person = members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)
    assert not Participant.objects.filter(pk=other.participant_id).exists()
    assert person.email == "zoe@example.org"
    assert person.date_of_birth == dt.date(1990, 3, 2)
    assert person.first_name == "Zoë"  # kept's own values win
    assert set(person.memberships.values_list("structure", flat=True)) == {
        world.arbrisseau.pk,
        world.chemin_rouge.pk,
    }
    other.refresh_from_db()
    assert other.participant == person
    assert list(other.groups.all()) == [world.other_group]
    assert may_contact(person, "sms", "structure_news", structure=world.chemin_rouge).allowed
    assert not may_contact(person, "sms", "structure_news", structure=world.arbrisseau).allowed
    message.refresh_from_db()
    assert message.participant == person
    step.refresh_from_db()
    assert step.membership == other
    entry = AuditEntry.objects.get(action="members_merged")
    assert entry.data["keep_id"] == person.pk and entry.data["other_id"]
    # Each structure still sees only its own membership.
    assert Membership.objects.filter(structure=world.arbrisseau, participant=person).count() == 1
    assert Membership.objects.filter(structure=world.chemin_rouge, participant=person).count() == 1


def test_two_memberships_of_one_structure_fold_into_one():
    world = alertes_world()
    culture = MemberGroupFactory(structure=world.arbrisseau, name="Culture")
    keep = MembershipFactory(structure=world.arbrisseau, groups=[world.group])
    other = MembershipFactory(structure=world.arbrisseau, groups=[culture], note="Vient le mardi")
    Membership.objects.filter(pk=other.pk).update(
        registered_at=keep.registered_at - dt.timedelta(days=30)
    )
    earliest = Membership.objects.get(pk=other.pk).registered_at
    # The same address: the consent given for it still counts after the merge.
    Participant.objects.filter(pk=other.participant_id).update(email=keep.participant.email)
    other.participant.refresh_from_db()
    give_structure_consent(other, "email")
    step = AdministrativeStepFactory(membership=other)
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    chosen = AlertCampaignFactory(structure=world.arbrisseau)
    chosen.members.add(other)
    # Both were recipients of the same campaign on SMS: only the other was sent it.
    CampaignRecipient.objects.create(
        campaign=sent, membership=keep, channel="sms", skipped_reason="pas de consentement"
    )
    CampaignRecipient.objects.create(
        campaign=sent,
        membership=other,
        channel="sms",
        message=_message(other.participant, world.arbrisseau),
    )
    CampaignRecipient.objects.create(campaign=sent, membership=other, channel="email")

    members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)

    assert not Membership.objects.filter(pk=other.pk).exists()
    keep.refresh_from_db()
    assert set(keep.groups.all()) == {world.group, culture}
    assert keep.registered_at == earliest
    assert keep.note == "Vient le mardi"
    step.refresh_from_db()
    assert step.membership == keep
    assert list(chosen.members.all()) == [keep]
    rows = {
        (r.channel, r.message_id is not None)
        for r in CampaignRecipient.objects.filter(campaign=sent)
    }
    assert rows == {("sms", True), ("email", False)}
    assert CampaignRecipient.objects.filter(campaign=sent, membership=keep).count() == 2
    assert ContactConsent.objects.filter(participant=keep.participant).count() == 1


def test_merge_refuses_professionals_the_same_person_and_non_coordinators():
    world = alertes_world()
    keep, other = _twins(world)
    professional = ParticipantFactory(kind=Participant.Kind.PROFESSIONAL)
    with pytest.raises(MemberError) as refused:
        members_merge(keep=keep.participant, other=professional, actor=world.coordinator)
    assert refused.value.code == "professional"
    with pytest.raises(MemberError) as refused:
        members_merge(keep=keep.participant, other=keep.participant, actor=world.coordinator)
    assert refused.value.code == "same_person"
    for user in (world.admin, world.staff):
        with pytest.raises(PermissionDenied):
            members_merge(keep=keep.participant, other=other.participant, actor=user)
    assert Participant.objects.filter(pk=other.participant_id).exists()
    assert Participant.objects.filter(pk=professional.pk).exists()


def test_the_merge_page_shows_both_records_then_merges(client):
    world = alertes_world()
    keep, other = _twins(world)
    url = reverse("alertes:merge", args=[keep.participant_id, other.participant_id])
    for user in (world.admin, world.staff, world.other_admin):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
        assert client.get(reverse("alertes:duplicates")).status_code == 403
    client.force_login(world.coordinator)
    page = client.get(url).content.decode()
    assert "zoe@example.org" in page and "repris de la fiche supprimée" in page
    assert (
        client.get(reverse("alertes:merge", args=[keep.participant_id, 999999])).status_code == 404
    )
    response = client.post(url)
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=other.participant_id).exists()
    # Posted twice: the second finds nothing (404), nothing else happens.
    assert client.post(url).status_code == 404


def test_the_merge_page_explains_a_refusal(client):
    world = alertes_world()
    keep, _other = _twins(world)
    professional = ParticipantFactory(kind=Participant.Kind.PROFESSIONAL)
    client.force_login(world.coordinator)
    url = reverse("alertes:merge", args=[keep.participant_id, professional.pk])
    page = client.get(url).content.decode()
    assert "professionnel·le en formation" in page and "Fusionner les deux fiches" not in page
    response = client.post(url, follow=True)
    assert "professionnel·le en formation" in response.content.decode()
    assert Participant.objects.filter(pk=professional.pk).exists()


def test_every_relation_of_a_member_is_handled_by_the_merge():
    """A new model pointing at a Participant or a Membership must be dealt with by the
    merge (moved, deleted, or refused via `merge_refusal`)."""
    membership_relations = {
        relation.related_model._meta.label for relation in Membership._meta.related_objects
    }
    assert membership_relations == set(MEMBERSHIP_RELATIONS)
    for label in PARTICIPANT_RELATIONS:
        assert label in {r.related_model._meta.label for r in Participant._meta.related_objects}
    assert AdministrativeStep._meta.label in MEMBERSHIP_RELATIONS


def test_merge_refuses_a_record_with_training_data():
    from tests.factories import EnrolmentFactory

    world = alertes_world()
    keep, other = _twins(world)
    EnrolmentFactory(participant=other.participant)
    with pytest.raises(MemberError) as refused:
        members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)
    assert refused.value.code == "linked_records"
    assert Participant.objects.filter(pk=other.participant_id).exists()


def test_consents_given_for_a_phone_the_merge_drops_stop_counting():
    """Review finding 15: the kept record's number P1 said STOP to l'Arbrisseau; the other
    record gave l'Arbrisseau its SMS consent later, for P2. After the merge (P1 kept), P1
    must not receive l'Arbrisseau's SMS again: a withdrawal « fusion » is written, and
    shown beforehand on the confirmation page. The e-mail consent (same address) stands."""
    from formations.consent import consent_withdraw

    world = alertes_world()
    keep, other = _twins(world)
    Participant.objects.filter(pk=other.participant_id).update(
        phone="+33699999999", email="zoe@example.org"
    )
    Participant.objects.filter(pk=keep.participant_id).update(email="ZOE@example.org")
    other.participant.refresh_from_db()
    keep.participant.refresh_from_db()
    give_structure_consent(keep, "sms")
    consent_withdraw(
        participant=keep.participant,
        channel="sms",
        structure=world.arbrisseau,
        method=ContactConsent.Method.SMS_STOP,
        actor=None,
    )
    second = MembershipFactory(structure=world.arbrisseau, participant=other.participant)
    give_structure_consent(second, "sms", "email")

    client = Client()
    client.force_login(world.coordinator)
    page = client.get(
        reverse("alertes:merge", args=[keep.participant_id, other.participant_id])
    ).content.decode()
    assert "Accords qui ne compteront plus" in page
    assert "Centre social l&#x27;Arbrisseau" in page

    person = members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)
    assert person.phone == "+33612345678"
    assert not may_contact(person, "sms", "structure_news", structure=world.arbrisseau).allowed
    assert may_contact(person, "email", "structure_news", structure=world.arbrisseau).allowed
    row = ContactConsent.objects.filter(participant=person).order_by("-at", "-pk").first()
    assert row.method == ContactConsent.Method.MERGE
    assert row.action == ContactConsent.Action.WITHDRAWN and row.channel == "sms"
    assert "autre numéro" in row.note
    entry = AuditEntry.objects.get(action="members_merged")
    assert entry.data["withdrawn_for_dropped_address"] == [
        ["sms", "structure_news", world.arbrisseau.pk]
    ]


def test_the_same_phone_keeps_the_consents_and_the_page_warns_of_nothing(client):
    world = alertes_world()
    keep, other = _twins(world)  # same phone
    give_structure_consent(other, "sms")
    client.force_login(world.coordinator)
    page = client.get(reverse("alertes:merge", args=[keep.participant_id, other.participant_id]))
    assert "Accords qui ne compteront plus" not in page.content.decode()
    person = members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)
    assert may_contact(person, "sms", "structure_news", structure=world.chemin_rouge).allowed
    assert not ContactConsent.objects.filter(method=ContactConsent.Method.MERGE).exists()
