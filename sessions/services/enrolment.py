"""Enrolment (inscriptions), convocations and calendar tokens.

Writes are keyword-only, atomic and audit-logged. Errors are `SessionsError` with a stable
code: `session_cancelled`, `has_attendance`, `no_slots`, and for imports
(`EnrolmentImportError`) `file_too_large`, `unsupported_format`, `empty_file`,
`missing_columns`, `invalid_rows`.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.french import long_date
from formations.importing import match_name, match_person_name
from formations.jobs import job_create
from formations.models import Participant, User, new_calendar_token
from formations.outbox import Queued, outbox_deliver_after_commit, outbox_enqueue
from formations.selectors import participants_visible_to
from formations.tabular import Column, TableError, read_table
from sessions import ical
from sessions.exceptions import SessionsError
from sessions.models import Enrolment, TrainingSession
from sessions.permissions import ensure_manager
from sessions.selectors.contract import (
    ENROLMENT_RULES,
    RuleState,
    RuleWarning,
    session_rule_warnings,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- results


@dataclass
class EnrolmentResult:
    enrolled: list[Participant] = field(default_factory=list)
    already_enrolled: list[Participant] = field(default_factory=list)
    warnings: list[RuleWarning] = field(default_factory=list)


class EnrolmentImportError(SessionsError):
    """A refused enrolment file. `errors` lists the problems line by line."""

    def __init__(self, message: str, *, code: str, errors: list[str] | None = None):
        super().__init__(message, code=code)
        self.errors = errors or []


# --------------------------------------------------------------------------- rules


def enrolment_rule_warnings(*, session: TrainingSession) -> list[RuleWarning]:
    """Contract rules of the formation that the session's enrolments break (group size,
    attendees per structure and session), from the one contract selector: a maximum
    exceeded, or a minimum missed once the session is no longer planned. A group still
    filling up is not warned about after each enrolment; the enrolment page shows it."""
    return [
        warning
        for warning in session_rule_warnings(session=session, rules=ENROLMENT_RULES)
        if warning.state == RuleState.VIOLATED
    ]


# --------------------------------------------------------------------------- enrolment


def _lock_session(session: TrainingSession) -> TrainingSession:
    # Enrolments of one session are serialised by this lock so that the rule warnings are
    # computed on a stable count; the unique constraint stays the final guard.
    locked = (
        TrainingSession.objects.select_for_update().select_related("formation").get(pk=session.pk)
    )
    if locked.status == TrainingSession.Status.CANCELLED:
        raise SessionsError(
            _("Cette session est annulée : on ne peut plus y inscrire personne."),
            code="session_cancelled",
        )
    return locked


@transaction.atomic
def enrol_participants(*, session: TrainingSession, participants, actor) -> EnrolmentResult:
    """Enrols every participant not enrolled yet; those already enrolled are reported, not
    duplicated (a second call enrols nobody). Race-safe: concurrent calls rely on the
    `enrolment_unique_per_session` constraint (`ignore_conflicts`), then re-read.
    Raises `not_coordinator`, `session_cancelled`."""
    ensure_manager(actor)
    session = _lock_session(session)
    by_pk = {participant.pk: participant for participant in participants}
    existing = set(
        Enrolment.objects.filter(session=session, participant_id__in=by_pk).values_list(
            "participant_id", flat=True
        )
    )
    missing = [pk for pk in by_pk if pk not in existing]
    enrolled_by = actor if getattr(actor, "pk", None) else None
    # The participants come from the database and the session is locked: no field can be
    # invalid here, so full_clean() (one query per row) would check nothing.
    Enrolment.objects.bulk_create(
        [Enrolment(session=session, participant_id=pk, enrolled_by=enrolled_by) for pk in missing],
        ignore_conflicts=True,
    )
    # Re-read: with ignore_conflicts a row inserted meanwhile by another request is
    # silently skipped, so only what is in the table now counts as enrolled by this call.
    created = set()
    if missing:
        created = set(
            Enrolment.objects.filter(
                session=session, participant_id__in=missing, enrolled_by=enrolled_by
            ).values_list("participant_id", flat=True)
        )
    result = EnrolmentResult(
        enrolled=sorted((by_pk[pk] for pk in created), key=_person_key),
        already_enrolled=sorted((by_pk[pk] for pk in by_pk if pk not in created), key=_person_key),
        warnings=enrolment_rule_warnings(session=session),
    )
    if result.enrolled:
        log_action(
            actor=actor,
            action="enrolment.create",
            obj=session,
            summary=ngettext(
                "%(count)s inscription à la session %(code)s",
                "%(count)s inscriptions à la session %(code)s",
                len(result.enrolled),
            )
            % {"count": len(result.enrolled), "code": session.code},
            data={
                "participants": [p.pk for p in result.enrolled],
                "already_enrolled": [p.pk for p in result.already_enrolled],
                "warnings": [w.code for w in result.warnings],
            },
            mentions=result.enrolled,
        )
    return result


def _person_key(participant: Participant):
    return (participant.sort_key, participant.pk)


@transaction.atomic
def enrol_structure(*, session: TrainingSession, structure, actor) -> EnrolmentResult:
    """Enrols every professional of the structure (see `enrol_participants`); its
    members followed in Alertes (residents, volunteers, partners) are not trainees."""
    return enrol_participants(
        session=session,
        participants=list(
            Participant.objects.filter(structure=structure, kind=Participant.Kind.PROFESSIONAL)
        ),
        actor=actor,
    )


@transaction.atomic
def unenrol(*, enrolment: Enrolment, actor) -> None:
    """Removes an enrolment. Refused (`has_attendance`) once any émargement exists for it:
    the attendance rows are evidence and must keep their enrolment. Coordinators only
    (`not_coordinator`)."""
    ensure_manager(actor)
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("session", "participant")
        .get(pk=enrolment.pk)
    )
    if enrolment.attendances.exists():
        raise SessionsError(
            _(
                "%(name)s a déjà des émargements dans cette session : "
                "l'inscription ne peut pas être retirée."
            )
            % {"name": enrolment.participant.full_name},
            code="has_attendance",
        )
    log_action(
        actor=actor,
        action="enrolment.delete",
        obj=enrolment.session,
        summary=_("Désinscription de %(name)s de la session %(code)s")
        % {"name": enrolment.participant.full_name, "code": enrolment.session.code},
        data={"participant": enrolment.participant_id, "enrolment": enrolment.pk},
        mentions=[enrolment.participant],
    )
    enrolment.delete()


# --------------------------------------------------------------------------- import

# Accepted headers (case, accents, spaces and punctuation ignored by the shared table
# reader): the participant import's spellings of these columns, plus « nom de famille »,
# « last name » and « organisme », which it does not take. Other columns are ignored.
ENROLMENT_COLUMNS = (
    Column("email", aliases=("e-mail", "mail", "courriel", "adresse e-mail", "adresse mail")),
    Column("nom", aliases=("nom de famille", "last name")),
    Column("prenom", aliases=("first name", "firstname")),
    Column("structure", aliases=("nom de la structure", "nom structure", "organisme")),
)


def parse_enrolment_file(*, file_name: str, content: bytes, user) -> list[Participant]:
    """Reads a CSV or XLSX list (with the shared reader, `formations.tabular`: encodings,
    size and row limits, header synonyms) and matches each line to an EXISTING participant
    the user may see: by `email` when the cell is filled, otherwise by `nom` + `prenom` (and
    `structure` when given), ignoring case and accents. Nobody is created here: that is the
    participant import's job. All or nothing: a line that matches nobody or several people
    makes the whole file refused, with one message per line (`EnrolmentImportError`, codes
    `invalid_file` — unreadable, or a column given twice —, `missing_columns`,
    `empty_file`, `invalid_rows`)."""
    try:
        table = read_table(file_name=file_name, content=content)
    except TableError as exc:
        raise EnrolmentImportError(exc.message, code="invalid_file") from exc
    header = table.map(ENROLMENT_COLUMNS)
    if header.repeated:
        raise EnrolmentImportError(" ".join(header.errors), code="invalid_file")
    if "email" not in header.columns and not {"nom", "prenom"} <= header.columns.keys():
        raise EnrolmentImportError(
            _("Colonnes attendues : « email », ou « nom » et « prenom » (et « structure »)."),
            code="missing_columns",
        )
    if not table.rows:
        raise EnrolmentImportError(
            _("Le fichier ne contient aucune ligne à inscrire."), code="empty_file"
        )
    rows = list(header.rows(table))

    visible = participants_visible_to(user=user).filter(kind=Participant.Kind.PROFESSIONAL)
    emails = {row.text("email").casefold() for row in rows} - {""}
    by_email: dict[str, list[Participant]] = {}
    if emails:
        matched = visible.annotate(email_key=Lower("email")).filter(email_key__in=emails)
        for participant in matched:
            by_email.setdefault(participant.email.casefold(), []).append(participant)
    by_name: dict[tuple[str, str], list[Participant]] | None = None

    found: list[Participant] = []
    errors: list[str] = []
    for row in rows:
        number, email = row.line, row.text("email")
        if email:
            matches, label = by_email.get(email.casefold(), []), email
        else:
            last, first = row.text("nom"), row.text("prenom")
            if not (last and first):
                errors.append(_("Ligne %(n)s : ni e-mail, ni nom et prénom.") % {"n": number})
                continue
            if by_name is None:
                # Accent-insensitive matching is done here, not in SQL (SQLite has no
                # unaccent): one pass over the visible participants, only when needed.
                by_name = {}
                for participant in visible:
                    key = (
                        match_person_name(participant.last_name),
                        match_person_name(participant.first_name),
                    )
                    by_name.setdefault(key, []).append(participant)
            matches = by_name.get((match_person_name(last), match_person_name(first)), [])
            structure = row.text("structure")
            if structure:
                matches = [
                    p for p in matches if match_name(p.structure.name) == match_name(structure)
                ]
            label = f"{last} {first}" + (f" ({structure})" if structure else "")
        if not matches:
            errors.append(
                _("Ligne %(n)s : aucun·e participant·e ne correspond à « %(who)s ».")
                % {"n": number, "who": label}
            )
        elif len(matches) > 1:
            errors.append(
                _(
                    "Ligne %(n)s : plusieurs participant·es correspondent à « %(who)s » ; "
                    "précisez l'e-mail ou la structure."
                )
                % {"n": number, "who": label}
            )
        else:
            found.append(matches[0])
    if errors:
        raise EnrolmentImportError(
            ngettext(
                "%(count)s ligne est en erreur : personne n'a été inscrit·e.",
                "%(count)s lignes sont en erreur : personne n'a été inscrit·e.",
                len(errors),
            )
            % {"count": len(errors)},
            code="invalid_rows",
            errors=errors,
        )
    return found


@transaction.atomic
def enrol_from_file(
    *, session: TrainingSession, file_name: str, content: bytes, actor
) -> EnrolmentResult:
    """Enrols the participants listed in a CSV/XLSX file (see `parse_enrolment_file`):
    every line or none."""
    participants = parse_enrolment_file(file_name=file_name, content=content, user=actor)
    return enrol_participants(session=session, participants=participants, actor=actor)


# --------------------------------------------------------------------------- convocations


def absolute_url(path: str) -> str:
    return settings.SUIVI_BASE_URL.rstrip("/") + path


def participant_feed_url(participant: Participant) -> str:
    return absolute_url(
        reverse("sessions:calendar_feed_participant", args=[participant.calendar_token])
    )


def trainer_feed_url(user: User) -> str:
    return absolute_url(reverse("sessions:calendar_feed_trainer", args=[user.calendar_token]))


def convocation_recipients(
    *, session: TrainingSession, enrolments=None
) -> tuple[list[Enrolment], list[Enrolment]]:
    """Splits the enrolments (all of the session by default) into those that can receive a
    convocation and those whose participant has no e-mail address."""
    if enrolments is None:
        enrolments = session.enrolments.select_related("participant__structure")
    enrolments = [e for e in enrolments if e.session_id == session.pk]
    with_email = [e for e in enrolments if e.participant.email]
    without_email = [e for e in enrolments if not e.participant.email]
    return with_email, without_email


def convocation_days(session: TrainingSession, slots) -> list[dict]:
    """Local days with their half-days, for the e-mail templates."""
    return [
        {
            "date": day,
            "label": long_date(day, "l j F Y"),
            "half_days": [f"{start:%H:%M}–{end:%H:%M}" for start, end in half_days],
        }
        for day, half_days in ical.session_days(session, slots)
    ]


def _convocation_content(*, session, enrolment, slots, days, trainers, stamp) -> dict:
    """Subject, bodies and .ics of one participant's convocation (for `outbox_enqueue`)."""
    participant = enrolment.participant
    context = {
        "session": session,
        "formation": session.formation,
        "participant": participant,
        "days": days,
        "trainers": trainers,
        "show_time_zone": session.time_zone != "Europe/Paris",
        "location": ical.session_location(session),
        "feed_url": participant_feed_url(participant),
    }
    return {
        "subject": render_to_string("sessions/emails/convocation_subject.txt", context),
        "body": render_to_string("sessions/emails/convocation.txt", context),
        "html_body": render_to_string("sessions/emails/convocation.html", context),
        "attachments": [
            (
                f"convocation-{session.code}.ics",
                ical.session_calendar(
                    session, slots=slots, for_participant=participant, stamp=stamp
                ),
                "text/calendar; method=REQUEST; charset=utf-8",
            )
        ],
    }


