"""E-mail backend for the demo: sends nothing. Every message is already a row of the
outbox (`OutboxMessage`, body and attachments included), which the outbox page shows, so
a visitor can follow a convocation or a sign-in link there."""

from django.core.mail.backends.base import BaseEmailBackend


class DemoMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        return len(email_messages)
