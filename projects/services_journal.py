"""Writing the journal de bord: only the participant writes, edits, deletes and shares
their own entries, in a programme of theirs that asks for the journal
(`Programme.logbook_enabled`). The text is private: it is never copied to the audit
journal; writing (``projects.journal_written``, from a form: it recognises a double
submit), sharing and unsharing are recorded there (``projects.journal_shared``,
``projects.journal_unshared``) without the entry's title or text."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.models import Participant, Programme
from projects.exceptions import ProjectsError
from projects.models import JournalEntry
from projects.once import first_submit
from projects.selectors_journal import logbook_programmes
from projects.validation import checked_save

WRITTEN_ACTION = "projects.journal_written"


def _ensure_author(actor, participant: Participant) -> None:
    if not (isinstance(actor, Participant) and actor.pk == participant.pk):
        raise PermissionDenied


def _ensure_logbook(participant: Participant, programme: Programme) -> None:
    if not logbook_programmes(participant=participant).filter(pk=programme.pk).exists():
        raise ProjectsError(_("Ce programme ne propose pas de journal de bord."), code="no_logbook")


def _locked(actor, entry: JournalEntry) -> JournalEntry:
    _ensure_author(actor, entry.participant)
    locked = JournalEntry.objects.select_for_update().select_related("programme").get(pk=entry.pk)
    _ensure_logbook(locked.participant, locked.programme)
    return locked


BODY_MAX_LENGTH = 10_000


def _check_entry(programme: Programme, written_on: dt.date | None, body: str) -> None:
    """An entry is dated within the programme, not after today, and not too long."""
    today = timezone.localdate()
    if written_on is not None and written_on > today:
        raise ProjectsError(
            _("La date (%(date)s) est à venir : une entrée se date d'aujourd'hui ou avant.")
            % {"date": f"{written_on:%d/%m/%Y}"},
            code="date_future",
            field="written_on",
        )
    if written_on is not None and programme.start_date and written_on < programme.start_date:
        raise ProjectsError(
            _(
                "La date (%(date)s) est avant le début du programme, le %(start)s : "
                "choisissez une date depuis."
            )
            % {"date": f"{written_on:%d/%m/%Y}", "start": f"{programme.start_date:%d/%m/%Y}"},
            code="date_before_programme",
            field="written_on",
        )
    if len(body) > BODY_MAX_LENGTH:
        raise ProjectsError(
            _(
                "Le texte fait %(length)s caractères : 10 000 au plus. Coupez-le en "
                "plusieurs entrées."
            )
            % {"length": len(body)},
            code="body_too_long",
            field="body",
        )


@transaction.atomic
def journal_entry_create(
    *,
    actor,
    participant: Participant,
    programme: Programme,
    written_on: dt.date,
    title: str,
    body: str,
    token: str = "",
) -> JournalEntry:
    """A new entry, private until shared. `token`: the form's (`projects.once`); the same
    form posted again writes nothing (`already_done`). Codes also `date_future`,
    `date_before_programme`, `body_too_long`, `invalid`, `no_logbook`. The audit journal
    records that an entry was written (to recognise the token), never its title or text."""
    _ensure_author(actor, participant)
    _ensure_logbook(participant, programme)
    _check_entry(programme, written_on, (body or "").strip())
    first_submit(lock=participant, action=WRITTEN_ACTION, token=token)
    entry = JournalEntry(
        participant=participant,
        programme=programme,
        written_on=written_on,
        title=(title or "").strip(),
        body=(body or "").strip(),
    )
    checked_save(entry)
    if token:
        log_action(
            actor=None,
            action=WRITTEN_ACTION,
            obj=participant,
            summary=_("Entrée du journal de bord écrite dans « %(programme)s »")
            % {"programme": programme.title},
            data={
                "entry": entry.pk,
                "programme": programme.pk,
                "token": token,
                "by_participant": participant.pk,
            },
        )
    return entry


@transaction.atomic
def journal_entry_update(
    *, actor, entry: JournalEntry, written_on: dt.date, title: str, body: str
) -> JournalEntry:
    """The author corrects an entry (a shared one stays shared, with its new text)."""
    entry = _locked(actor, entry)
    _check_entry(entry.programme, written_on, (body or "").strip())
    entry.written_on, entry.title, entry.body = (
        written_on,
        (title or "").strip(),
        (body or "").strip(),
    )
    checked_save(entry)
    return entry


@transaction.atomic
def journal_entry_delete(*, actor, entry: JournalEntry) -> None:
    """Deletes the entry for good (the trainers no longer read it if it was shared)."""
    entry = _locked(actor, entry)
    entry.delete()


@transaction.atomic
def journal_entry_share(*, actor, entry: JournalEntry, shared: bool) -> JournalEntry:
    """Shares the entry with the programme's trainers, or stops sharing it (it leaves
    their page at once). Doing what is already done changes nothing."""
    entry = _locked(actor, entry)
    if shared == (entry.shared_at is not None):
        return entry
    entry.shared_at = timezone.now() if shared else None
    entry.save(update_fields=["shared_at", "updated_at"])
    log_action(
        actor=None,
        action="projects.journal_shared" if shared else "projects.journal_unshared",
        obj=entry.participant,
        summary=(
            _("Entrée du journal de bord partagée avec les formateur·rices de « %(programme)s »")
            if shared
            else _(
                "Entrée du journal de bord retirée du partage avec les formateur·rices de "
                "« %(programme)s »"
            )
        )
        % {"programme": entry.programme.title},
        data={
            "entry": entry.pk,
            "programme": entry.programme_id,
            "by_participant": entry.participant_id,
        },
    )
    return entry