@transaction.atomic
def send_convocations(*, session: TrainingSession, enrolments=None, actor) -> Queued:
    """Puts in the outbox one convocation e-mail per enrolled participant having an e-mail
    address (all enrolments of the session, or the given ones), each with an .ics
    invitation, and sets `Enrolment.convocation_sent_at` (the moment the convocation was
    issued; its delivery status is the outbox row's). Delivery starts once this
    transaction commits, as one background job whose progress the enrolment page shows.
    Returns what was queued; `convocation_recipients` tells who has no address. Raises
    `session_cancelled`, `no_slots`; coordinators only (`not_coordinator`).
    Audit action `enrolment.convocations_sent`."""
    ensure_manager(actor)
    session = TrainingSession.objects.select_related("formation").get(pk=session.pk)
    if session.status == TrainingSession.Status.CANCELLED:
        raise SessionsError(
            _("Cette session est annulée : pas de convocation."), code="session_cancelled"
        )
    slots = list(session.slots.all())
    if not slots:
        raise SessionsError(
            _("La session n'a encore aucune demi-journée : ajoutez les dates avant de convoquer."),
            code="no_slots",
        )
    with_email, _without = convocation_recipients(session=session, enrolments=enrolments)
    trainers = [
        t.get_full_name() or t.username
        for t in session.trainers.order_by("last_name", "first_name")
    ]
    queued = Queued()
    if not with_email:
        return queued
    now = timezone.now()
    queued.job = job_create(
        kind="outbox.convocations",
        label=_("Envoi des convocations de la session %(code)s") % {"code": session.code},
        total=len(with_email),
        actor=actor,
    )
    with translation.override("fr"):
        days = convocation_days(session, slots)
        for enrolment in with_email:
            content = _convocation_content(
                session=session,
                enrolment=enrolment,
                slots=slots,
                days=days,
                trainers=trainers,
                stamp=now,
            )
            queued.messages.append(
                outbox_enqueue(
                    purpose="convocation",
                    recipient=enrolment.participant.email,
                    recipient_name=enrolment.participant.full_name,
                    about=enrolment,
                    participant=enrolment.participant,
                    requested_by=actor,
                    job=queued.job,
                    deliver=False,
                    **content,
                )
            )
    Enrolment.objects.filter(pk__in=[e.pk for e in with_email]).update(convocation_sent_at=now)
    outbox_deliver_after_commit(queued.messages, job=queued.job)
    log_action(
        actor=actor,
        action="enrolment.convocations_sent",
        obj=session,
        summary=ngettext(
            "%(count)s convocation mise en file d'envoi pour la session %(code)s",
            "%(count)s convocations mises en file d'envoi pour la session %(code)s",
            queued.count,
        )
        % {"count": queued.count, "code": session.code},
        data={
            "enrolments": [e.pk for e in with_email],
            "messages": [m.pk for m in queued.messages],
        },
    )
    return queued


