"""The unsubscribe links of the members' e-mails (alertes.unsubscribe,
alertes.views_unsubscribe): each names its purpose, links of the first campaigns (no
purpose) still work, and a link of a record merged away since withdraws on the person
kept."""

import pytest
from django.core import signing
from django.urls import reverse

from alertes.services_merge import members_merge
from alertes.unsubscribe import SALT, read_unsubscribe_token, unsubscribe_token
from formations.consent import may_contact
from formations.models import ContactConsent
from tests.factories.members import MembershipFactory, alertes_world, give_structure_consent

pytestmark = pytest.mark.django_db


def test_a_campaign_link_written_before_purposes_still_unsubscribes_from_the_news(client):
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    give_structure_consent(membership, "email")
    give_structure_consent(membership, "email", purpose="admin_reminders")
    person = membership.participant
    old = signing.dumps({"p": person.pk, "s": world.arbrisseau.pk}, salt=SALT, compress=True)
    assert read_unsubscribe_token(old).purpose == "structure_news"

    page = client.get(reverse("alertes:unsubscribe", args=[old])).content.decode()
    assert "Ne plus recevoir les actualités par e-mail" in page
    client.post(reverse("alertes:unsubscribe", args=[old]))

    news = may_contact(person, "email", "structure_news", structure=world.arbrisseau)
    assert news.reason == "consent_withdrawn"
    assert may_contact(person, "email", "admin_reminders", structure=world.arbrisseau).allowed


def test_a_token_with_an_unknown_purpose_is_refused(client):
    world = alertes_world()
    person = MembershipFactory(structure=world.arbrisseau).participant
    forged = signing.dumps(
        {"p": person.pk, "s": world.arbrisseau.pk, "k": "service"}, salt=SALT, compress=True
    )
    assert read_unsubscribe_token(forged) is None
    assert client.post(reverse("alertes:unsubscribe", args=[forged])).status_code == 404
    with pytest.raises(ValueError):
        unsubscribe_token(participant_id=person.pk, structure_id=1, purpose="service")


@pytest.mark.parametrize("purpose", ["structure_news", "admin_reminders"])
def test_the_link_of_a_record_merged_away_withdraws_on_the_person_kept(client, purpose):
    world = alertes_world()
    # One person, one address, two records (the merge keeps consents for the address kept).
    same = {"participant__email": "madeleine.dupont@example.org"}
    keep = MembershipFactory(structure=world.arbrisseau, **same)
    other = MembershipFactory(structure=world.chemin_rouge, **same)
    give_structure_consent(other, "email", purpose=purpose)
    link = reverse(
        "alertes:unsubscribe",
        args=[
            unsubscribe_token(
                participant_id=other.participant_id,
                structure_id=world.chemin_rouge.pk,
                purpose=purpose,
            )
        ],
    )
    members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)
    kept = keep.participant
    assert may_contact(kept, "email", purpose, structure=world.chemin_rouge).allowed

    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 200

    decision = may_contact(kept, "email", purpose, structure=world.chemin_rouge)
    assert not decision.allowed
    row = ContactConsent.objects.filter(participant=kept, channel="email").latest("at", "pk")
    assert (row.action, row.purpose, row.method) == ("withdrawn", purpose, "web_link")


def test_a_link_of_a_record_merged_twice_follows_both_merges(client):
    world = alertes_world()
    same = {"participant__email": "madeleine.dupont@example.org"}
    first = MembershipFactory(structure=world.arbrisseau, **same)
    second = MembershipFactory(structure=world.chemin_rouge, **same)
    third = MembershipFactory(structure=world.chemin_rouge, **same)
    give_structure_consent(third, "email")
    token = unsubscribe_token(
        participant_id=third.participant_id, structure_id=world.chemin_rouge.pk
    )
    members_merge(keep=second.participant, other=third.participant, actor=world.coordinator)
    members_merge(keep=first.participant, other=second.participant, actor=world.coordinator)

    client.post(reverse("alertes:unsubscribe", args=[token]))

    news = may_contact(first.participant, "email", "structure_news", structure=world.chemin_rouge)
    assert news.reason == "consent_withdrawn"


def test_a_link_of_a_deleted_record_never_merged_is_invalid(client):
    world = alertes_world()
    token = unsubscribe_token(participant_id=987654, structure_id=world.arbrisseau.pk)
    response = client.post(reverse("alertes:unsubscribe", args=[token]))
    assert response.status_code == 404
    assert "Lien de désinscription invalide" in response.content.decode()
