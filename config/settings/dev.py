"""Local development: `manage.py runserver` with DEBUG on (Django's debug pages, static
files from the apps' folders). The demo served by `make run` uses `demo` instead."""

import os

from config.serving import persistent_secret_key

from .base import *  # noqa: F401,F403
from .base import DATA_DIR

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DATA_DIR.mkdir(parents=True, exist_ok=True)
# Never a key published with the code: one generated on first run, kept in data/.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or persistent_secret_key(DATA_DIR / "secret_key")

# The demo never sends mail nor SMS: the outbox page (« Envois ») shows every message.
MAILERS = {"default": {"BACKEND": "formations.mail.DemoMailboxBackend"}}
SUIVI_DEMO_MAILBOX = True
# Nor SMS: they are written to the server's console.
SMS_BACKEND = os.environ.get("SUIVI_SMS_BACKEND", "formations.sms.console.SmsBackend")
