"""The demo served by `make run`: the development settings (demo mailbox, SQLite in
data/, a secret key generated once into data/secret_key) with DEBUG off, as in
production, so that a visitor sees the application's French error pages and never
Django's debug page, and static files are served by whitenoise from data/staticfiles
(`collectstatic`, run by `make run`).

`make run HOST=… PORT=… BASE_URL=…` passes SUIVI_HOST, SUIVI_PORT and SUIVI_BASE_URL:
the links the application prints follow the address the server really listens on
(see `config/serving.py`)."""

from config.serving import demo_allowed_hosts, demo_environment

from .dev import *  # noqa: F401,F403

DEBUG = False

_SERVING = demo_environment()
SUIVI_BASE_URL = _SERVING["base_url"]
ALLOWED_HOSTS = demo_allowed_hosts(
    host=_SERVING["host"], base_url=SUIVI_BASE_URL, lan=_SERVING["lan"]
)
