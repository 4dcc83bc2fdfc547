"""Writing the follow-up log of a structure, and sending a reminder from the overview.

Who writes: coordinators and the programme's trainers (`can_write_follow_up`); anyone
else gets `PermissionDenied` (a funder auditor reads only). An entry is edited or deleted
by its author only; any writer may answer a question. Each write is one transaction, one
`full_clean()`, one audit journal entry (`projects.follow_up.*`).

Errors (`ProjectsError` codes): `not_partner` (the structure is not one of the
programme's), `not_author` (editing or deleting someone else's entry), `not_question`
(answering an entry that is not a question), `sent_reminder` (deleting the entry of a sent
reminder: it records a message that left), `no_recipient` (a reminder to structures with
nobody to write to), `already_sent` (the same reminder form posted twice), `already_done`
(the same entry form posted twice), `future` (an entry dated to come),
`answer_before_question` (an answer dated before its question), `invalid` (a row that
does not pass `full_clean`).
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.audit import log_action
from formations.models import OutboxMessage, Participant, Programme, Structure
from formations.outbox import MessagePurpose, outbox_enqueue
from projects.exceptions import ProjectsError
from projects.models import FollowUpEntry
from projects.once import first_submit
from projects.permissions import is_partner
from projects.selectors_followup import can_write_follow_up, reminder_recipients
from projects.validation import checked_save

REMINDER_PURPOSE = "projects_follow_up_reminder"
REMIND_ACTION = "projects.follow_up.reminder_sent"
ADD_ACTION = "projects.follow_up.added"


def register_purposes(purposes: dict) -> None:
    # A message from the provider to the structure's referent or project team about the
    # programme they take part in: part of the service, no consent asked (like a
    # convocation).
    purposes.setdefault(
        REMINDER_PURPOSE, MessagePurpose(gettext_lazy("Relance du suivi des structures"))
    )


def _ensure_writer(*, actor, programme: Programme, structure: Structure | None = None) -> None:
    """`None` is a management command or the demo, run by whoever operates the server."""
    if actor is not None and not can_write_follow_up(user=actor, programme=programme):
        raise PermissionDenied
    if structure is not None and not is_partner(programme=programme, structure=structure):
        raise ProjectsError(
            _("« %(structure)s » n'est pas une structure partenaire de ce programme.")
            % {"structure": structure.name},
            code="not_partner",
        )


def _ensure_author(*, actor, entry: FollowUpEntry) -> None:
    if actor is not None and entry.author_id != actor.pk:
        raise ProjectsError(
            _("Seul·e l'auteur·rice d'une entrée peut la modifier ou la supprimer."),
            code="not_author",
        )


def _summary(entry: FollowUpEntry) -> str:
    return _("%(kind)s du %(date)s — %(structure)s") % {
        "kind": entry.get_kind_display(),
        "date": entry.occurred_on.strftime("%d/%m/%Y"),
        "structure": entry.structure.name,
    }


def _tidy_answer(entry: FollowUpEntry) -> None:
    """Only a question carries an answer; an answer without a date is dated today."""
    if entry.kind != FollowUpEntry.Kind.QUESTION:
        entry.answer, entry.answered_on = "", None
    elif entry.answer.strip() and entry.answered_on is None:
        entry.answered_on = timezone.localdate()
    elif not entry.answer.strip():
        entry.answer, entry.answered_on = "", None


def _check_dates(entry: FollowUpEntry) -> None:
    """The log notes what happened: no date to come (a day's margin for time zones); an
    answer is not dated before the question."""
    if entry.occurred_on and entry.occurred_on > timezone.localdate() + dt.timedelta(days=1):
        raise ProjectsError(
            _("Le suivi note ce qui a eu lieu : la date ne peut pas être à venir."),
            code="future",
            field="occurred_on",
        )
    if entry.answered_on and entry.occurred_on and entry.answered_on < entry.occurred_on:
        raise ProjectsError(
            _("La réponse ne peut pas être datée d'avant la question (%(date)s).")
            % {"date": f"{entry.occurred_on:%d/%m/%Y}"},
            code="answer_before_question",
            field="answered_on",
        )


@transaction.atomic
def follow_up_add(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    occurred_on: dt.date,
    kind: str,
    channel: str,
    summary: str,
    answer: str = "",
    answered_on: dt.date | None = None,
    token: str = "",
) -> FollowUpEntry:
    """Writes one entry of the structure's log, authored by `actor`. `token`: the form's
    (`projects.once`), a second post of the same form writes nothing (`already_done`)."""
    _ensure_writer(actor=actor, programme=programme, structure=structure)
    first_submit(lock=programme, action=ADD_ACTION, token=token)
    entry = FollowUpEntry(
        programme=programme,
        structure=structure,
        occurred_on=occurred_on,
        kind=kind,
        channel=channel,
        summary=summary.strip(),
        answer=answer.strip(),
        answered_on=answered_on,
        author=actor,
    )
    _tidy_answer(entry)
    _check_dates(entry)
    checked_save(entry)
    log_action(
        actor=actor,
        action=ADD_ACTION,
        obj=entry,
        summary=_summary(entry),
        data={"programme": programme.pk, "structure": structure.pk, "kind": kind, "token": token},
        mentions=(structure,),
    )
    return entry


@transaction.atomic
def follow_up_update(
    *,
    actor,
    entry: FollowUpEntry,
    occurred_on: dt.date,
    kind: str,
    channel: str,
    summary: str,
    answer: str = "",
    answered_on: dt.date | None = None,
) -> FollowUpEntry:
    """Changes one's own entry."""
    entry = FollowUpEntry.objects.select_for_update().select_related("structure").get(pk=entry.pk)
    _ensure_writer(actor=actor, programme=entry.programme)
    _ensure_author(actor=actor, entry=entry)
    before = {
        "occurred_on": entry.occurred_on.isoformat(),
        "kind": entry.kind,
        "channel": entry.channel,
        "summary": entry.summary,
        "answer": entry.answer,
    }
    entry.occurred_on, entry.kind, entry.channel = occurred_on, kind, channel
    entry.summary, entry.answer, entry.answered_on = summary.strip(), answer.strip(), answered_on
    _tidy_answer(entry)
    _check_dates(entry)
    checked_save(entry)
    log_action(
        actor=actor,
        action="projects.follow_up.changed",
        obj=entry,
        summary=_summary(entry),
        data={"before": before},
        mentions=(entry.structure,),
    )
    return entry


@transaction.atomic
def follow_up_delete(*, actor, entry: FollowUpEntry) -> None:
    """Deletes one's own entry (the journal keeps what it said). The entry of a sent
    reminder stays: it records a message that left."""
    entry = FollowUpEntry.objects.select_for_update().select_related("structure").get(pk=entry.pk)
    _ensure_writer(actor=actor, programme=entry.programme)
    _ensure_author(actor=actor, entry=entry)
    if entry.outbox_message_id is not None:
        raise ProjectsError(
            _("Cette relance a été envoyée par la file d'envoi : elle reste au suivi."),
            code="sent_reminder",
        )
    log_action(
        actor=actor,
        action="projects.follow_up.deleted",
        obj=entry,
        summary=_summary(entry),
        data={
            "occurred_on": entry.occurred_on.isoformat(),
            "kind": entry.kind,
            "channel": entry.channel,
            "summary": entry.summary,
            "answer": entry.answer,
        },
        mentions=(entry.structure,),
    )
    entry.delete()


@transaction.atomic
def follow_up_answer(
    *, actor, entry: FollowUpEntry, answer: str, answered_on: dt.date | None = None
) -> FollowUpEntry:
    """Records the answer to a question (any writer of the log may answer)."""
    entry = FollowUpEntry.objects.select_for_update().select_related("structure").get(pk=entry.pk)
    _ensure_writer(actor=actor, programme=entry.programme)
    if entry.kind != FollowUpEntry.Kind.QUESTION:
        raise ProjectsError(_("Seule une question reçoit une réponse."), code="not_question")
    if not answer.strip():
        raise ProjectsError(_("Écrivez la réponse apportée."), code="empty", field="answer")
    entry.answer = answer.strip()
    entry.answered_on = answered_on or timezone.localdate()
    _check_dates(entry)
    checked_save(entry)
    log_action(
        actor=actor,
        action="projects.follow_up.answered",
        obj=entry,
        summary=_summary(entry),
        mentions=(entry.structure,),
    )
    return entry


@dataclass(frozen=True)
class ReminderSent:
    entries: list[FollowUpEntry]
    messages: list[OutboxMessage]
    # Structures left out: nobody to write to.
    skipped: list[Structure]


def follow_up_remind(
    *,
    actor,
    programme: Programme,
    structures: list[Structure],
    subject: str,
    body: str,
    token: str,
) -> ReminderSent:
    """Sends a reminder about each structure: one outbox e-mail per recipient
    (`reminder_recipients`: its referent accounts, else its project team's agents) and,
    in the same transaction, one `FollowUpEntry` (relance, e-mail) linked to the first
    message, per structure that had somebody to write to.

    `token`: drawn when the confirmation page was shown; a form posted again with the same
    token sends nothing (`already_sent`): the programme's row is locked while the token
    is looked for in the journal, so two submits in a race also send once."""
    _ensure_writer(actor=actor, programme=programme)
    subject, body, token = " ".join(subject.split()), body.strip(), token.strip()
    if not subject or not body:
        raise ProjectsError(_("Le message a besoin d'un objet et d'un texte."), code="empty")
    if not token:
        raise ProjectsError(_("Le formulaire a expiré : rouvrez-le."), code="no_token")
    with transaction.atomic():
        first_submit(
            lock=programme,
            action=REMIND_ACTION,
            token=token,
            message=_(
                "Cette relance a déjà été envoyée : elle n'est pas envoyée une seconde fois."
            ),
            code="already_sent",
        )
        for structure in structures:
            _ensure_writer(actor=None, programme=programme, structure=structure)
        targets = reminder_recipients(programme=programme, structures=structures)
        if not any(target.recipients for target in targets):
            raise ProjectsError(
                _("Aucune des structures choisies n'a de destinataire avec une adresse e-mail."),
                code="no_recipient",
            )
        participants = Participant.objects.in_bulk(
            [r.participant_id for t in targets for r in t.recipients if r.participant_id]
        )
        today = timezone.localdate()
        entries, messages, skipped = [], [], []
        for target in targets:
            if not target.recipients:
                skipped.append(target.structure)
                continue
            entry = FollowUpEntry(
                programme=programme,
                structure=target.structure,
                occurred_on=today,
                kind=FollowUpEntry.Kind.REMINDER,
                channel=FollowUpEntry.Channel.EMAIL,
                summary=_("Relance envoyée à %(names)s : « %(subject)s »")
                % {"names": ", ".join(r.name for r in target.recipients), "subject": subject},
                author=actor,
            )
            checked_save(entry)
            # About the entry, not the structure: the log of this programme only lists it.
            sent = [
                outbox_enqueue(
                    purpose=REMINDER_PURPOSE,
                    recipient=recipient.email,
                    recipient_name=recipient.name,
                    subject=subject,
                    body=body,
                    about=entry,
                    participant=participants.get(recipient.participant_id),
                    requested_by=actor,
                )
                for recipient in target.recipients
            ]
            messages.extend(sent)
            entry.outbox_message = sent[0]
            entry.save(update_fields=["outbox_message"])
            entries.append(entry)
        log_action(
            actor=actor,
            action=REMIND_ACTION,
            obj=programme,
            summary=ngettext(
                "Relance envoyée à %(count)s structure : « %(subject)s »",
                "Relance envoyée à %(count)s structures : « %(subject)s »",
                len(entries),
            )
            % {"count": len(entries), "subject": subject},
            data={
                "token": token,
                "structures": [entry.structure_id for entry in entries],
                "skipped": [structure.pk for structure in skipped],
                "messages": [message.pk for message in messages],
            },
            mentions=[entry.structure for entry in entries],
        )
    return ReminderSent(entries=entries, messages=messages, skipped=skipped)
