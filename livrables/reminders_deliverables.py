"""Reminders of expected deliverables, run by `run_periodic` (`livrables.apps`): the
coordination receives, through the outbox, a reminder 15 days before each due date and one
on the day, for every due item still to produce or to rework, each exactly once."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.french import long_date
from formations.models import User
from formations.outbox import outbox_enqueue
from livrables.models_deliverables import (
    OPEN_STATUSES,
    DeliverableDue,
    DeliverableReminder,
    DeliverableStatus,
)
from livrables.notify_deliverables import coordination_recipients
from livrables.services_deliverables import due_label

# A reminder 15 days before the due date, and one on the day. If `run_periodic` did not
# run on the day itself (a server down), the « on the day » one still goes within
# `ON_DAY_CATCH_UP` days; past that, an old due item is not reminded (a demo or an import
# of past items must not send a flood of reminders).
REMIND_BEFORE_DAYS = 15
ON_DAY_CATCH_UP = 3


def reminder_recipients() -> list[User]:
    """Who receives the reminders: the coordination (`coordination_recipients`)."""
    return coordination_recipients()


def reminder_kind(due: DeliverableDue, today: dt.date) -> str | None:
    days = (due.due_date - today).days
    if 0 < days <= REMIND_BEFORE_DAYS:
        return DeliverableReminder.Kind.BEFORE
    if -ON_DAY_CATCH_UP <= days <= 0:
        return DeliverableReminder.Kind.ON_DAY
    return None


def reminder_text(due: DeliverableDue, kind: str, today: dt.date) -> tuple[str, str]:
    """The subject and body (French) of one reminder."""
    formation = due.deliverable.formation
    days = (due.due_date - today).days
    if kind == DeliverableReminder.Kind.BEFORE:
        subject = _("Livrable à rendre le %(date)s : %(title)s (%(reference)s)")
        when = ngettext(
            "est à rendre dans %(days)s jour, le %(date)s.",
            "est à rendre dans %(days)s jours, le %(date)s.",
            days,
        ) % {
            "days": days,
            "date": long_date(due.due_date),
        }
    else:
        subject = (
            _("Livrable à rendre le %(date)s : %(title)s (%(reference)s)")
            if days == 0
            else _("Livrable en retard depuis le %(date)s : %(title)s (%(reference)s)")
        )
        when = (
            _("est à rendre aujourd'hui, %(date)s.")
            if days == 0
            else _("était à rendre le %(date)s : il est en retard.")
        ) % {"date": long_date(due.due_date)}
    subject = subject % {
        "date": f"{due.due_date:%d/%m/%Y}",
        "title": due.deliverable.title,
        "reference": formation.contract_reference,
    }
    url = settings.SUIVI_BASE_URL.rstrip("/") + reverse(
        "livrables:deliverable_list", args=[formation.pk]
    )
    lines = [
        _("Bonjour,"),
        "",
        _("Le livrable « %(title)s » de la formation %(reference)s — %(formation)s %(when)s")
        % {
            "title": due.deliverable.title,
            "reference": formation.contract_reference,
            "formation": formation.title,
            "when": when,
        },
    ]
    if due.period_start and due.period_end:
        lines.append(
            _("Période couverte : du %(start)s au %(end)s.")
            % {"start": f"{due.period_start:%d/%m/%Y}", "end": f"{due.period_end:%d/%m/%Y}"}
        )
    if due.status == DeliverableStatus.TO_REWORK:
        lines.append(_("Le financeur a demandé de le reprendre : déposez une nouvelle version."))
    lines += [
        "",
        _("Déposez la version à soumettre au financeur sur la page des livrables attendus :"),
        url,
        "",
        _("Ce rappel n'est envoyé qu'une fois pour cette échéance."),
    ]
    return subject, "\n".join(lines)


def send_due_reminders(*, today: dt.date | None = None) -> dict:
    """Sends the coordinators, through the outbox, the reminders due today for every due
    item still to produce or to rework: 15 days before its date, and on the day. Each
    (item, kind) is sent once: a `DeliverableReminder` row is written with the messages in
    one transaction, and its unique constraint refuses a second one (two crons at once).
    Journal `livrables.deliverable_reminder_sent`. Returns how many reminders and
    messages were written."""
    today = today or timezone.localdate()
    candidates = (
        DeliverableDue.objects.filter(
            status__in=OPEN_STATUSES,
            due_date__gte=today - dt.timedelta(days=ON_DAY_CATCH_UP),
            due_date__lte=today + dt.timedelta(days=REMIND_BEFORE_DAYS),
        )
        .select_related("deliverable__formation")
        .order_by("due_date", "pk")
    )
    sent = set(
        DeliverableReminder.objects.filter(due__in=candidates.values("pk")).values_list(
            "due_id", "kind"
        )
    )
    recipients = reminder_recipients()
    reminders = messages = 0
    for due in candidates:
        kind = reminder_kind(due, today)
        if kind is None or (due.pk, kind) in sent:
            continue
        subject, body = reminder_text(due, kind, today)
        try:
            with transaction.atomic():
                DeliverableReminder.objects.create(due=due, kind=kind, recipients=len(recipients))
                for user in recipients:
                    outbox_enqueue(
                        purpose="deliverable_reminder",
                        recipient=user.email,
                        recipient_name=user.get_full_name() or user.username,
                        subject=subject,
                        body=body,
                        about=due.deliverable.formation,
                    )
                log_action(
                    actor=None,
                    action="livrables.deliverable_reminder_sent",
                    obj=due.deliverable.formation,
                    summary=_("Rappel envoyé à la coordination : %(due)s")
                    % {"due": due_label(due)},
                    data={"due": due.pk, "kind": kind, "recipients": len(recipients)},
                )
        except IntegrityError:
            continue  # another run sent it meanwhile
        reminders += 1
        messages += len(recipients)
    return {"reminders": reminders, "messages": messages}
