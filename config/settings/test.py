"""Test settings: hermetic (no network, no real mail), fast password hashing."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import database_from_environment

DEBUG = False
SECRET_KEY = "test-only-not-secret"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
_TMP = Path(tempfile.mkdtemp(prefix="suivi-tests-"))
DATABASES = {"default": database_from_environment(_TMP / "test.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not Django's default in-memory test database: concurrent-signature tests
    # need several connections to see one database.
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / "test-db.sqlite3")}
MEDIA_ROOT = _TMP / "media"
STATIC_ROOT = _TMP / "staticfiles"
STATIC_ROOT.mkdir()
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
SMS_BACKEND = "formations.sms.locmem.SmsBackend"
SMS_FILE_PATH = _TMP / "sms"
SUIVI_BREVO_API_KEY = ""
SUIVI_SMS_WEBHOOK_SECRET = ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": {
        "BACKEND": "formations.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(_TMP / "documents")},
    },
}
# Tasks run at once (after the commit that enqueues them); tests that need the queue
# itself switch to Django's DummyBackend.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
