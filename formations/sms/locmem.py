"""Keeps each SMS in `formations.sms.outbox` (a list) instead of sending it: the tests."""

import uuid

from formations import sms
from formations.sms.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages):
        ids = []
        for message in messages:
            if not message.sender:
                message.sender = self.default_sender()
            sms.outbox.append(message)
            ids.append(f"locmem-{uuid.uuid4().hex}")
        return ids
