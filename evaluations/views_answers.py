"""Answering an evaluation: the participant's public pages (their personal link, no
login) and the same screens on the trainer's tablet (à chaud, each participant in turn,
the tablet locked as for signing). One question per screen; each move saves the draft."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from evaluations.models import Campaign, Invitation, Question
from evaluations.objectives import formation_objectives
from evaluations.selectors_answers import tablet_campaigns_run_by, tablet_entries
from evaluations.services_answers import (
    EvaluationsError,
    already_answered_error,
    answer_value_check,
    asked_questions,
    campaign_problem,
    draft_save,
    invitation_for_tablet,
    invitation_opened,
    response_submit,
    tablet_problem,
)
from evaluations.tokens import token_matches
from formations.client_ip import client_ip
from formations.ratelimit import rate_limit_hit
from sessions.services.tablet import tablet_lock_scope
from sessions.views.signing.common import render_uncached

TABLET_SCOPE = "evaluation"
# Wrong links from one address: beyond this many in ten minutes, refused without looking.
BAD_LINKS_PER_WINDOW = 30
SECONDS_PER_QUESTION = 30

REFUSAL_STATUS = {
    "link_invalid": 404,
    "rate_limited": 429,
    "already_answered": 409,
    "cancelled": 410,
    "closed": 410,
    "not_open": 403,
}
REFUSAL_TITLES = {
    "link_invalid": gettext_lazy("Lien non valide"),
    "rate_limited": gettext_lazy("Trop d'essais"),
    "already_answered": gettext_lazy("Vous avez déjà répondu, merci"),
    "cancelled": gettext_lazy("Évaluation annulée"),
    "closed": gettext_lazy("Évaluation close"),
    "not_open": gettext_lazy("Évaluation pas encore ouverte"),
}


def render_refusal(request, error: EvaluationsError):
    return render_uncached(
        request,
        "evaluations/answer/refused.html",
        {
            "title": REFUSAL_TITLES.get(error.code, _("Réponse refusée")),
            "message": error.message,
            "code": error.code,
        },
        status=REFUSAL_STATUS.get(error.code, 403),
    )


def _invitations():
    return Invitation.objects.select_related(
        "campaign__version__questionnaire",
        "campaign__formation",
        "campaign__session",
        "participant__structure",
        "enrolment__session",
    )


def _raw_input(question: Question, post, objectives: list[str]):
    """The question's input as typed, NUL characters dropped (they could not be stored,
    nor shown again)."""

    def get(name):
        return post.get(name, "").replace("\x00", "")

    if question.kind in (Question.Kind.MULTIPLE, Question.Kind.QUIZ):
        return [item.replace("\x00", "") for item in post.getlist("value")]
    if question.kind == Question.Kind.OBJECTIVES:
        return {
            index: (get(f"before-{index}"), get(f"after-{index}"))
            for index in range(len(objectives))
        }
    return get("value")


def _shown_value(question: Question, value, objectives: list[str]) -> list[str]:
    """An answer as the review screen lists it."""
    if value in (None, "", [], {}):
        return []
    kind = Question.Kind
    if question.kind == kind.SCALE:
        return [_("%(value)s sur 5") % {"value": value}]
    if question.kind == kind.YES_NO:
        return [_("Oui") if value else _("Non")]
    choices = question.choices or []
    if question.kind == kind.SINGLE:
        return [choices[value]] if 0 <= value < len(choices) else []
    if question.kind in (kind.MULTIPLE, kind.QUIZ):
        return [choices[i] for i in value if 0 <= i < len(choices)]
    if question.kind == kind.TEXT:
        return [value]
    return [
        _("%(objective)s : %(before)s avant, %(after)s après")
        % {"objective": objective, "before": pair[0], "after": pair[1]}
        for objective, pair in value.items()
    ]


class AnswerFlow(View):
    """The screens of one invitation: welcome (step 0), questions (1…N), review (N+1).
    Subclasses say how the invitation is found and where each screen is."""

    on_tablet = False

    def load(self, request, **kwargs) -> Invitation:
        raise NotImplementedError

    def url(self, screen: str, step: int | None = None) -> str:
        raise NotImplementedError

    def step_url(self, step: int) -> str:
        if step > len(self.questions):
            return self.url("review")
        return self.url("step", max(step, 1))

    def after_submit(self, response):
        raise NotImplementedError

    def after_later(self):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        try:
            self.invitation = self.load(request, **kwargs)
        except EvaluationsError as exc:
            return self.load_refused(request, exc, **kwargs)
        self.campaign = self.invitation.campaign
        self.version = self.campaign.version
        self.questionnaire = self.version.questionnaire
        self.objectives = formation_objectives(self.campaign.formation)
        self.questions = asked_questions(self.version, self.objectives)
        return super().dispatch(request, *args, **kwargs)

    def load_refused(self, request, error: EvaluationsError, **kwargs):
        return render_refusal(request, error)

    def refuse(self, error: EvaluationsError):
        return render_refusal(self.request, error)

    def refusal(self) -> EvaluationsError | None:
        if self.invitation.is_answered:
            return already_answered_error()
        return campaign_problem(self.campaign, on_tablet=self.on_tablet)

    def context(self, **extra) -> dict:
        session = self.campaign.session or (
            self.invitation.enrolment.session if self.invitation.enrolment_id else None
        )
        return {
            "invitation": self.invitation,
            "campaign": self.campaign,
            "questionnaire": self.questionnaire,
            "version": self.version,
            "session": session,
            "formation": self.campaign.formation,
            "total": len(self.questions),
            "on_tablet": self.on_tablet,
            "person": self.invitation.participant if self.on_tablet else None,
            **extra,
        }

    def render(self, template: str, status: int = 200, **extra):
        return render_uncached(
            self.request, f"evaluations/answer/{template}", self.context(**extra), status=status
        )


class WelcomeScreen:
    def get(self, request, **kwargs):
        refusal = self.refusal()
        if refusal is not None:
            return self.refuse(refusal)
        invitation_opened(invitation=self.invitation)
        step = self.invitation.draft_step
        if step and not self.on_tablet:
            # The link opened again: back to the screen reached, the answers kept.
            return redirect(self.step_url(step) + "?reprise=1")
        minutes = max(1, math.ceil(len(self.questions) * SECONDS_PER_QUESTION / 60))
        return self.render(
            "welcome.html",
            minutes=minutes,
            start_url=self.step_url(step or 1),
            resuming=bool(step),
        )


class QuestionScreen:
    def question_at(self, step: int) -> Question:
        if not 1 <= step <= len(self.questions):
            raise Http404
        return self.questions[step - 1]

    def from_review(self) -> bool:
        """Opened with « Modifier » from the review: « Suivant » goes back to it."""
        return "relecture" in self.request.GET or bool(self.request.POST.get("from_review"))

    def get(self, request, step, **kwargs):
        refusal = self.refusal()
        if refusal is not None:
            return self.refuse(refusal)
        if not 1 <= step <= len(self.questions):
            # A screen that does not exist (an edited address): back where the person was.
            return redirect(self.step_url(self.invitation.draft_step or 1))
        question = self.question_at(step)
        value = (self.invitation.draft or {}).get(str(question.pk))
        return self.render_question(question, step, value, resumed="reprise" in request.GET)

    def post(self, request, step, **kwargs):
        refusal = self.refusal()
        if refusal is not None:
            return self.refuse(refusal)
        question = self.question_at(step)
        move = request.POST.get("go", "next")
        raw = _raw_input(question, request.POST, self.objectives)
        try:
            value = answer_value_check(question, raw, self.objectives)
        except EvaluationsError as exc:
            return self.render_question(question, step, None, error=exc.message, raw=raw)
        if move == "next" and value is None and question.required:
            return self.render_question(
                question, step, None, error=_("Cette question demande une réponse.")
            )
        target = {"previous": step - 1, "later": step}.get(move, step + 1)
        if move == "next" and self.from_review():
            target = len(self.questions) + 1
        try:
            draft_save(invitation=self.invitation, question=question, value=value, step=target)
        except EvaluationsError as exc:
            return self.refuse(exc)
        if move == "later":
            return self.after_later()
        if target < 1:
            return redirect(self.url("welcome"))
        if target > len(self.questions):
            return redirect(self.url("review"))
        return redirect(self.url("step", target))

    def render_question(self, question, step, value, *, error="", raw=None, resumed=False):
        total = len(self.questions)
        selected = value
        if raw is not None:
            selected = raw  # a refused input shown again as typed
        return self.render(
            "question.html",
            status=400 if error else 200,
            question=question,
            step=step,
            error=error,
            resumed=resumed,
            fields=_fields(question, selected, self.objectives),
            previous_label=_("Précédent") if step > 1 else _("Retour à l'accueil"),
            next_label=_("Suivant")
            if step < total and not self.from_review()
            else _("Relire mes réponses"),
            from_review=self.from_review(),
        )


def _fields(question: Question, value, objectives: list[str]) -> dict:
    """What the question's template needs: options with their checked state, the text."""
    kind = Question.Kind
    if question.kind == kind.SCALE:
        chosen = str(value) if value not in (None, "") else ""
        return {"options": [(str(n), str(n), str(n) == chosen) for n in range(1, 6)]}
    if question.kind == kind.YES_NO:
        chosen = {True: "yes", False: "no"}.get(value, value if isinstance(value, str) else "")
        return {"options": [("yes", _("Oui"), chosen == "yes"), ("no", _("Non"), chosen == "no")]}
    if question.kind in (kind.SINGLE, kind.MULTIPLE, kind.QUIZ):
        if isinstance(value, list):
            chosen = {str(v) for v in value}
        elif value in (None, ""):
            chosen = set()
        else:
            chosen = {str(value)}
        several = question.kind == kind.MULTIPLE or (
            question.kind == kind.QUIZ and len(question.correct_choices) != 1
        )
        return {
            "several": several,
            "options": [
                (str(i), label, str(i) in chosen) for i, label in enumerate(question.choices)
            ],
        }
    if question.kind == kind.TEXT:
        return {"text": value or ""}
    rows = []
    for index, objective in enumerate(objectives):
        if isinstance(value, dict):
            pair = value.get(objective) or value.get(index) or ("", "")
        else:
            pair = ("", "")
        before, after = (str(pair[0] or ""), str(pair[1] or ""))
        rows.append(
            {
                "index": index,
                "objective": objective,
                "before": [(str(n), str(n) == before) for n in range(1, 6)],
                "after": [(str(n), str(n) == after) for n in range(1, 6)],
            }
        )
    return {"objectives": rows}


