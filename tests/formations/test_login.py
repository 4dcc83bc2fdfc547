import pytest
from django.urls import reverse

from formations.models import User
from tests.factories import UserFactory

MESSAGE = "Identifiant ou mot de passe incorrect."


@pytest.fixture
def account(db):
    user = UserFactory(username="claire", role=User.Role.COORDINATOR)
    user.set_password("le-bon-mot-de-passe")
    user.save()
    return user


@pytest.mark.parametrize(
    ("username", "password", "active"),
    [
        ("personne", "le-bon-mot-de-passe", True),  # unknown account
        ("claire", "mauvais", True),  # wrong password
        ("claire", "le-bon-mot-de-passe", False),  # deactivated account
    ],
    ids=["unknown", "wrong_password", "inactive"],
)
def test_login_failure_says_the_same_thing_whatever_was_wrong(
    client, account, username, password, active
):
    account.is_active = active
    account.save()

    response = client.post(reverse("login"), {"username": username, "password": password})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count(MESSAGE) == 1
    assert "inactif" not in body
    assert "sensible à la casse" not in body
    assert "_auth_user_id" not in client.session


def test_login_with_right_password_signs_in(client, account):
    response = client.post(
        reverse("login"), {"username": "claire", "password": "le-bon-mot-de-passe"}
    )

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == account.pk


def test_login_page_labels_its_fields(client, db):
    body = client.get(reverse("login")).content.decode()

    assert '<label for="id_username">' in body
    assert '<label for="id_password">' in body
