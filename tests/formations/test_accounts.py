"""Account services: who may do what, the scope each role needs, the journal, and the
single-use password link."""

import datetime as dt
import re
import smtplib
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from formations import accounts
from formations.accounts import AccountError
from formations.models import AuditEntry, Funder, OutboxMessage, User
from tests.factories import FunderFactory, StructureFactory, UserFactory

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connexion perdue")


def _create(actor, **kwargs):
    values = {
        "username": "jdupont",
        "first_name": "Jeanne",
        "last_name": "Dupont",
        "email": "jeanne.dupont@example.org",
        "role": User.Role.TRAINER,
    }
    values.update(kwargs)
    return accounts.account_create(actor=actor, **values)


def _update(actor, user, **kwargs):
    values = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "structure": user.structure,
        "funders": list(user.funders.all()),
    }
    values.update(kwargs)
    return accounts.account_update(actor=actor, user=user, **values)


def _link_path(message) -> str:
    """The path of the link in the e-mail (the test client has no host)."""
    return urlsplit(re.search(r"https?://\S+/mot-de-passe/\S+/", message.body).group(0)).path


# --- create -------------------------------------------------------------------------------


def test_create_auditor_without_funder_is_refused(coordinator):
    with pytest.raises(AccountError) as exc:
        _create(coordinator, role=User.Role.FUNDER_AUDITOR, funders=[])

    assert (exc.value.code, exc.value.field) == ("auditor_needs_funder", "funders")
    assert not User.objects.filter(username="jdupont").exists()


def test_create_referent_without_structure_is_refused(coordinator):
    with pytest.raises(AccountError) as exc:
        _create(coordinator, role=User.Role.STRUCTURE_REFERENT, structure=None)

    assert (exc.value.code, exc.value.field) == ("referent_needs_structure", "structure")
    assert not User.objects.filter(username="jdupont").exists()


def test_create_auditor_with_funders_has_no_usable_password_and_is_logged(coordinator):
    feder = FunderFactory()
    fse = FunderFactory(name="FSE", kind=Funder.Kind.FSE)

    user = _create(coordinator, role=User.Role.FUNDER_AUDITOR, funders=[fse, feder])

    assert user.is_active
    assert not user.has_usable_password()
    assert set(user.funders.all()) == {feder, fse}
    entry = AuditEntry.objects.get(action="account.created")
    assert entry.actor == coordinator
    assert entry.object_id == str(user.pk)
    assert entry.data["funders"] == ["FEDER", "FSE"]
    assert entry.data["role"] == "funder_auditor"


def test_create_drops_the_scope_another_role_would_carry(coordinator):
    user = _create(
        coordinator, role=User.Role.TRAINER, structure=StructureFactory(), funders=[FunderFactory()]
    )

    assert user.structure is None
    assert not user.funders.exists()


def test_create_refuses_a_username_or_email_taken_whatever_the_case(coordinator):
    _create(coordinator)

    with pytest.raises(AccountError) as taken:
        _create(coordinator, username="JDupont", email="autre@example.org")
    with pytest.raises(AccountError) as email:
        _create(coordinator, username="jeanne", email="Jeanne.Dupont@Example.org")

    assert taken.value.code == "username_taken"
    assert email.value.code == "email_taken"
    assert User.objects.filter(username__iexact="jdupont").count() == 1


def test_create_needs_an_email(coordinator):
    with pytest.raises(AccountError) as exc:
        _create(coordinator, email="")

    assert exc.value.code == "email_required"


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.FUNDER_AUDITOR])
def test_only_a_coordinator_creates_accounts(role):
    actor = UserFactory(role=role)

    with pytest.raises(AccountError) as exc:
        _create(actor)

    assert exc.value.code == "forbidden"


# --- update -------------------------------------------------------------------------------


def test_update_logs_each_changed_field_old_and_new(coordinator):
    structure = StructureFactory(name="CCAS de Mamoudzou")
    user = _create(coordinator)

    _update(
        coordinator,
        user,
        role=User.Role.STRUCTURE_REFERENT,
        structure=structure,
        last_name="Durand",
    )

    entry = AuditEntry.objects.get(action="account.updated")
    assert entry.data["changes"] == {
        "last_name": ["Dupont", "Durand"],
        "role": ["trainer", "structure_referent"],
        "structure": ["", "CCAS de Mamoudzou"],
    }
    assert "rôle" in entry.summary
    assert accounts.change_lines(entry.data["changes"])[1] == (
        "rôle : Formateur·rice → Référent·e structure"
    )


def test_update_without_change_writes_nothing(coordinator):
    user = _create(coordinator)

    _update(coordinator, user)

    assert not AuditEntry.objects.filter(action="account.updated").exists()


def test_update_auditor_losing_every_funder_is_refused(coordinator):
    user = _create(coordinator, role=User.Role.FUNDER_AUDITOR, funders=[FunderFactory()])

    with pytest.raises(AccountError) as exc:
        _update(coordinator, user, funders=[])

    assert exc.value.code == "auditor_needs_funder"
    assert user.funders.count() == 1