class ReviewScreen:
    def get(self, request, **kwargs):
        refusal = self.refusal()
        if refusal is not None:
            return self.refuse(refusal)
        return self.render_review()

    def post(self, request, **kwargs):
        try:
            response = response_submit(invitation=self.invitation, on_tablet=self.on_tablet)
        except EvaluationsError as exc:
            if exc.code == "required_missing":
                return self.render_review(error=exc.message, missing=exc.question, status=400)
            return self.refuse(exc)
        return self.after_submit(response)

    def render_review(self, *, error="", missing=None, status=200):
        draft = self.invitation.draft or {}
        items = []
        for step, question in enumerate(self.questions, start=1):
            shown = _shown_value(question, draft.get(str(question.pk)), self.objectives)
            items.append(
                {
                    "question": question,
                    "shown": shown,
                    "url": self.url("step", step) + "?relecture=1",
                    "missing": question.required and not shown,
                }
            )
        return self.render(
            "review.html",
            status=status,
            items=items,
            error=error,
            missing=missing,
            back_url=self.url("step", len(self.questions)) if self.questions else "",
        )


# --------------------------------------------------------------------- public link


class PublicFlow(AnswerFlow):
    def load(self, request, key, token, **kwargs) -> Invitation:
        ip = client_ip(request) or "unknown"
        invitation = _invitations().filter(key=key).first()
        if invitation is None or not token_matches(key, token):
            if not rate_limit_hit(
                "evaluation_link", ip, limit=BAD_LINKS_PER_WINDOW, window_seconds=600
            ):
                raise EvaluationsError(
                    _("Trop de liens non valides depuis cette connexion : réessayez plus tard."),
                    code="rate_limited",
                )
            raise EvaluationsError(
                _(
                    "Ce lien ne correspond à aucune évaluation. Vérifiez qu'il est complet "
                    "(copiez-le en entier depuis le message reçu)."
                ),
                code="link_invalid",
            )
        self.key, self.token = key, token
        return invitation

    def url(self, screen: str, step: int | None = None) -> str:
        args = [self.key, self.token]
        if screen == "step":
            return reverse("evaluations:answer_step", args=[*args, step])
        return reverse(
            {
                "welcome": "evaluations:answer",
                "review": "evaluations:answer_review",
                "done": "evaluations:answer_done",
                "later": "evaluations:answer_later",
            }[screen],
            args=args,
        )

    def after_submit(self, response):
        return redirect(self.url("done"))

    def after_later(self):
        return redirect(self.url("later"))


