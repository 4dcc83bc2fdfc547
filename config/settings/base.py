"""Settings shared by every environment.

Environment-specific modules (dev, test, production) import from here and override
only what differs. Everything that varies between deployments is read from the
environment, never hard-coded.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.storages import documents_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("SUIVI_DATA_DIR", BASE_DIR / "data"))

# No default: each environment says where its key comes from (production: the
# environment; dev and demo: a key generated once into data/; tests: a fixed test key).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tables2",
    "django_filters",
    "django_tasks_db",
    "formations",
    "sessions.apps.TrainingSessionsConfig",
    "evaluations",
    "projects",
    "alertes",
    "livrables",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files served by the application itself, as in production (compressed,
    # cached for a year under their hashed names): no web server needed for the demo.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "formations.uploads.UploadGuardMiddleware",  # reads uploads before the CSRF check
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request's address, for the audit entries its services write (formations.audit).
    "formations.audit.AuditRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Tablet mode is locked: other pages ask for the trainer's password (needs the user).
    "sessions.middleware.TabletLockMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "formations.middleware.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "formations.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"


def database_from_environment(default_sqlite_path: Path) -> dict:
    """PostgreSQL when DATABASE_URL is set, otherwise the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite_path,
        # WAL lets the trainer's tablet write signatures while others read the sheet.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": database_from_environment(DATA_DIR / "suivi.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "formations.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# Two storages for uploaded and issued files. "default" (MEDIA_ROOT) is public media:
# funders' logos, served by their own view (`formations:funder_emblem`, MEDIA_URL +
# "funders/…"), nothing else. "documents" is private: issued PDFs, paper scans, pending
# imports; no URL serves it, only views that check permission read it (storage API only,
# so that an S3-compatible store works too: see config/storages.py and the README).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("SUIVI_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names (app.4f3c….css) so browsers may keep them for a year; gzip/brotli
    # copies made once by collectstatic. Under DEBUG, unhashed names and the finders.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "documents": documents_storage(os.environ, DATA_DIR),
}