def test_a_coordinator_cannot_change_their_own_role(coordinator):
    UserFactory(role=User.Role.COORDINATOR)

    with pytest.raises(AccountError) as exc:
        _update(coordinator, coordinator, role=User.Role.TRAINER)

    assert exc.value.code == "own_role"


def test_the_last_active_coordinator_keeps_the_role():
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    # A technical administrator (admitted everywhere) with another role acts.
    admin = UserFactory(role=User.Role.TRAINER, is_superuser=True, is_staff=True)
    UserFactory(role=User.Role.COORDINATOR, is_active=False)

    with pytest.raises(AccountError) as demote:
        _update(admin, coordinator, role=User.Role.TRAINER)
    with pytest.raises(AccountError) as deactivate:
        accounts.account_deactivate(actor=admin, user=coordinator)

    assert demote.value.code == deactivate.value.code == "last_coordinator"
    coordinator.refresh_from_db()
    assert (coordinator.role, coordinator.is_active) == (User.Role.COORDINATOR, True)


def test_another_coordinator_may_be_demoted(coordinator):
    other = UserFactory(role=User.Role.COORDINATOR)

    _update(coordinator, other, role=User.Role.TRAINER)

    other.refresh_from_db()
    assert other.role == User.Role.TRAINER


def test_technical_accounts_are_not_changed_from_the_pages(coordinator, committed):
    admin = UserFactory(is_superuser=True, is_staff=True, email="admin@example.org")

    with pytest.raises(AccountError) as update:
        _update(coordinator, admin, email="moi@example.org")
    with pytest.raises(AccountError) as link:
        committed(accounts.account_send_password_link, user=admin, actor=coordinator)

    assert update.value.code == link.value.code == "technical_account"
    admin.refresh_from_db()
    assert admin.email == "admin@example.org"
    assert mail.outbox == []


# --- deactivate / reactivate --------------------------------------------------------------


def test_deactivated_user_cannot_sign_in_and_is_signed_out(client, coordinator):
    user = UserFactory(role=User.Role.TRAINER)
    client.force_login(user)

    accounts.account_deactivate(actor=coordinator, user=user)

    assert client.get(reverse("dashboard")).status_code == 302  # open session ended
    assert not client.login(username=user.username, password="motdepasse")
    entry = AuditEntry.objects.get(action="account.deactivated")
    assert (entry.actor, entry.object_id) == (coordinator, str(user.pk))


def test_a_coordinator_cannot_deactivate_themself(coordinator):
    UserFactory(role=User.Role.COORDINATOR)

    with pytest.raises(AccountError) as exc:
        accounts.account_deactivate(actor=coordinator, user=coordinator)

    assert exc.value.code == "own_account"
    coordinator.refresh_from_db()
    assert coordinator.is_active


def test_reactivated_user_signs_in_again(client, coordinator):
    user = UserFactory(role=User.Role.TRAINER)
    accounts.account_deactivate(actor=coordinator, user=user)

    accounts.account_reactivate(actor=coordinator, user=user)
    accounts.account_reactivate(actor=coordinator, user=user)

    assert client.login(username=user.username, password="motdepasse")
    assert AuditEntry.objects.filter(action="account.reactivated").count() == 1


# --- the password link --------------------------------------------------------------------


def test_link_email_names_the_account_and_its_validity(coordinator, settings, committed):
    settings.SUIVI_BASE_URL = "https://suivi.example.org"
    user = _create(coordinator)

    committed(
        accounts.account_send_password_link,
        user=user,
        actor=coordinator,
        reason=accounts.INVITATION,
    )

    (message,) = mail.outbox
    assert message.to == ["jeanne.dupont@example.org"]
    assert message.subject == "Votre compte Suivi Formations : choisissez votre mot de passe"
    assert "Votre nom d’utilisateur : jdupont" in message.body
    assert "https://suivi.example.org/mot-de-passe/" in message.body
    assert "reste valable 3 jours" in message.body
    entry = AuditEntry.objects.get(action="account.password_link_sent")
    sent = OutboxMessage.objects.get()
    assert entry.data == {
        "reason": "invitation",
        "email": "jeanne.dupont@example.org",
        "message": sent.pk,
    }
    assert sent.status == OutboxMessage.Status.SENT
    assert message.extra_headers["X-Idempotency-Key"] == str(sent.uuid)


def test_link_works_once(client, coordinator, committed):
    user = _create(coordinator)
    committed(accounts.account_send_password_link, user=user, actor=coordinator)
    path = _link_path(mail.outbox[0])

    opened = client.get(path)
    form_page = client.get(opened.url)
    saved = client.post(
        opened.url, {"new_password1": "Lagune-Mamoudzou-76", "new_password2": "Lagune-Mamoudzou-76"}
    )
    again = client.get(path, follow=True)

    assert opened.status_code == 302 and opened.url.endswith("/set-password/")
    assert "Choisir votre mot de passe" in form_page.content.decode()
    assert saved.status_code == 302 and saved.url == reverse("login")
    assert client.login(username="jdupont", password="Lagune-Mamoudzou-76")
    assert "Lien non valable" in again.content.decode()
    assert AuditEntry.objects.get(action="account.password_set").actor == user