@method_decorator(login_not_required, name="dispatch")
class AnswerWelcomeView(WelcomeScreen, PublicFlow):
    pass


@method_decorator(login_not_required, name="dispatch")
class AnswerStepView(QuestionScreen, PublicFlow):
    pass


@method_decorator(login_not_required, name="dispatch")
class AnswerReviewView(ReviewScreen, PublicFlow):
    pass


@method_decorator(login_not_required, name="dispatch")
class AnswerDoneView(PublicFlow):
    def get(self, request, **kwargs):
        if not self.invitation.is_answered:
            return redirect(self.url("welcome"))
        return self.render("done.html")


@method_decorator(login_not_required, name="dispatch")
class AnswerLaterView(PublicFlow):
    def get(self, request, **kwargs):
        refusal = self.refusal()
        if refusal is not None:
            return self.refuse(refusal)
        return self.render("later.html", resume_url=self.url("welcome"))


# --------------------------------------------------------------------- the tablet


def tablet_campaign(request, pk) -> Campaign:
    """The campaign if the user runs its session (trainers of it, coordinators), and
    locks the tablet on it: from here on only its tablet pages open without the trainer's
    password."""
    campaign = get_object_or_404(tablet_campaigns_run_by(user=request.user), pk=pk)
    tablet_lock_scope(
        store=request.session,
        scope=TABLET_SCOPE,
        obj=campaign,
        session=campaign.session,
        actor=request.user,
    )
    return campaign


