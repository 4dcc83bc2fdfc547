"""A member two structures follow is one record after a merge: neither structure's team
learns anything of the other from any page that shows the person (issue 12, review
finding 1)."""

import pytest
from django.urls import reverse

from alertes.services_merge import members_merge
from formations.history import history_entries
from formations.models import User
from tests.alertes.test_merge_members import _twins
from tests.factories import UserFactory
from tests.factories.members import alertes_world, give_structure_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged():
    """Zoë followed by l'Arbrisseau (the kept record, registered there) and by Chemin
    Rouge, who gave Chemin Rouge (only) her SMS consent."""
    world = alertes_world()
    keep, other = _twins(world)
    give_structure_consent(other, "sms")
    members_merge(keep=keep.participant, other=other.participant, actor=world.coordinator)
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.arbrisseau)
    return world, keep, referent


def _pages(world, keep, user):
    """(whose page, URL) of every page that may show the person to `user`."""
    person = keep.participant_id
    urls = [
        ("formations", reverse("formations:participant_list") + "?person=all"),
        ("formations", reverse("formations:participant_list") + "?person=members"),
        ("formations", reverse("formations:structure_detail", args=[world.arbrisseau.pk])),
        ("formations", reverse("formations:participant_detail", args=[person])),
        ("formations", reverse("formations:participant_edit", args=[person])),
        ("formations", reverse("formations:participant_consents", args=[person])),
        ("formations", reverse("formations:participant_history", args=[person])),
    ]
    if user.role == User.Role.STRUCTURE_ADMIN:
        urls += [
            ("alertes", reverse("alertes:member_list", args=[world.arbrisseau.pk])),
            ("alertes", reverse("alertes:member_detail", args=[world.arbrisseau.pk, keep.pk])),
            ("alertes", reverse("alertes:member_consents", args=[world.arbrisseau.pk, keep.pk])),
        ]
    return urls


@pytest.mark.parametrize("who", ["admin", "referent"])
def test_a_structure_sees_nothing_of_the_other_structure_that_follows_a_merged_member(
    client, merged, who
):
    world, keep, referent = merged
    user = world.admin if who == "admin" else referent
    client.force_login(user)
    for app, url in _pages(world, keep, user):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        text = response.content.decode()
        assert "Chemin Rouge" not in text, url
        assert "Jeunesse" not in text, url
        if app == "formations":
            # The programmes' pages: a member is neither listed nor shown there, so
            # neither is the SMS consent Chemin Rouge received.
            assert "dupont" not in text.lower(), url
            assert "actualité" not in text.lower(), url
    # The person's page in Alertes: l'Arbrisseau's rows only, and no SMS consent (given
    # to Chemin Rouge only).
    if who == "admin":
        response = client.get(reverse("alertes:member_detail", args=[world.arbrisseau.pk, keep.pk]))
        assert response.status_code == 200
        text = response.content.decode()
        assert "DUPONT Zoë" in text
        assert "donné le" not in text and "Texte accepté" not in text


def test_the_coordinator_still_sees_everything_and_an_auditor_no_member_entries(merged):
    world, keep, _ = merged
    person = keep.participant
    actions = {e.action for e in history_entries(obj=person, user=world.coordinator)}
    assert "members_merged" in actions
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    assert not any(e.action.startswith("member") for e in history_entries(obj=person, user=auditor))
