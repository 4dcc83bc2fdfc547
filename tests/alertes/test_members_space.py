"""A member's own space (`/mon-espace/accords/`): per structure that follows them, what
they agreed to or asked for, each withdrawable (method « lien personnel », no collector),
and nothing of a structure they are not a member of."""

import pytest
from django.urls import reverse

from formations import space
from formations.consent import may_contact
from formations.models import ContactConsent
from tests.factories.members import MembershipFactory, alertes_world, give_structure_consent

pytestmark = pytest.mark.django_db


def _sign_in(client, person):
    session = client.session
    session[space.SESSION_KEY] = person.pk
    session.save()


def test_a_member_sees_and_withdraws_a_structures_consent_from_their_space(client):
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    person = membership.participant
    give_structure_consent(membership, "sms", "email")
    give_structure_consent(membership, "sms", purpose="admin_reminders")
    _sign_in(client, person)

    page = client.get(reverse("space:consents")).content.decode()
    assert "Centre social l&#x27;Arbrisseau" in page
    assert "Chemin Rouge" not in page
    assert page.count("Ne plus recevoir") == 3

    response = client.post(
        reverse("space:consents"), {"withdraw": f"{world.arbrisseau.pk}:sms:structure_news"}
    )

    assert response.url == reverse("space:consents")
    decision = may_contact(person, "sms", "structure_news", structure=world.arbrisseau)
    assert decision.reason == "consent_withdrawn"
    assert may_contact(person, "email", "structure_news", structure=world.arbrisseau).allowed
    assert may_contact(person, "sms", "admin_reminders", structure=world.arbrisseau).allowed
    row = ContactConsent.objects.filter(action="withdrawn").get()
    assert row.method == ContactConsent.Method.WEB_LINK and row.collected_by is None


def test_a_structure_the_person_is_not_a_member_of_is_a_404(client):
    world = alertes_world()
    membership = MembershipFactory(structure=world.arbrisseau)
    _sign_in(client, membership.participant)

    for value in (
        f"{world.chemin_rouge.pk}:sms:structure_news",
        "x:sms:structure_news",
        f"{world.arbrisseau.pk}:sms:service",
        # Too large for a primary key: not found, never a server error (a tester's find).
        "99999999999999999999:sms:structure_news",
    ):
        response = client.post(reverse("space:consents"), {"withdraw": value})
        assert response.status_code == 404, value
    assert not ContactConsent.objects.exists()


@pytest.mark.parametrize("structures", [1, 4])
def test_the_structures_consents_cost_the_same_queries_whatever_the_structures(
    structures, django_assert_num_queries
):
    """Review finding 30: two queries, not one per structure that follows the person."""
    from tests.factories import StructureFactory

    world = alertes_world()
    person = MembershipFactory(structure=world.arbrisseau).participant
    for _ in range(structures - 1):
        membership = MembershipFactory(structure=StructureFactory(), participant=person)
        give_structure_consent(membership, "sms")
    with django_assert_num_queries(2):
        result = space.space_structure_consents(person)
    assert len(result) == structures
    assert sum(row["given"] for entry in result for row in entry["rows"]) == structures - 1
