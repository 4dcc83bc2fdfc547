"""The « Équipe » pages of a structure, the navigation of its administrator and staff, and
what a structure administrator may see of another structure."""

import re

import pytest
from django.urls import reverse

from alertes.models import AlertCampaign
from alertes.selectors import alertes_structure, alertes_structures_visible_to
from formations.members import may_follow_members
from formations.models import AuditEntry, MemberGroup, Membership, OutboxMessage, User
from formations.outbox import outbox_messages_visible_to
from tests.factories import UserFactory
from tests.factories.members import AlertCampaignFactory, MembershipFactory, alertes_world

pytestmark = pytest.mark.django_db


def _team(structure):
    return reverse("alertes:staff_list", args=[structure.pk])


def test_the_administrator_creates_a_staff_account_and_the_link_is_queued(client):
    world = alertes_world()
    client.force_login(world.admin)

    response = client.post(
        reverse("alertes:staff_create", args=[world.arbrisseau.pk]),
        {
            "username": "aelshaarawy",
            "first_name": "Aya",
            "last_name": "Elshaarawy",
            "email": "a.elshaarawy@example.org",
            # A forged field changes nothing: the page fixes role and structure.
            "role": "coordinator",
            "structure": world.chemin_rouge.pk,
        },
    )

    assert response.status_code == 302
    assert response.url == _team(world.arbrisseau)
    account = User.objects.get(username="aelshaarawy")
    assert (account.role, account.structure) == (User.Role.STRUCTURE_STAFF, world.arbrisseau)
    assert OutboxMessage.objects.get(purpose="password_link").recipient == account.email
    listing = client.get(response.url).content.decode()
    assert "ELSHAARAWY Aya" in listing and "mot de passe pas encore choisi" in listing


