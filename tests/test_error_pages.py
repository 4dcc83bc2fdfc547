"""The error pages a visitor may meet: French, in the site's look, with a way back, and
never Django's technical pages (test settings run with DEBUG off, as the demo does)."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from formations.models import User
from formations.views import DashboardView
from tests.factories import UserFactory

TECHNICAL = [b"URLconf", b"urlpatterns", b"Traceback", b"DEBUG", b"django.urls"]


def assert_friendly(response, *, status, heading):
    body = response.content.decode()
    assert response.status_code == status
    assert f'<h1 id="error-title">{heading}</h1>' in body
    assert '<html lang="fr">' in body
    assert "/static/css/app" in body
    for word in TECHNICAL:
        assert word not in response.content, word


@pytest.mark.django_db
def test_unknown_address_anonymous_gets_french_404_with_way_to_login(client):
    response = client.get("/cette-page-n-existe-pas/")

    assert_friendly(response, status=404, heading="Page introuvable")
    assert f'href="{reverse("login")}"' in response.content.decode()
    assert f'href="{reverse("livrables:verify_lookup")}"' in response.content.decode()


@pytest.mark.django_db
def test_unknown_address_signed_in_keeps_menu_and_links_to_dashboard(coordinator_client):
    response = coordinator_client.get("/sessions/999999/")

    assert_friendly(response, status=404, heading="Page introuvable")
    body = response.content.decode()
    assert "Revenir au tableau de bord" in body
    assert 'aria-label="Navigation principale"' in body


@pytest.mark.django_db
def test_forbidden_page_is_french_403(client):
    client.force_login(UserFactory(role=User.Role.TRAINER))

    response = client.get(reverse("formations:funder_create"))

    assert_friendly(response, status=403, heading="Accès refusé")
    assert "adressez-vous à la coordination" in response.content.decode()


@pytest.mark.django_db
def test_form_posted_without_csrf_token_gets_french_expired_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "a", "password": "b"})

    assert_friendly(response, status=403, heading="Formulaire expiré")
    assert "Rien n'a été enregistré" in response.content.decode()


@pytest.mark.django_db
def test_unknown_host_gets_french_400(client):
    response = client.get(reverse("login"), HTTP_HOST="intrus.example")

    assert_friendly(response, status=400, heading="Demande incorrecte")


def test_500_renders_without_request_context_or_database():
    # No `db` fixture: any query here would fail the test.
    response = server_error(RequestFactory().get("/"))

    assert_friendly(response, status=500, heading="Erreur du serveur")
    assert 'href="/"' in response.content.decode()


@pytest.mark.django_db
def test_crashing_page_shows_french_500(coordinator, monkeypatch):
    def crash(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(DashboardView, "get", crash)
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)

    response = client.get(reverse("dashboard"))

    assert_friendly(response, status=500, heading="Erreur du serveur")
    assert b"boom" not in response.content


@pytest.mark.django_db
def test_an_address_for_buttons_only_opened_directly_gets_a_french_page(client, coordinator):
    client.force_login(coordinator)

    response = client.get("/deconnexion/")

    assert response.status_code == 405
    assert "Cette adresse ne s'ouvre pas directement" in response.content.decode()
    assert "POST" in response["Allow"]