# Uploads (participant lists, scanned sheets) are refused above this size.
SUIVI_MAX_UPLOAD_BYTES = int(os.environ.get("SUIVI_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
# The public verification page of an audit pack (a ZIP of hundreds of MB at scale) takes
# the ZIP up to this size, hashed as it is read (kept on disk by Django meanwhile, never in
# memory); beyond it, the page tells the auditor to compare the SHA-256 with sha256sum.
SUIVI_MAX_PACK_CHECK_BYTES = int(os.environ.get("SUIVI_MAX_PACK_CHECK_BYTES", 512 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

DJANGO_TABLES2_TEMPLATE = "tables/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

# No inline script or style anywhere: the policy is strict from the first page.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Outgoing mail (convocations, signing links). SMTP by default, configured from the environment.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "SUIVI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
        ),
        "OPTIONS": {
            "host": os.environ.get("SUIVI_EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("SUIVI_EMAIL_PORT", 25)),
            "username": os.environ.get("SUIVI_EMAIL_USER", ""),
            "password": os.environ.get("SUIVI_EMAIL_PASSWORD", ""),
            "use_tls": os.environ.get("SUIVI_EMAIL_USE_TLS", "0") == "1",
            # Shorter than the outbox lease (SUIVI_OUTBOX_LEASE_SECONDS).
            "timeout": int(os.environ.get("SUIVI_EMAIL_TIMEOUT", 60)),
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "suivi-formations@localhost")

# The outbox (formations/outbox.py): every e-mail and SMS is a row delivered by the worker.
# A message is tried at most this many times (then « échec »); a worker's claim on a message
# lasts this long before `run_periodic` takes it back.
SUIVI_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("SUIVI_OUTBOX_MAX_ATTEMPTS", 5))
SUIVI_OUTBOX_LEASE_SECONDS = int(os.environ.get("SUIVI_OUTBOX_LEASE_SECONDS", 600))

# Evaluation campaigns (evaluations/sending.py): the default delay before reminding a person
# who has not answered, in days, and how many reminders at most (each campaign may change
# both before it is launched).
SUIVI_EVALUATION_REMINDER_DAYS = int(os.environ.get("SUIVI_EVALUATION_REMINDER_DAYS", 7))
SUIVI_EVALUATION_MAX_REMINDERS = int(os.environ.get("SUIVI_EVALUATION_MAX_REMINDERS", 2))
# Follow-up of structures (projects): a structure with no contact for this many days shows
# as silent on the overview (its filter « sans contact depuis N jours » starts from it).
SUIVI_FOLLOW_UP_SILENCE_DAYS = int(os.environ.get("SUIVI_FOLLOW_UP_SILENCE_DAYS", 30))
# Invitations to people enrolled late and reminders go during this many days after a
# campaign's launch (evaluations.sending), so that each run reads recent campaigns only.
SUIVI_EVALUATION_SENDING_DAYS = int(os.environ.get("SUIVI_EVALUATION_SENDING_DAYS", 60))

# Intersession tasks (projects/reminders_tasks.py): the structure's referents get one reminder
# this many days before a task's due date (`run_periodic`, job projects.remind_tasks).
SUIVI_TASK_REMINDER_DAYS = int(os.environ.get("SUIVI_TASK_REMINDER_DAYS", 3))

# Background tasks: Django's tasks framework, stored in the database (django-tasks-db),
# run by `manage.py db_worker` (started with the server by `make run`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Shared by every process and server (rate limits): the database cache by default, its
# table made by a migration (formations, « outbox »). See README, « Cache partagé ».
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "suivi_cache",
    }
}

# SMS (formations.sms): a backend like the e-mail ones. None is configured by default
# (every SMS fails, saying so); Brevo: "formations.sms.brevo.SmsBackend" with its API key.
SMS_BACKEND = os.environ.get("SUIVI_SMS_BACKEND", "formations.sms.base.DisabledSmsBackend")
SMS_SENDER = os.environ.get("SUIVI_SMS_SENDER", "Formations")  # 11 letters or digits at most
SMS_FILE_PATH = Path(os.environ.get("SUIVI_SMS_FILE_PATH", DATA_DIR / "sms"))
SUIVI_BREVO_API_KEY = os.environ.get("SUIVI_BREVO_API_KEY", "")
SUIVI_BREVO_SMS_URL = os.environ.get(
    "SUIVI_BREVO_SMS_URL", "https://api.brevo.com/v3/transactionalSMS/send"
)
# The provider's webhook (/webhooks/sms/brevo/) must present this secret; empty: refused.
SUIVI_SMS_WEBHOOK_SECRET = os.environ.get("SUIVI_SMS_WEBHOOK_SECRET", "")
SUIVI_SMS_TIMEOUT = float(os.environ.get("SUIVI_SMS_TIMEOUT", 10))
# What the provider adds at the end of a marketing SMS (campaigns), counted in the cost the
# campaign pages show. Brevo documents the mention « STOP au [STOP_CODE] » on the last line
# for France, the code replaced at sending by its short number; formations.sms.brevo adds
# "\nSTOP au [STOP CODE]". French SMS short numbers have 5 digits: only the length counts
# here (14 characters, GSM-7). Empty when the provider adds nothing. In the environment,
# write the line break « \n ».
SUIVI_SMS_MARKETING_SUFFIX = os.environ.get(
    "SUIVI_SMS_MARKETING_SUFFIX", "\\nSTOP au 00000"
).replace("\\n", "\n")

# A link to choose one's password (new account, « mot de passe oublié ») works once and
# for this many seconds (Django's password-reset tokens): 3 days by default.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("SUIVI_PASSWORD_LINK_SECONDS", 3 * 24 * 3600))
# « Mot de passe oublié » answers at most this many requests per address and hour.
SUIVI_PASSWORD_LINKS_PER_HOUR = int(os.environ.get("SUIVI_PASSWORD_LINKS_PER_HOUR", 3))
# The participant's space (formations.space): one-time sign-in links and their limits.
SUIVI_SPACE_LINK_SECONDS = int(os.environ.get("SUIVI_SPACE_LINK_SECONDS", 15 * 60))
SUIVI_SPACE_LINKS_PER_HOUR = int(os.environ.get("SUIVI_SPACE_LINKS_PER_HOUR", 3))
SUIVI_SPACE_LINK_REQUESTS_PER_IP_HOUR = int(
    os.environ.get("SUIVI_SPACE_LINK_REQUESTS_PER_IP_HOUR", 20)
)
SUIVI_SPACE_SESSION_SECONDS = int(os.environ.get("SUIVI_SPACE_SESSION_SECONDS", 12 * 3600))
# How many reverse proxies stand in front of the application and append to X-Forwarded-For
# (formations.client_ip): 0, no proxy, REMOTE_ADDR is the client. Never more than there
# are: the surplus entries are written by the client.
SUIVI_TRUSTED_PROXY_COUNT = int(os.environ.get("SUIVI_TRUSTED_PROXY_COUNT", 0))

# Public base URL used in e-mails, calendar feeds and QR codes (no request there).
SUIVI_BASE_URL = os.environ.get("SUIVI_BASE_URL") or "http://127.0.0.1:8000"
# The public verification address printed (and QR-coded) on every issued document, the
# number appended: empty means SUIVI_BASE_URL + "/verifier/" (`livrables.data.verification_url`).
SUIVI_VERIFICATION_URL = os.environ.get("SUIVI_VERIFICATION_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Émargement (attendance core): participants may sign a half-day from its start minus
# this margin to its end plus this margin (a late arrival signs on arrival, a trainer
# finishing the round after the end still can).
SUIVI_SIGNING_MARGIN_MINUTES = int(os.environ.get("SUIVI_SIGNING_MARGIN_MINUTES", 30))
# The QR code shown in the room changes every this many seconds (one period of grace
# is allowed for scanning), so a photo sent to an absent colleague soon stops working.
SUIVI_QR_ROTATION_SECONDS = int(os.environ.get("SUIVI_QR_ROTATION_SECONDS", 60))

# Participant import: files with more rows than this are refused.
SUIVI_IMPORT_MAX_ROWS = int(os.environ.get("SUIVI_IMPORT_MAX_ROWS", 5000))
