"""The account pages of coordinators and the public password pages."""

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations.models import AuditEntry, Funder, OutboxMessage, User
from tests.factories import FunderFactory, StructureFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("formations:account_list")
CREATE_URL = reverse("formations:account_create")


def _url(name, user):
    return reverse(f"formations:{name}", args=[user.pk])


def _account_data(**kwargs):
    data = {
        "username": "amasson",
        "first_name": "Anissa",
        "last_name": "Masson",
        "email": "anissa.masson@example.org",
        "role": User.Role.TRAINER,
    }
    data.update(kwargs)
    return data


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["trainer", "auditor", "referent"])
def test_account_pages_are_for_coordinators_only(client, request, role):
    target = UserFactory(role=User.Role.TRAINER)
    client.force_login(request.getfixturevalue(role))

    for url in (
        LIST_URL,
        CREATE_URL,
        _url("account_detail", target),
        _url("account_edit", target),
        _url("account_deactivate", target),
        _url("account_reactivate", target),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, _account_data()).status_code == 403, url
    assert client.post(_url("account_send_link", target)).status_code == 403
    assert User.objects.count() == 2
    assert mail.outbox == []


def test_navigation_offers_accounts_to_coordinators_only(client, coordinator, trainer):
    client.force_login(coordinator)
    assert LIST_URL in client.get(reverse("dashboard")).content.decode()
    client.force_login(trainer)
    assert LIST_URL not in client.get(reverse("dashboard")).content.decode()


# --- list ---------------------------------------------------------------------------------


def test_list_shows_role_scope_and_state(client, coordinator):
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR, last_name="Delattre")
    auditor.funders.add(FunderFactory(), FunderFactory(name="FSE", kind=Funder.Kind.FSE))
    UserFactory(
        role=User.Role.STRUCTURE_REFERENT,
        structure=StructureFactory(name="CCAS de Mamoudzou"),
        is_active=False,
    )
    client.force_login(coordinator)

    page = client.get(LIST_URL).content.decode()
    exported = client.get(LIST_URL, {"_export": "csv"}).getvalue().decode("utf-8-sig")

    assert "FEDER, FSE" in page and "CCAS de Mamoudzou" in page
    assert "désactivé" in page and "jamais" in page
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert rows[0] == [
        "Nom",
        "Nom d’utilisateur",
        "E-mail",
        "Rôle",
        "Périmètre",
        "État",
        "Dernière connexion",
    ]
    (row,) = [row for row in rows if row[1] == auditor.username]
    assert (row[0], row[3], row[4], row[5], row[6]) == (
        "DELATTRE",
        "Auditeur·rice financeur",
        "FEDER, FSE",
        "actif",
        "",
    )


def test_list_filters_by_role_and_state(client, coordinator):
    UserFactory(role=User.Role.TRAINER, username="formateur-actif")
    UserFactory(role=User.Role.TRAINER, username="formateur-parti", is_active=False)
    client.force_login(coordinator)

    response = client.get(LIST_URL, {"role": "trainer", "is_active": "0"})

    usernames = [record.username for record in response.context["table"].data]
    assert usernames == ["formateur-parti"]


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_list_query_count_constant_for_10_and_200_accounts(
    client, coordinator, export, django_assert_max_num_queries
):
    client.force_login(coordinator)
    funder = FunderFactory()

    def add(n):
        for _ in range(n):
            UserFactory(role=User.Role.FUNDER_AUDITOR).funders.add(funder)
            UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=StructureFactory())

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST_URL, {"_export": export} if export else {})
            response.getvalue()  # a streamed export queries while it is read
        assert response.status_code == 200
        return len(ctx)

    add(5)
    with django_assert_max_num_queries(12):
        small = count()
    add(95)
    with django_assert_max_num_queries(12):
        large = count()
    assert large == small


# --- create -------------------------------------------------------------------------------


