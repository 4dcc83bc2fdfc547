"""A structure's own accounts (seed 002: « création des accès pour sa structure
(animateurs, travailleurs sociaux) »): its administrator creates and deactivates the staff
accounts of their structure, through the account services, which check the actor whatever
page or script calls them."""

import pytest
from django.urls import reverse

from formations import accounts
from formations.accounts import AccountError
from formations.models import AuditEntry, OutboxMessage, User
from tests.factories import ParticipantFactory, UserFactory
from tests.factories.members import alertes_world

pytestmark = pytest.mark.django_db


def _create(actor, **kwargs):
    values = {
        "username": "aelshaarawy",
        "first_name": "Aya",
        "last_name": "Elshaarawy",
        "email": "a.elshaarawy@example.org",
        "role": User.Role.STRUCTURE_STAFF,
    }
    values.update(kwargs)
    return accounts.account_create(actor=actor, **values)


def test_an_administrator_creates_a_staff_account_of_their_structure():
    world = alertes_world()

    account = _create(world.admin, structure=world.arbrisseau)
    accounts.account_send_password_link(user=account, actor=world.admin, reason=accounts.INVITATION)

    assert (account.role, account.structure) == (User.Role.STRUCTURE_STAFF, world.arbrisseau)
    assert not account.has_usable_password()
    link = OutboxMessage.objects.get(purpose="password_link")
    assert link.recipient == "a.elshaarawy@example.org"
    assert "/mot-de-passe/" in link.body
    assert AuditEntry.objects.get(action="account.created").actor == world.admin


@pytest.mark.parametrize(
    "role",
    [
        User.Role.STRUCTURE_ADMIN,
        User.Role.STRUCTURE_REFERENT,
        User.Role.COORDINATOR,
        User.Role.TRAINER,
        User.Role.FUNDER_AUDITOR,
    ],
)
def test_an_administrator_creates_no_other_role(role):
    world = alertes_world()
    with pytest.raises(AccountError) as refused:
        _create(world.admin, role=role, structure=world.arbrisseau)
    assert refused.value.code == "role_not_allowed"
    assert not User.objects.filter(username="aelshaarawy").exists()


def test_an_administrator_creates_nothing_in_another_structure_or_without_one():
    world = alertes_world()
    with pytest.raises(AccountError) as other:
        _create(world.admin, structure=world.chemin_rouge)
    with pytest.raises(AccountError) as none:
        _create(world.admin, structure=None)
    assert (other.value.code, none.value.code) == ("other_structure", "other_structure")
    assert not User.objects.filter(username="aelshaarawy").exists()


def test_staff_and_referents_manage_no_account():
    world = alertes_world()
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.arbrisseau)
    colleague = UserFactory(role=User.Role.STRUCTURE_STAFF, structure=world.arbrisseau)
    for actor in (world.staff, referent):
        with pytest.raises(AccountError) as created:
            _create(actor, structure=world.arbrisseau)
        with pytest.raises(AccountError) as deactivated:
            accounts.account_deactivate(actor=actor, user=colleague)
        with pytest.raises(AccountError) as linked:
            accounts.account_send_password_link(user=colleague, actor=actor)
        assert {created.value.code, deactivated.value.code, linked.value.code} == {"forbidden"}
    colleague.refresh_from_db()
    assert colleague.is_active


def test_deactivation_by_the_administrator_blocks_sign_in_and_is_journaled(client):
    world = alertes_world()
    client.force_login(world.staff)

    accounts.account_deactivate(actor=world.admin, user=world.staff)

    assert client.get(reverse("alertes:home")).status_code == 302  # open session ended
    assert not client.login(username=world.staff.username, password="motdepasse")
    entry = AuditEntry.objects.get(action="account.deactivated")
    assert (entry.actor, entry.object_id) == (world.admin, str(world.staff.pk))

    accounts.account_reactivate(actor=world.admin, user=world.staff)
    assert client.login(username=world.staff.username, password="motdepasse")


def test_an_administrator_deactivates_neither_themself_nor_other_structures_or_roles():
    world = alertes_world()
    other_staff = UserFactory(role=User.Role.STRUCTURE_STAFF, structure=world.chemin_rouge)
    second_admin = UserFactory(role=User.Role.STRUCTURE_ADMIN, structure=world.arbrisseau)
    attempts = {
        "own_account": world.admin,
        "other_structure": other_staff,
        "role_not_allowed": second_admin,
    }
    for code, target in attempts.items():
        with pytest.raises(AccountError) as refused:
            accounts.account_deactivate(actor=world.admin, user=target)
        assert refused.value.code == code
    assert User.objects.filter(is_active=False).count() == 0
    with pytest.raises(AccountError) as coordinator:
        accounts.account_deactivate(actor=world.admin, user=world.coordinator)
    assert coordinator.value.code in ("role_not_allowed", "other_structure")


def test_team_accounts_are_listed_to_their_administrator_and_coordinators_only():
    world = alertes_world()
    UserFactory(role=User.Role.STRUCTURE_STAFF, structure=world.chemin_rouge)
    team = {world.admin, world.staff}

    assert (
        set(accounts.team_accounts_visible_to(user=world.admin, structure=world.arbrisseau)) == team
    )
    assert (
        set(accounts.team_accounts_visible_to(user=world.coordinator, structure=world.arbrisseau))
        == team
    )
    assert not accounts.team_accounts_visible_to(user=world.admin, structure=world.chemin_rouge)
    assert not accounts.team_accounts_visible_to(user=world.staff, structure=world.arbrisseau)


def test_a_coordinator_makes_a_referent_the_administrator_and_they_keep_the_referent_pages(
    client,
):
    world = alertes_world()
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=world.chemin_rouge)
    ParticipantFactory(structure=world.chemin_rouge, last_name="Lemaire")

    accounts.account_update(
        actor=world.coordinator,
        user=referent,
        first_name=referent.first_name,
        last_name=referent.last_name,
        email=referent.email,
        role=User.Role.STRUCTURE_ADMIN,
        structure=world.chemin_rouge,
    )

    referent.refresh_from_db()
    assert (referent.role, referent.structure) == (User.Role.STRUCTURE_ADMIN, world.chemin_rouge)
    client.force_login(referent)
    structure_page = reverse("formations:structure_detail", args=[world.chemin_rouge.pk])
    assert client.get(structure_page).status_code == 200
    participants = client.get(reverse("formations:participant_list"))
    assert "Lemaire" in participants.content.decode()
    assert (
        client.get(reverse("alertes:staff_list", args=[world.chemin_rouge.pk])).status_code == 200
    )
    other = reverse("formations:structure_detail", args=[world.arbrisseau.pk])
    assert client.get(other).status_code == 404


def test_a_structure_role_without_a_structure_is_refused_with_a_clear_message():
    from formations.forms_accounts import AccountForm

    world = alertes_world()
    for role in (User.Role.STRUCTURE_ADMIN, User.Role.STRUCTURE_STAFF):
        form = AccountForm(
            data={
                "username": f"x{role}",
                "first_name": "Rémi",
                "last_name": "Doresse",
                "email": f"{role}@example.org",
                "role": role,
            }
        )
        assert not form.is_valid()
        assert "structure" in form.errors["structure"][0]
        with pytest.raises(AccountError) as refused:
            _create(world.coordinator, role=role, structure=None)
        assert refused.value.field == "structure"
