"""Writes each SMS to the console (standard output) instead of sending it: the demo."""

import sys
import threading
import uuid

from formations.sms.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, stream=None, **kwargs):
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages):
        ids = []
        with self._lock:
            for message in messages:
                message_id = f"console-{uuid.uuid4().hex}"
                self.stream.write(
                    f"SMS {message_id}\n"
                    f"De : {message.sender or self.default_sender()}\n"
                    f"À : {message.to}\n"
                    f"Clé : {message.idempotency_key or '-'}\n\n"
                    f"{message.body}\n"
                    f"{'-' * 79}\n"
                )
                ids.append(message_id)
            self.stream.flush()
        return ids