def test_a_taken_username_is_said_on_its_field(client):
    world = alertes_world()
    client.force_login(world.admin)
    response = client.post(
        reverse("alertes:staff_create", args=[world.arbrisseau.pk]),
        {
            "username": world.staff.username,
            "first_name": "Aya",
            "last_name": "Elshaarawy",
            "email": "a.elshaarawy@example.org",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["username"]


def test_deactivation_is_confirmed_then_the_account_cannot_sign_in(client):
    world = alertes_world()
    client.force_login(world.admin)
    url = reverse("alertes:staff_deactivate", args=[world.arbrisseau.pk, world.staff.pk])

    assert client.get(url).status_code == 200
    unconfirmed = client.post(url, {})
    world.staff.refresh_from_db()
    assert unconfirmed.status_code == 400 and world.staff.is_active

    assert client.post(url, {"confirm": "on"}).status_code == 302
    world.staff.refresh_from_db()
    assert not world.staff.is_active
    assert AuditEntry.objects.filter(action="account.deactivated", actor=world.admin).exists()
    assert not client.login(username=world.staff.username, password="motdepasse")

    again = reverse("alertes:staff_reactivate", args=[world.arbrisseau.pk, world.staff.pk])
    assert client.post(again, {"confirm": "on"}).status_code == 302
    assert client.login(username=world.staff.username, password="motdepasse")


def test_the_administrator_is_told_they_cannot_deactivate_themself(client):
    world = alertes_world()
    client.force_login(world.admin)
    url = reverse("alertes:staff_deactivate", args=[world.arbrisseau.pk, world.admin.pk])
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 400
    assert "votre propre compte" in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_staff_manage_no_account_and_see_no_team_tab(client):
    world = alertes_world()
    client.force_login(world.staff)
    structure = world.arbrisseau.pk
    for url in (
        reverse("alertes:staff_list", args=[structure]),
        reverse("alertes:staff_create", args=[structure]),
        reverse("alertes:staff_deactivate", args=[structure, world.admin.pk]),
        reverse("alertes:staff_reactivate", args=[structure, world.admin.pk]),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"confirm": "on"}).status_code in (403, 405), url
    home = client.get(reverse("alertes:structure_home", args=[structure])).content.decode()
    assert _team(world.arbrisseau) not in home
    assert User.objects.filter(is_active=False).count() == 0


def test_another_structure_s_team_is_a_404_to_an_administrator(client):
    world = alertes_world()
    other_staff = UserFactory(role=User.Role.STRUCTURE_STAFF, structure=world.chemin_rouge)
    client.force_login(world.admin)
    structure = world.chemin_rouge.pk
    for url in (
        reverse("alertes:staff_list", args=[structure]),
        reverse("alertes:staff_create", args=[structure]),
        reverse("alertes:staff_deactivate", args=[structure, other_staff.pk]),
        # Another structure's account through one's own structure's address.
        reverse("alertes:staff_deactivate", args=[world.arbrisseau.pk, other_staff.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"confirm": "on"}).status_code in (404, 405), url
    other_staff.refresh_from_db()
    assert other_staff.is_active


def test_coordinators_see_every_structure_s_team(client):
    world = alertes_world()
    client.force_login(world.coordinator)
    listing = client.get(_team(world.chemin_rouge)).content.decode()
    assert world.other_admin.username in listing and world.staff.username not in listing


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Navigation principale">.*?</nav>', html, re.S).group(0)


def test_staff_navigation_leads_to_alertes_only(client):
    world = alertes_world()
    client.force_login(world.staff)
    home = reverse("alertes:structure_home", args=[world.arbrisseau.pk])

    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 302 and dashboard.url == home

    page = client.get(home).content.decode()
    nav = _nav(page)
    assert f'class="brand" href="{home}"' in page
    assert home in nav and reverse("formations:outbox") in nav
    for training in ("formations:programme_list", "sessions:session_list", "dashboard"):
        assert f'href="{reverse(training)}"' not in nav, training


def test_administrator_navigation_keeps_the_referent_links_and_adds_alertes(client):
    world = alertes_world()
    client.force_login(world.admin)
    home = reverse("alertes:structure_home", args=[world.arbrisseau.pk])

    page = client.get(reverse("dashboard")).content.decode()
    nav = _nav(page)
    assert f'class="brand" href="{home}"' in page
    for link in (
        reverse("formations:programme_list"),
        reverse("formations:participant_list"),
        home,
    ):
        assert f'href="{link}"' in nav, link
    assert _team(world.arbrisseau) in page  # the dashboard's quick link


def test_coordinators_have_an_alertes_link(client):
    world = alertes_world()
    client.force_login(world.coordinator)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("alertes:home")}"' in _nav(page)


def test_an_administrator_sees_nothing_of_another_structure():
    """Groups, members, campaigns, messages: the selectors and checks on main (the pages of
    each part are tested in their own files)."""
    world = alertes_world()
    theirs = MembershipFactory(structure=world.chemin_rouge, groups=[world.other_group])
    ours = MembershipFactory(structure=world.arbrisseau, groups=[world.group])
    AlertCampaignFactory(structure=world.chemin_rouge, groups=[world.other_group])
    OutboxMessage.objects.create(
        purpose="alertes_campaign",
        channel="sms",
        recipient="+33600000001",
        body="Chemin Rouge",
        structure=world.chemin_rouge,
    )
    for user in (world.admin, world.staff):
        assert list(alertes_structures_visible_to(user=user)) == [world.arbrisseau]
        assert not may_follow_members(user, world.chemin_rouge.pk)
        with pytest.raises(Exception) as refused:
            alertes_structure(user=user, pk=world.chemin_rouge.pk)
        assert refused.type.__name__ == "Http404"
        assert not outbox_messages_visible_to(user=user).filter(body="Chemin Rouge").exists()
    # What a page of l'Arbrisseau builds from its structure never holds Chemin Rouge's.
    structure = alertes_structure(user=world.admin, pk=world.arbrisseau.pk)
    assert list(MemberGroup.objects.filter(structure=structure)) == [world.group]
    assert list(Membership.objects.filter(structure=structure)) == [ours]
    assert theirs not in Membership.objects.filter(structure=structure)
    assert not AlertCampaign.objects.filter(structure=structure).exists()


def test_the_alertes_pages_of_another_structure_are_404(client):
    world = alertes_world()
    client.force_login(world.admin)
    structure = world.chemin_rouge.pk
    for name in ("alertes:structure_home", "alertes:staff_list"):
        assert client.get(reverse(name, args=[structure])).status_code == 404, name
    assert client.get(reverse("alertes:home")).url == reverse(
        "alertes:structure_home", args=[world.arbrisseau.pk]
    )


def test_the_coordinators_alertes_home_puts_structures_following_members_first(client):
    world = alertes_world()
    MembershipFactory(structure=world.chemin_rouge)
    client.force_login(world.coordinator)

    page = client.get(reverse("alertes:home")).content.decode()

    following, folded = page.split("<details", 1)
    assert "Chemin Rouge" in following and "Arbrisseau" not in following
    assert "1 structure sans adhérent·e suivi·e" in folded and "Arbrisseau" in folded