class TabletListView(View):
    def get(self, request, pk):
        campaign = tablet_campaign(request, pk)
        problem = tablet_problem(campaign)
        entries = [] if problem is not None else tablet_entries(campaign=campaign)
        return render_uncached(
            request,
            "evaluations/answer/tablet.html",
            {
                "campaign": campaign,
                "session": campaign.session,
                "questionnaire": campaign.version.questionnaire,
                "entries": entries,
                # Answers given on this tablet only: the link's answers are nobody's here.
                "answered_count": sum(1 for e in entries if e["answered"]),
                "waiting_count": sum(1 for e in entries if not e["answered"]),
                "problem": problem,
            },
        )


class TabletFlow(AnswerFlow):
    on_tablet = True

    def load(self, request, pk, participant_pk, **kwargs) -> Invitation:
        campaign = tablet_campaign(request, pk)
        try:
            invitation = invitation_for_tablet(
                campaign=campaign, participant_pk=participant_pk, actor=request.user
            )
        except EvaluationsError as exc:
            if exc.code == "not_enrolled":
                raise Http404 from exc
            raise
        return _invitations().get(pk=invitation.pk)

    def url(self, screen: str, step: int | None = None) -> str:
        args = [self.campaign.pk, self.invitation.participant_id]
        if screen == "step":
            return reverse("evaluations:tablet_answer_step", args=[*args, step])
        if screen == "review":
            return reverse("evaluations:tablet_answer_review", args=args)
        return reverse("evaluations:tablet_answer", args=args)

    def load_refused(self, request, error: EvaluationsError, **kwargs):
        # An invitation sent by link, a tablet no longer (or not yet) offered: back to
        # the list, which says why; nothing of the person's answers is shown.
        messages.error(request, error.message)
        return redirect("evaluations:tablet", pk=kwargs["pk"])

    def refuse(self, error: EvaluationsError):
        messages.error(self.request, error.message)
        return self.back_to_list()

    def back_to_list(self):
        return redirect("evaluations:tablet", pk=self.campaign.pk)

    def after_submit(self, response):
        messages.success(
            self.request,
            _("Merci %(name)s, votre réponse est enregistrée.")
            % {"name": self.invitation.participant.full_name},
        )
        return self.back_to_list()

    def after_later(self):
        messages.info(
            self.request,
            _("Réponses de %(name)s gardées : reprenez-les plus tard depuis cette liste.")
            % {"name": self.invitation.participant.full_name},
        )
        return self.back_to_list()


class TabletWelcomeView(WelcomeScreen, TabletFlow):
    pass


class TabletStepView(QuestionScreen, TabletFlow):
    pass


class TabletReviewView(ReviewScreen, TabletFlow):
    pass