# --------------------------------------------------------------------------- calendar tokens


@transaction.atomic
def regenerate_calendar_token(*, user: User) -> User:
    """Gives the user a new calendar feed token: the previous feed URL stops working at
    once (to use when the link was shared by mistake)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    log_action(
        actor=user,
        action="calendar.token_regenerated",
        obj=user,
        summary=_("Nouveau lien d'agenda pour %(name)s")
        % {"name": user.get_full_name() or user.username},
    )
    return user


@transaction.atomic
def regenerate_participant_calendar_token(*, participant: Participant, actor) -> Participant:
    """Same for a participant's feed (they have no account: a coordinator does it).

    Codes: not_coordinator."""
    ensure_manager(actor)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    participant.calendar_token = new_calendar_token()
    participant.save(update_fields=["calendar_token"])
    log_action(
        actor=actor,
        action="calendar.token_regenerated",
        obj=participant,
        summary=_("Nouveau lien d'agenda pour %(name)s") % {"name": participant.full_name},
    )
    return participant


__all__ = [
    "EnrolmentImportError",
    "EnrolmentResult",
    "RuleWarning",
    "convocation_recipients",
    "enrol_from_file",
    "enrol_participants",
    "enrol_structure",
    "enrolment_rule_warnings",
    "parse_enrolment_file",
    "regenerate_calendar_token",
    "regenerate_participant_calendar_token",
    "send_convocations",
    "unenrol",
]
