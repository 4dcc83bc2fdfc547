"""Writes each SMS to a text file in `SMS_FILE_PATH` (one file per message) instead of
sending it."""

import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from formations.sms.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, file_path=None, **kwargs):
        super().__init__(**kwargs)
        path = file_path or getattr(settings, "SMS_FILE_PATH", None)
        if not path:
            raise ImproperlyConfigured("SMS_FILE_PATH is needed by the file SMS backend.")
        self.file_path = Path(path)
        self.file_path.mkdir(parents=True, exist_ok=True)

    def send_messages(self, messages):
        ids = []
        for message in messages:
            message_id = f"file-{uuid.uuid4().hex}"
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            (self.file_path / f"{stamp}-{message_id}.txt").write_text(
                f"De : {message.sender or self.default_sender()}\n"
                f"À : {message.to}\n"
                f"Clé : {message.idempotency_key or '-'}\n\n"
                f"{message.body}\n",
                encoding="utf-8",
            )
            ids.append(message_id)
        return ids
