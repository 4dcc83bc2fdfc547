"""E-mails to the coordination about expected deliverables, through the outbox (written in
the transaction of the act, sent once it commits): who receives them, and the notice of a
version the funder asks to rework. The reminders before each due date are in
`livrables.reminders_deliverables`."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from formations.models import User
from formations.outbox import outbox_enqueue
from livrables.models_deliverables import DeliverableVersion


def coordination_recipients() -> list[User]:
    """The active coordinators' accounts with an e-mail (the coordination of the training
    organisation; a formation has no coordinator of its own)."""
    return list(
        User.objects.filter(role=User.Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def rework_text(version: DeliverableVersion) -> tuple[str, str]:
    """The subject and body (French) of the notice of a version to rework."""
    due = version.due
    formation = due.deliverable.formation
    values = {
        "title": due.deliverable.title,
        "date": f"{due.due_date:%d/%m/%Y}",
        "reference": formation.contract_reference,
        "formation": formation.title,
        "number": version.number,
        "funder": version.funder.name if version.funder else "",
    }
    subject = _("Livrable à reprendre : %(title)s, échéance du %(date)s (%(reference)s)") % values
    url = settings.SUIVI_BASE_URL.rstrip("/") + reverse(
        "livrables:deliverable_list", args=[formation.pk]
    )
    lines = [
        _("Bonjour,"),
        "",
        _(
            "%(funder)s demande de reprendre la version %(number)s du livrable « %(title)s » "
            "(échéance du %(date)s) de la formation %(reference)s — %(formation)s."
        )
        % values,
        "",
        _("Ce qui est à reprendre :"),
        version.comment,
        "",
        _("Déposez la nouvelle version sur la page des livrables attendus :"),
        url,
    ]
    return subject, "\n".join(lines)


def notify_rework(version: DeliverableVersion, *, actor=None) -> int:
    """Writes to the outbox, in the caller's transaction, the notice of a version to rework
    for each coordinator (but the one who recorded it). Returns how many."""
    subject, body = rework_text(version)
    recipients = [user for user in coordination_recipients() if user != actor]
    for user in recipients:
        outbox_enqueue(
            purpose="deliverable_rework",
            recipient=user.email,
            recipient_name=user.get_full_name() or user.username,
            subject=subject,
            body=body,
            about=version.due.deliverable.formation,
        )
    return len(recipients)
