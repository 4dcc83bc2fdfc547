"""Answering an invitation: one question's input checked, the unfinished answers kept
(`Invitation.draft`), and the response written once.

Values are kept as `evaluations.answers` describes them (JSON in the draft, so tuples
become lists): an int 1–5 (scale), a bool (yes/no), an option index (single), a sorted
list of indices (multiple, quiz), a str (text), {objective: [before, after]} (objectives).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.answers import answer_rows
from evaluations.exceptions import EvaluationsError
from evaluations.models import Campaign, Invitation, Question, Response
from evaluations.objectives import formation_objectives
from formations.audit import log_action
from sessions.models import Enrolment
from sessions.permissions import ensure_runs_session

TEXT_MAX_LENGTH = 5000
SCALE = range(1, 6)


def _invalid(question, message) -> EvaluationsError:
    return EvaluationsError(message, code="invalid_value", question=question)


def _blank(raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(_blank(item) for item in raw)
    if isinstance(raw, dict):
        return all(_blank(item) for item in raw.values())
    return False


def _integer(question, raw, allowed: range, message: str) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise _invalid(question, message) from None
    if value not in allowed:
        raise _invalid(question, message)
    return value


def _indices(question, raw) -> list[int]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    allowed = range(len(question.choices))
    message = _("Cochez une ou plusieurs des options proposées.")
    values = {_integer(question, item, allowed, message) for item in items if not _blank(item)}
    return sorted(values)


def _is_none_option(label: str) -> bool:
    """« Aucun », « Aucune », « Aucun changement pour l'instant »: an option that says
    none of the others applies is ticked alone."""
    return str(label).strip().lower().startswith(("aucun", "aucune"))


def answer_value_check(question: Question, raw, objectives: list[str]):
    """The value of one question from its raw form input, or None when it was left empty
    (whether that is allowed is decided on submission: `response_submit`).

    ``raw``: a str for a scale, yes/no, single choice or text; a list of str for a
    multiple choice or a quiz; for objectives, {objective index: (before, after)} as str.
    ``objectives``: the formation's (`formation_objectives`). Raises EvaluationsError
    (invalid_value) with a message to show beside the question."""
    kind = Question.Kind
    if _blank(raw):
        return None
    if question.kind == kind.SCALE:
        return _integer(question, raw, SCALE, _("Choisissez une note de 1 à 5."))
    if question.kind == kind.YES_NO:
        value = str(raw).strip().lower()
        if value not in ("yes", "no"):
            raise _invalid(question, _("Répondez par oui ou par non."))
        return value == "yes"
    if question.kind == kind.SINGLE:
        return _integer(
            question,
            raw,
            range(len(question.choices)),
            _("Choisissez l'une des options proposées."),
        )
    if question.kind in (kind.MULTIPLE, kind.QUIZ):
        values = _indices(question, raw)
        if question.kind == kind.MULTIPLE and len(values) > 1:
            for index in values:
                if _is_none_option(question.choices[index]):
                    raise _invalid(
                        question,
                        _("« %(option)s » ne se coche pas avec une autre option.")
                        % {"option": question.choices[index]},
                    )
        return values or None
    if question.kind == kind.TEXT:
        # NUL, which no browser types but a pasted text or a forged form may carry, cannot
        # be stored (PostgreSQL refuses it in text and JSON): it is dropped.
        text = str(raw).replace("\x00", "").replace("\r\n", "\n").strip()
        if not text:
            return None
        if len(text) > TEXT_MAX_LENGTH:
            raise _invalid(
                question,
                _("Votre réponse dépasse %(max)d caractères : raccourcissez-la.")
                % {"max": TEXT_MAX_LENGTH},
            )
        return text
    return _objectives_value(question, raw, objectives)


def _objectives_value(question, raw, objectives) -> dict | None:
    if not isinstance(raw, dict):
        raise _invalid(question, _("Réponse illisible : recommencez."))
    message = _("Pour chaque objectif, choisissez une note de 1 à 5 avant et après.")
    value = {}
    for index, objective in enumerate(objectives):
        pair = raw.get(index, raw.get(str(index))) or ("", "")
        before, after = (list(pair) + ["", ""])[:2]
        if _blank(before) and _blank(after):
            continue
        if _blank(before) or _blank(after):
            raise _invalid(
                question,
                _("Objectif « %(objective)s » : indiquez une note avant et une note après.")
                % {"objective": objective},
            )
        value[objective] = [
            _integer(question, before, SCALE, message),
            _integer(question, after, SCALE, message),
        ]
    if value and question.required and len(value) < len(objectives):
        raise _invalid(question, _("Indiquez une note avant et après pour chaque objectif."))
    return value or None


def version_questions(version) -> list[Question]:
    """The questions of a version in the order they are asked: sections, then questions."""
    return list(
        Question.objects.filter(section__version=version)
        .select_related("section")
        .order_by("section__position", "section__pk", "position", "pk")
    )


def asked_questions(version, objectives: list[str]) -> list[Question]:
    """The questions shown, one per screen: a before/after self-rating is left out when
    the formation lists no objective (there is nothing to rate)."""
    return [
        question
        for question in version_questions(version)
        if question.kind != Question.Kind.OBJECTIVES or objectives
    ]


def campaign_problem(
    campaign: Campaign, *, on_tablet: bool = False, now=None
) -> EvaluationsError | None:
    """Why answers to this campaign are refused now, or None. On the trainer's tablet the
    opening date does not hold: à chaud is answered there before the invitations go out."""
    now = now or timezone.now()
    if campaign.cancelled_at is not None:
        return EvaluationsError(
            _("Cette évaluation a été annulée : il n'est plus possible d'y répondre."),
            code="cancelled",
        )
    if campaign.closes_at is not None and campaign.closes_at <= now:
        return EvaluationsError(
            _("Cette évaluation est close depuis le %(date)s : merci de votre intérêt.")
            % {"date": timezone.localtime(campaign.closes_at).strftime("%d/%m/%Y")},
            code="closed",
        )
    if not on_tablet and campaign.opens_at > now:
        return EvaluationsError(
            _("Cette évaluation ouvre le %(date)s à %(time)s : revenez à partir de ce moment.")
            % {
                "date": timezone.localtime(campaign.opens_at).strftime("%d/%m/%Y"),
                "time": timezone.localtime(campaign.opens_at).strftime("%H:%M"),
            },
            code="not_open",
        )
    return None


def tablet_problem(campaign: Campaign, *, now=None) -> EvaluationsError | None:
    """Why the trainer's tablet takes no answer to this campaign now, or None. Beside a
    closed or cancelled campaign (`campaign_problem`), the tablet serves from the day of
    the session's first half-day until the campaign is launched: then everyone has their
    personal link and answers through it (codes tablet_not_yet, tablet_over).

    The first half-day is read from the campaign's ``first_slot_start`` when the query
    annotated it (`selectors_answers.tablet_campaigns_run_by`), else asked."""
    now = now or timezone.now()
    problem = campaign_problem(campaign, on_tablet=True, now=now)
    if problem is not None:
        return problem
    if campaign.launched_at is not None:
        return EvaluationsError(
            _(
                "Les invitations de cette évaluation sont parties : chaque personne répond "
                "avec le lien personnel reçu par e-mail ou SMS. La tablette n'est plus "
                "proposée."
            ),
            code="tablet_over",
        )
    session = campaign.session
    if hasattr(campaign, "first_slot_start"):
        first = campaign.first_slot_start
    else:
        first = session.slots.order_by("starts_at").values_list("starts_at", flat=True).first()
    if first is None:
        return EvaluationsError(
            _(
                "La tablette sera proposée à partir de la première demi-journée de la "
                "session : elle n'en a pas encore."
            ),
            code="tablet_not_yet",
        )
    first_day = timezone.localtime(first, session.tzinfo).date()
    if first_day > timezone.localtime(now, session.tzinfo).date():
        return EvaluationsError(
            _(
                "La tablette sera proposée à partir de la première demi-journée de la "
                "session, le %(date)s."
            )
            % {"date": first_day.strftime("%d/%m/%Y")},
            code="tablet_not_yet",
        )
    return None


def sent_by_link_error() -> EvaluationsError:
    return EvaluationsError(
        _(
            "Cette personne a reçu son lien personnel : elle répond depuis son téléphone ou "
            "sa messagerie."
        ),
        code="sent_by_link",
    )


def already_answered_error() -> EvaluationsError:
    return EvaluationsError(
        _(
            "Votre réponse à ce questionnaire est déjà enregistrée : il ne se remplit qu'une "
            "fois. Vous pouvez fermer cette page."
        ),
        code="already_answered",
    )


def _locked(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_for_update()
        .select_related("campaign__version__questionnaire", "campaign__formation")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def draft_save(
    *, invitation: Invitation, question: Question | None, value, step: int
) -> Invitation:
    """Keeps one question's value (None: no answer) among the unfinished answers, and the
    screen reached, so that the link opened again resumes there. ``question`` None saves
    the screen only. Refuses (already_answered, cancelled, closed) what could no longer be
    submitted; nothing is written then."""
    locked = _locked(invitation)
    if locked.is_answered:
        raise already_answered_error()
    problem = campaign_problem(locked.campaign, on_tablet=True)
    if problem is not None:
        raise problem
    draft = dict(locked.draft or {})
    if question is not None:
        key = str(question.pk)
        if value is None:
            draft.pop(key, None)
        else:
            draft[key] = value
    locked.draft = draft
    locked.draft_step = max(0, min(int(step), 32767))
    locked.save(update_fields=["draft", "draft_step"])
    invitation.draft, invitation.draft_step = locked.draft, locked.draft_step
    return locked


def invitation_opened(*, invitation: Invitation) -> None:
    """Records the first opening of the link (`opened_at`), once."""
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


@transaction.atomic
def response_submit(*, invitation: Invitation, on_tablet: bool = False) -> Response:
    """Writes the response from the invitation's draft, once: the Response and its Answer
    rows (`evaluations.answers`), then marks the invitation answered (the day only) and
    empties its draft. The invitation row is locked first, so two submissions at once
    write one response.

    An anonymous questionnaire's response names nobody and keeps no link to the
    invitation: only the audience, the participant's structure type and the day. A
    nominative one names the participant (or the account).

    Codes (nothing written): already_answered, cancelled, closed, not_open (not on the
    tablet), sent_by_link (on the tablet, an invitation sent meanwhile: the person
    answers through their link), required_missing (the message names the question)."""
    locked = _locked(invitation)
    if locked.is_answered:
        raise already_answered_error()
    if on_tablet and locked.sent_at is not None:
        raise sent_by_link_error()
    campaign = locked.campaign
    problem = campaign_problem(campaign, on_tablet=on_tablet)
    if problem is not None:
        raise problem
    objectives = formation_objectives(campaign.formation)
    questions = asked_questions(campaign.version, objectives)
    draft = locked.draft or {}
    values = []
    for question in questions:
        value = draft.get(str(question.pk))
        if value in (None, "", [], {}):
            if question.required:
                raise EvaluationsError(
                    _("La question « %(question)s » demande une réponse.")
                    % {"question": question.text},
                    code="required_missing",
                    question=question,
                )
            continue
        values.append((question, value))
    participant = locked.participant
    if participant is None and locked.enrolment_id:
        participant = locked.enrolment.participant
    structure = participant.structure if participant is not None else None
    nominative = campaign.version.questionnaire.nominative
    session = campaign.session
    if session is None and locked.enrolment_id:
        session = locked.enrolment.session
    today = timezone.localdate()
    response = Response(
        campaign=campaign,
        version=campaign.version,
        session=session,
        participant=locked.participant if nominative else None,
        user=locked.user if nominative else None,
        respondent_role=campaign.audience,
        structure_kind=structure.kind if structure is not None else "",
        submitted_on=today,
        on_tablet=on_tablet,
    )
    response.full_clean()
    response.save()
    rows = []
    for question, value in values:
        for row in answer_rows(question, value):
            row.response = response
            rows.append(row)
    response.answers.model.objects.bulk_create(rows)
    locked.answered_on = today
    locked.draft = {}
    locked.draft_step = 0
    locked.save(update_fields=["answered_on", "draft", "draft_step"])
    invitation.answered_on, invitation.draft, invitation.draft_step = today, {}, 0
    return response


@transaction.atomic
def invitation_for_tablet(*, campaign: Campaign, participant_pk: int, actor) -> Invitation:
    """The invitation through which a participant of the campaign's session answers on the
    trainer's tablet: theirs if the campaign has one not sent (one person answers once),
    else a new one of channel « tablette ». Audit action `evaluation.tablet_invitation`
    when created.

    An invitation sent by e-mail or SMS is the person's own: the tablet never takes it
    over nor shows its draft (an anonymous answer begun from the link stays theirs).

    Codes: not_trainer (SessionsError: the actor neither trains the session nor
    coordinates), those of `tablet_problem` (cancelled, closed, tablet_not_yet,
    tablet_over), not_enrolled (the person is not in the session), sent_by_link."""
    ensure_runs_session(actor, campaign.session)
    problem = tablet_problem(campaign)
    if problem is not None:
        raise problem
    enrolment = (
        Enrolment.objects.filter(session_id=campaign.session_id, participant_id=participant_pk)
        .select_related("participant")
        .first()
    )
    if enrolment is None:
        raise EvaluationsError(
            _("Cette personne n'est pas inscrite à la session."), code="not_enrolled"
        )
    invitation, created = Invitation.objects.select_for_update().get_or_create(
        campaign=campaign,
        participant=enrolment.participant,
        defaults={"channel": Invitation.Channel.TABLET, "enrolment": enrolment},
    )
    if invitation.sent_at is not None:
        raise sent_by_link_error()
    if created:
        log_action(
            actor=actor,
            action="evaluation.tablet_invitation",
            obj=campaign,
            summary=_("Réponse sur tablette ouverte pour %(name)s")
            % {"name": enrolment.participant.full_name},
            mentions=[enrolment.participant],
        )
    return invitation
