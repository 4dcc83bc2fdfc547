"""Writes around a synthesis: hiding a comment that would identify someone from the
funder's copy (and showing it again), and keeping the coordinator's conclusion. Each
write is a coordinator's, logged in the audit journal."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.exceptions import EvaluationsError
from evaluations.models import Answer, Question
from evaluations.models_synthesis import SynthesisDraft
from evaluations.selectors_synthesis import SynthesisScope
from formations.audit import log_action
from formations.models import Formation
from formations.permissions import can_manage

REASON_MAX = 300


def _ensure_coordinator(actor, refusal: str) -> None:
    if actor is not None and not can_manage(actor):
        raise EvaluationsError(refusal, code="not_allowed")


def _text_answer(answer: Answer) -> Answer:
    answer = (
        Answer.objects.select_for_update()
        .select_related("question", "response__campaign")
        .get(pk=answer.pk)
    )
    if answer.question.kind != Question.Kind.TEXT or not answer.text:
        raise EvaluationsError(
            _("Seule une réponse en texte libre peut être masquée."), code="not_a_comment"
        )
    return answer


@transaction.atomic
def comment_hide(*, answer: Answer, actor, reason: str, now=None) -> Answer:
    """Hides a free-text answer from the funder's copy (the synthesis PDF, the funder's
    export): it is kept, shown to coordinators marked « masqué » with its reason. Only a
    coordinator hides a comment, and says why (the journal keeps who, when and why, never
    the comment's text).

    Raises EvaluationsError `not_allowed`, `reason_required`, `not_a_comment`,
    `already_hidden`. Audit action `evaluations.comment_hidden`, on the campaign."""
    _ensure_coordinator(actor, _("Seule la coordination peut masquer un commentaire."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise EvaluationsError(
            _("Indiquez pourquoi ce commentaire est masqué."), code="reason_required"
        )
    answer = _text_answer(answer)
    if answer.hidden_at is not None:
        raise EvaluationsError(_("Ce commentaire est déjà masqué."), code="already_hidden")
    answer.hidden_at = now or timezone.now()
    answer.hidden_by = actor if getattr(actor, "is_authenticated", False) else None
    answer.hidden_reason = reason[:REASON_MAX]
    answer.full_clean(exclude=["response", "question", "hidden_by"])
    answer.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    log_action(
        actor=actor,
        action="evaluations.comment_hidden",
        obj=answer.response.campaign,
        summary=_("Commentaire masqué dans la copie du financeur : %(reason)s")
        % {"reason": answer.hidden_reason},
        data={"answer": answer.pk, "question": answer.question_id, "reason": answer.hidden_reason},
    )
    return answer


@transaction.atomic
def comment_show(*, answer: Answer, actor, reason: str = "") -> Answer:
    """Shows again a hidden comment in the funder's copy (the syntheses issued from then
    on). Raises EvaluationsError `not_allowed`, `not_a_comment`, `not_hidden`. Audit
    action `evaluations.comment_shown` (data: the earlier reason, and this one if given)."""
    _ensure_coordinator(actor, _("Seule la coordination peut rétablir un commentaire."))
    answer = _text_answer(answer)
    if answer.hidden_at is None:
        raise EvaluationsError(_("Ce commentaire n'est pas masqué."), code="not_hidden")
    previous = answer.hidden_reason
    answer.hidden_at = None
    answer.hidden_by = None
    answer.hidden_reason = ""
    answer.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    reason = " ".join((reason or "").split())[:REASON_MAX]
    log_action(
        actor=actor,
        action="evaluations.comment_shown",
        obj=answer.response.campaign,
        summary=_("Commentaire rétabli dans la copie du financeur"),
        data={"answer": answer.pk, "previous_reason": previous, "reason": reason},
    )
    return answer


@transaction.atomic
def synthesis_conclusion_save(*, scope: SynthesisScope, conclusion: str, actor) -> SynthesisDraft:
    """Keeps the coordinator's free conclusion of the synthesis of `scope` (one row per
    formation, questionnaire, session and period: written again, not added). The formation
    row is locked meanwhile, so two saves of the same scope do not make two rows.

    Raises EvaluationsError `not_allowed`, `period_reversed`. Audit action
    `evaluations.synthesis_conclusion_saved`, on the formation."""
    _ensure_coordinator(actor, _("Seule la coordination rédige la conclusion d'une synthèse."))
    if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
        raise EvaluationsError(
            _("La période est inversée : la date de début suit la date de fin."),
            code="period_reversed",
        )
    list(Formation.objects.select_for_update().filter(pk=scope.formation.pk).values_list("pk"))
    draft, _created = SynthesisDraft.objects.get_or_create(
        formation_id=scope.formation.pk,
        questionnaire_id=scope.questionnaire.pk,
        session_id=scope.session.pk if scope.session is not None else None,
        period_from=scope.date_from,
        period_to=scope.date_to,
    )
    draft.conclusion = (conclusion or "").strip()
    draft.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    draft.full_clean(exclude=["formation", "questionnaire", "session", "updated_by"])
    draft.save()
    log_action(
        actor=actor,
        action="evaluations.synthesis_conclusion_saved",
        obj=scope.formation,
        summary=_("Conclusion de la synthèse « %(questionnaire)s » enregistrée")
        % {"questionnaire": scope.questionnaire.title},
        data={
            "questionnaire": scope.questionnaire.pk,
            "session": scope.session.pk if scope.session is not None else None,
            "from": scope.date_from.isoformat() if scope.date_from else None,
            "to": scope.date_to.isoformat() if scope.date_to else None,
            "characters": len(draft.conclusion),
        },
    )
    return draft