def test_create_auditor_without_funder_shows_the_error_on_the_field(client, coordinator):
    client.force_login(coordinator)

    response = client.post(CREATE_URL, _account_data(role=User.Role.FUNDER_AUDITOR))

    assert response.status_code == 200
    assert response.context["form"].errors["funders"] == [
        "Un·e auditeur·rice financeur doit avoir au moins un financeur."
    ]
    assert not User.objects.filter(username="amasson").exists()
    assert mail.outbox == []


def test_create_referent_without_structure_shows_the_error_on_the_field(client, coordinator):
    client.force_login(coordinator)

    response = client.post(CREATE_URL, _account_data(role=User.Role.STRUCTURE_REFERENT))

    assert response.status_code == 200
    assert "structure" in response.context["form"].errors
    assert not User.objects.filter(username="amasson").exists()


def test_create_sends_a_working_link(client, coordinator, settings, committed):
    settings.SUIVI_BASE_URL = "https://suivi.example.org"
    structure = StructureFactory()
    client.force_login(coordinator)

    response = committed(
        client.post,
        CREATE_URL,
        _account_data(role=User.Role.STRUCTURE_REFERENT, structure=structure.pk),
        follow=True,
    )

    user = User.objects.get(username="amasson")
    assert response.redirect_chain[-1][0] == _url("account_detail", user)
    assert user.structure == structure
    assert any("anissa.masson@example.org" in m for m in _messages(response))
    (message,) = mail.outbox
    link = re.search(r"https://suivi\.example\.org(/mot-de-passe/\S+/)", message.body).group(1)
    client.logout()
    form_url = client.get(link).url
    client.post(
        form_url, {"new_password1": "Vanille-Combani-61", "new_password2": "Vanille-Combani-61"}
    )
    assert client.login(username="amasson", password="Vanille-Combani-61")
    assert list(
        AuditEntry.objects.filter(object_id=str(user.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["account.created", "account.password_link_sent", "account.password_set"]


def test_create_keeps_the_account_and_the_link_when_the_email_fails(
    client, coordinator, settings, committed
):
    settings.MAILERS = {"default": {"BACKEND": "tests.formations.test_accounts.FailingBackend"}}
    client.force_login(coordinator)

    response = committed(client.post, CREATE_URL, _account_data(), follow=True)

    user = User.objects.get(username="amasson")
    assert any("est en file d'envoi" in m for m in _messages(response))
    message = OutboxMessage.objects.get(about_id=str(user.pk), purpose="password_link")
    assert message.status == OutboxMessage.Status.PENDING and message.last_error
    assert mail.outbox == []


def test_create_refuses_a_taken_username_on_its_field(client, coordinator):
    UserFactory(username="AMasson")
    client.force_login(coordinator)

    response = client.post(CREATE_URL, _account_data())

    assert response.context["form"].errors["username"] == [
        "Le nom d'utilisateur « amasson » est déjà pris."
    ]


# --- edit ---------------------------------------------------------------------------------


def test_edit_changes_role_and_shows_it_in_the_history(client, coordinator):
    user = UserFactory(role=User.Role.TRAINER, first_name="Julien", last_name="Masson")
    feder = FunderFactory()
    client.force_login(coordinator)

    response = client.post(
        _url("account_edit", user),
        _account_data(
            first_name="Julien",
            last_name="Masson",
            email=user.email,
            role=User.Role.FUNDER_AUDITOR,
            funders=[feder.pk],
        ),
    )
    detail = client.get(_url("account_detail", user)).content.decode()

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == User.Role.FUNDER_AUDITOR and list(user.funders.all()) == [feder]
    assert user.username != "amasson"  # the username is not on the edit form
    assert "rôle : Formateur·rice → Auditeur·rice financeur" in detail
    assert "financeurs audités : — → FEDER" in detail


def test_edit_own_role_is_refused_on_the_role_field(client, coordinator):
    UserFactory(role=User.Role.COORDINATOR)
    client.force_login(coordinator)

    response = client.post(
        _url("account_edit", coordinator),
        _account_data(
            first_name="Claire", last_name="Coordo", email=coordinator.email, role="trainer"
        ),
    )

    assert response.context["form"].errors["role"] == [
        "Vous ne pouvez pas changer votre propre rôle."
    ]


def test_technical_accounts_are_shown_but_not_editable(client, coordinator):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(coordinator)

    detail = client.get(_url("account_detail", admin))

    assert "administration technique" in detail.content.decode()
    assert _url("account_edit", admin) not in detail.content.decode()
    for name in ("account_edit", "account_deactivate", "account_reactivate"):
        assert client.get(_url(name, admin)).status_code == 404
    assert client.post(_url("account_send_link", admin)).status_code == 404


# --- deactivate, reactivate, send the link again ------------------------------------------


def test_deactivate_asks_for_confirmation(client, coordinator):
    user = UserFactory(role=User.Role.TRAINER)
    client.force_login(coordinator)

    page = client.get(_url("account_deactivate", user))
    unconfirmed = client.post(_url("account_deactivate", user), {})
    user.refresh_from_db()
    assert user.is_active
    confirmed = client.post(_url("account_deactivate", user), {"confirm": "on"})

    assert "Désactiver le compte" in page.content.decode()
    assert unconfirmed.status_code == 400
    assert "Cochez la case pour confirmer." in unconfirmed.content.decode()
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert not user.is_active


def test_deactivating_oneself_is_refused_with_a_message(client, coordinator):
    UserFactory(role=User.Role.COORDINATOR)
    client.force_login(coordinator)

    detail = client.get(_url("account_detail", coordinator)).content.decode()
    response = client.post(_url("account_deactivate", coordinator), {"confirm": "on"})

    assert _url("account_deactivate", coordinator) not in detail
    assert response.status_code == 400
    assert "Vous ne pouvez pas désactiver votre propre compte." in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.is_active


def test_reactivate_then_send_the_link_again(client, coordinator, committed):
    user = UserFactory(role=User.Role.TRAINER, is_active=False)
    client.force_login(coordinator)

    client.post(_url("account_reactivate", user), {"confirm": "on"})
    response = committed(client.post, _url("account_send_link", user), follow=True)

    user.refresh_from_db()
    assert user.is_active
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "La coordination vous envoie un lien" in mail.outbox[0].body
    assert any("est en file d'envoi" in m for m in _messages(response))


def test_send_link_refuses_get(client, coordinator):
    client.force_login(coordinator)

    assert client.get(_url("account_send_link", UserFactory())).status_code == 405


# --- public pages -------------------------------------------------------------------------


def test_login_page_offers_the_forgotten_password_page(client):
    assert reverse("formations:password_forgotten") in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("email, sent", [("julien.masson@example.org", 1), ("x@example.org", 0)])
def test_forgotten_password_says_the_same_whoever_asks(client, email, sent, committed):
    UserFactory(role=User.Role.TRAINER, email="julien.masson@example.org")

    response = committed(
        client.post, reverse("formations:password_forgotten"), {"email": email}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("formations:password_forgotten_done")
    assert "Si un compte actif utilise cette adresse" in response.content.decode()
    assert len(mail.outbox) == sent


def test_forgotten_password_refuses_a_malformed_address(client):
    response = client.post(reverse("formations:password_forgotten"), {"email": "pas-une-adresse"})

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert mail.outbox == []


def test_link_page_does_not_leak_the_token_in_the_address(client, coordinator):
    user = UserFactory(role=User.Role.TRAINER)
    from formations.accounts import password_link

    path = urlsplit(password_link(user)).path
    token = path.rstrip("/").rsplit("/", 1)[1]

    response = client.get(path)

    assert response.status_code == 302
    assert token not in response.url


def test_create_form_has_no_role_chosen_in_advance(client, coordinator):
    client.force_login(coordinator)

    page = client.get(CREATE_URL)
    response = client.post(CREATE_URL, _account_data(role=""))

    assert page.context["form"]["role"].value() == ""
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="amasson").exists()
