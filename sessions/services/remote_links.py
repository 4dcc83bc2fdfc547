"""Personal signing links for participants who follow a half-day remotely.

Each participant gets their own link per half-day (`sessions.tokens.remote_link_token`);
the link works during the slot's signing window only and once. This module lists the
links and e-mails them; signing itself goes through `attendance_sign` like every other
way of signing.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.jobs import job_create
from formations.models import BackgroundJob, OutboxMessage
from formations.outbox import outbox_deliver_after_commit, outbox_enqueue

# The module, not the function: `sessions.tokens` imports `sessions.services.attendance`, so
# when `sessions.tokens` is imported first this package's `__init__` (and this module) runs
# while `sessions.tokens` is still half-loaded; the name is looked up at call time instead.
from sessions import tokens
from sessions.exceptions import SessionsError
from sessions.models import Attendance, Enrolment, Slot
from sessions.permissions import ensure_runs_session
from sessions.selectors.locks import slot_is_sealed
from sessions.services.attendance import signing_window

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteLink:
    enrolment: Enrolment
    url: str
    attendance: Attendance | None

    @property
    def is_done(self) -> bool:
        """Signed, or marked absent: the link would be refused."""
        return self.attendance is not None and (
            self.attendance.is_signed or self.attendance.status in Attendance.ABSENT_STATUSES
        )


@dataclass
class RemoteLinksResult:
    # Queued in the outbox (delivered once the act has committed).
    sent: list[Enrolment] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    job: BackgroundJob | None = None
    without_email: list[Enrolment] = field(default_factory=list)
    already_done: list[Enrolment] = field(default_factory=list)


def remote_links(*, slot: Slot, url_for: Callable[[str], str]) -> list[RemoteLink]:
    """One link per enrolled participant of the slot's session, by name. `url_for` turns
    a token into an absolute URL (the view passes `request.build_absolute_uri` of
    `sessions:sign_remote`)."""
    enrolments = Enrolment.objects.filter(session_id=slot.session_id).select_related(
        "participant__structure"
    )
    attendances = {a.enrolment_id: a for a in Attendance.objects.filter(slot=slot)}
    return [
        RemoteLink(
            enrolment=enrolment,
            url=url_for(tokens.remote_link_token(enrolment=enrolment, slot=slot)),
            attendance=attendances.get(enrolment.pk),
        )
        for enrolment in enrolments
    ]


@transaction.atomic
def send_remote_links(*, slot: Slot, actor, url_for: Callable[[str], str]) -> RemoteLinksResult:
    """Puts in the outbox, for each participant of the slot's session having an e-mail
    address, their personal link (those already signed or marked absent are skipped). A
    link not delivered before the half-day's signing window closes is abandoned: it could
    no longer be used. Delivery starts once this transaction commits, as one background
    job. Audit action `slot.remote_links_sent`. Codes: not_trainer, slot_sealed.
    """
    ensure_runs_session(actor, slot.session)
    if slot_is_sealed(slot=slot):
        raise SessionsError(
            _("Cette demi-journée est close et scellée : plus aucun lien n'est utile."),
            code="slot_sealed",
        )
    session = slot.session
    opens, closes = signing_window(slot=slot)
    tz = session.tzinfo
    result = RemoteLinksResult()
    to_send = []
    for link in remote_links(slot=slot, url_for=url_for):
        if link.is_done:
            result.already_done.append(link.enrolment)
        elif not link.enrolment.participant.email:
            result.without_email.append(link.enrolment)
        else:
            to_send.append(link)
    if not to_send:
        return result
    result.job = job_create(
        kind="outbox.remote_links",
        label=_("Envoi des liens d'émargement (%(slot)s)") % {"slot": slot},
        total=len(to_send),
        actor=actor,
    )
    with translation.override("fr"):
        for link in to_send:
            participant = link.enrolment.participant
            context = {
                "participant": participant,
                "session": session,
                "formation": session.formation,
                "slot_start": slot.local_start,
                "slot_end": slot.local_end,
                "opens": opens.astimezone(tz),
                "closes": closes.astimezone(tz),
                "url": link.url,
                "show_time_zone": session.time_zone != "Europe/Paris",
            }
            result.messages.append(
                outbox_enqueue(
                    purpose="remote_link",
                    recipient=participant.email,
                    recipient_name=participant.full_name,
                    subject=render_to_string(
                        "sessions/signing/emails/remote_link_subject.txt", context
                    ),
                    body=render_to_string("sessions/signing/emails/remote_link.txt", context),
                    about=link.enrolment,
                    participant=participant,
                    requested_by=actor,
                    expires_at=closes,
                    job=result.job,
                    deliver=False,
                )
            )
            result.sent.append(link.enrolment)
    outbox_deliver_after_commit(result.messages, job=result.job)
    log_action(
        actor=actor,
        action="slot.remote_links_sent",
        obj=slot,
        summary=ngettext(
            "%(count)s lien d'émargement mis en file d'envoi pour %(slot)s",
            "%(count)s liens d'émargement mis en file d'envoi pour %(slot)s",
            len(result.sent),
        )
        % {"count": len(result.sent), "slot": slot},
        data={
            "slot": slot.pk,
            "enrolments": [e.pk for e in result.sent],
            "messages": [m.pk for m in result.messages],
        },
    )
    return result
