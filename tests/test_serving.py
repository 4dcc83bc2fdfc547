"""`make run HOST=… PORT=… BASE_URL=…`: the demo's settings (config/settings/demo.py) and
the address helpers they use (config/serving.py)."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config import serving

ROOT = Path(__file__).resolve().parent.parent


def test_base_url_defaults_to_where_the_server_listens():
    assert serving.demo_base_url(host="127.0.0.1", port="8000") == "http://127.0.0.1:8000"
    assert serving.demo_base_url(host="localhost", port="9000") == "http://localhost:9000"


def test_base_url_given_wins_and_loses_its_trailing_slash():
    url = serving.demo_base_url(
        host="0.0.0.0", port="8000", base_url="http://salle-b.local:8000/", lan="10.0.0.7"
    )

    assert url == "http://salle-b.local:8000"


def test_base_url_on_every_interface_uses_the_lan_address():
    assert (
        serving.demo_base_url(host="0.0.0.0", port="8080", lan="192.168.1.20")
        == "http://192.168.1.20:8080"
    )
    assert serving.demo_base_url(host="0.0.0.0", port="8080", lan=None) == "http://127.0.0.1:8080"


def test_base_url_brackets_an_ipv6_host():
    assert serving.demo_base_url(host="::1", port="8000") == "http://[::1]:8000"


def test_allowed_hosts_accept_localhost_host_and_base_url_host():
    hosts = serving.demo_allowed_hosts(host="10.1.2.3", base_url="http://suivi.salle:8000")

    assert {"127.0.0.1", "localhost", "[::1]", "10.1.2.3", "suivi.salle"} <= set(hosts)
    assert "*" not in hosts


def test_allowed_hosts_on_every_interface_accept_the_lan_address():
    hosts = serving.demo_allowed_hosts(
        host="0.0.0.0", base_url="http://192.168.1.20:8000", lan="192.168.1.20"
    )

    assert "192.168.1.20" in hosts
    assert "0.0.0.0" not in hosts


def test_lan_address_is_an_address_or_none():
    address = serving.lan_address()

    assert address is None or (address.count(".") == 3 and not address.startswith("127."))


def test_notice_on_every_interface_without_base_url_explains_base_url():
    notice = serving.address_notice(
        {
            "host": "0.0.0.0",
            "port": "8000",
            "explicit": "",
            "lan": "192.168.1.20",
            "base_url": "http://192.168.1.20:8000",
        }
    )

    assert "http://192.168.1.20:8000" in notice
    assert "BASE_URL=http://" in notice


def test_notice_with_base_url_gives_only_the_address():
    notice = serving.address_notice(
        {
            "host": "0.0.0.0",
            "port": "8000",
            "explicit": "http://a.b:8000",
            "lan": None,
            "base_url": "http://a.b:8000",
        }
    )

    assert notice == "Adresse imprimée dans les liens, calendriers et QR codes : http://a.b:8000"


def test_secret_key_is_generated_once_private_and_kept(tmp_path):
    path = tmp_path / "data" / "secret_key"

    first = serving.persistent_secret_key(path)
    second = serving.persistent_secret_key(path)

    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary left


def test_secret_keys_of_two_data_folders_differ(tmp_path):
    assert serving.persistent_secret_key(tmp_path / "a") != serving.persistent_secret_key(
        tmp_path / "b"
    )


def demo_settings(data_dir: Path, **env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'key': s.SECRET_KEY, 'base_url': s.SUIVI_BASE_URL,"
        " 'hosts': s.ALLOWED_HOSTS, 'mailbox': s.SUIVI_DEMO_MAILBOX,"
        " 'storage': s.STORAGES['staticfiles']['BACKEND']}))"
    )
    environment = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "SUIVI_")) and k != "DATABASE_URL"
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.demo",
        "SUIVI_DATA_DIR": str(data_dir),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("env", "base_url", "host"),
    [
        ({}, "http://127.0.0.1:8000", "127.0.0.1"),
        ({"SUIVI_HOST": "127.0.0.1", "SUIVI_PORT": "8765"}, "http://127.0.0.1:8765", "127.0.0.1"),
        (
            {"SUIVI_HOST": "0.0.0.0", "SUIVI_BASE_URL": "http://salle.local:8000"},
            "http://salle.local:8000",
            "salle.local",
        ),
    ],
    ids=["defaults", "host_port", "base_url"],
)
def test_demo_settings_serve_without_debug_and_print_where_they_listen(
    tmp_path, env, base_url, host
):
    settings = demo_settings(tmp_path, **env)

    assert settings["debug"] is False
    assert settings["base_url"] == base_url
    assert host in settings["hosts"]
    assert settings["mailbox"] is True
    assert settings["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_demo_settings_never_use_a_published_key_and_keep_theirs(tmp_path):
    first = demo_settings(tmp_path)
    second = demo_settings(tmp_path)

    assert first["key"] == second["key"] == (tmp_path / "secret_key").read_text().strip()
    assert "not-secret" not in first["key"]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_make_run_passes_host_port_and_base_url_to_the_demo_settings():
    result = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0", "PORT=8123", "BASE_URL=http://salle.local:8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    commands = result.stdout

    assert "config.launcher 0.0.0.0:8123" in commands
    assert "DJANGO_SETTINGS_MODULE=config.settings.demo" in commands
    assert "SUIVI_HOST=0.0.0.0 SUIVI_PORT=8123" in commands
    assert "SUIVI_BASE_URL='http://salle.local:8123'" in commands
    assert "collectstatic" in commands