def test_password_validators_apply(client, coordinator, committed):
    user = _create(coordinator)
    committed(accounts.account_send_password_link, user=user, actor=coordinator)
    form_url = client.get(_link_path(mail.outbox[0])).url

    response = client.post(form_url, {"new_password1": "123456", "new_password2": "123456"})

    assert response.status_code == 200
    assert "Ce mot de passe est trop court" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    "uid, token",
    [
        ("MQ", "forged-token"),
        ("!!!", "abc-def"),
        ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "abc-def"),  # 99999999999999999999999
        ("LTE", "abc-def"),  # -1
        ("AA", "abc-def"),  # a NUL byte
    ],
)
def test_forged_links_get_a_clear_page(client, coordinator, uid, token):
    response = client.get(reverse("formations:password_set", args=[uid, token]))

    assert response.status_code == 200
    assert "Lien non valable" in response.content.decode()
    assert "il a déjà servi, il a expiré" in response.content.decode()


def test_expired_link_is_refused(client, coordinator, settings, committed):
    user = _create(coordinator)
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        committed(accounts.account_send_password_link, user=user, actor=coordinator)
    path = _link_path(mail.outbox[0])

    with time_machine.travel(dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC), tick=False):
        still_valid = client.get(path)
    with time_machine.travel(dt.datetime(2025, 3, 4, 9, 1, tzinfo=dt.UTC), tick=False):
        expired = client.get(path)

    assert still_valid.status_code == 302
    assert expired.status_code == 200
    assert "Lien non valable" in expired.content.decode()


def test_link_of_a_deactivated_account_no_longer_opens(client, coordinator, committed):
    user = _create(coordinator)
    committed(accounts.account_send_password_link, user=user, actor=coordinator)
    accounts.account_deactivate(actor=coordinator, user=user)

    response = client.get(_link_path(mail.outbox[0]))

    assert "Lien non valable" in response.content.decode()
    with pytest.raises(AccountError) as exc:
        committed(accounts.account_send_password_link, user=user, actor=coordinator)
    assert exc.value.code == "inactive"


def test_changing_the_email_voids_links_sent_before(client, coordinator, committed):
    user = _create(coordinator)
    committed(accounts.account_send_password_link, user=user, actor=coordinator)

    _update(coordinator, user, email="jeanne.durand@example.org")

    assert "Lien non valable" in client.get(_link_path(mail.outbox[0])).content.decode()


def test_failed_email_is_retried_then_marked_failed_with_the_error(
    coordinator, settings, committed
):
    user = _create(coordinator)
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}

    message = committed(accounts.account_send_password_link, user=user, actor=coordinator)

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING  # a retry is planned
    assert message.attempts == 1
    assert "connexion perdue" in message.last_error
    assert message.purpose == "password_link" and message.about_id == str(user.pk)
    # The act itself happened: the link is in the outbox, and the journal says so.
    assert AuditEntry.objects.filter(action="account.password_link_sent").exists()


def test_link_request_reaches_active_accounts_of_that_email_only(coordinator, committed):
    user = UserFactory(role=User.Role.TRAINER, email="Julien.Masson@example.org")
    UserFactory(role=User.Role.TRAINER, email="julien.masson@example.org", is_active=False)

    sent = committed(accounts.password_link_request, email="julien.masson@EXAMPLE.org ")

    assert sent == 1
    assert [m.to for m in mail.outbox] == [[user.email]]
    entry = AuditEntry.objects.get(action="account.password_link_sent")
    assert entry.actor is None and entry.data["reason"] == "forgotten"
    assert committed(accounts.password_link_request, email="personne@example.org") == 0


@pytest.mark.parametrize(
    "seconds, words", [(259200, "3 jours"), (86400, "1 jour"), (43200, "12 heures")]
)
def test_link_validity_in_words(settings, seconds, words):
    settings.PASSWORD_RESET_TIMEOUT = seconds

    assert accounts.link_validity() == words


def test_link_requests_are_limited_per_address_and_hour(committed, settings):
    settings.SUIVI_PASSWORD_LINKS_PER_HOUR = 2
    UserFactory(role=User.Role.TRAINER, email="limite@example.org")

    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 5, tzinfo=dt.UTC), tick=False):
        answered = [
            committed(accounts.password_link_request, email=email)
            for email in ("limite@example.org", "LIMITE@example.org", "limite@example.org")
        ]
    with time_machine.travel(dt.datetime(2025, 3, 1, 10, 5, tzinfo=dt.UTC), tick=False):
        next_hour = committed(accounts.password_link_request, email="limite@example.org")

    assert answered == [1, 1, 0]
    assert next_hour == 1
    assert len(mail.outbox) == 3
