"""Local development and the demo served by `make run`."""

from .base import *  # noqa: F401,F403
from .base import DATA_DIR

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DATA_DIR.mkdir(parents=True, exist_ok=True)

# The demo never sends mail: messages are kept and shown on the demo mailbox page.
MAILERS = {"default": {"BACKEND": "formations.mail.DemoMailboxBackend"}}
SUIVI_DEMO_MAILBOX = True
