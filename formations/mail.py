"""E-mail backend for the demo: keeps every message in the database instead of sending it,
so a visitor can follow a convocation or a sign-in link on the demo mailbox page."""

import base64

from django.core.mail.backends.base import BaseEmailBackend


class DemoMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        from formations.models import DemoEmail

        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            attachments = []
            for attachment in message.attachments:
                filename, content, mimetype = attachment
                if isinstance(content, str):
                    content = content.encode()
                attachments.append(
                    {
                        "filename": filename,
                        "mimetype": mimetype,
                        "content": base64.b64encode(content).decode(),
                    }
                )
            DemoEmail.objects.create(
                from_email=message.from_email,
                to=", ".join(message.to),
                subject=message.subject,
                body=message.body,
                html_body=html,
                attachments=attachments,
            )
        return len(email_messages)
