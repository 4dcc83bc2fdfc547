"""Static files as production and the demo serve them: collected with hashed, compressed
copies (whitenoise's manifest storage) and served by the application with DEBUG off."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

MANIFEST_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_production_settings_use_whitenoise_manifest_storage():
    from config.settings import base

    assert base.STORAGES["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in base.MIDDLEWARE
    assert base.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") == 1


@pytest.mark.django_db
def test_collected_static_files_are_served_with_debug_off(tmp_path):
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=MANIFEST_STORAGES, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()  # a new handler: whitenoise indexes STATIC_ROOT when it starts

        page = client.get(reverse("login")).content.decode()
        href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        response = client.get(href, HTTP_ACCEPT_ENCODING="gzip")

        assert href.startswith("/static/css/app.") and href.endswith(".css")
        assert href != "/static/css/app.css"  # hashed name, safe to cache for a year
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/css")
        assert response["Content-Encoding"] == "gzip"
        assert "immutable" in response["Cache-Control"]
        assert (tmp_path / "css" / "app.css").exists()  # the unhashed copy, used by 500.html
