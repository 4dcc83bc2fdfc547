"""Hiding a comment from the funder's copy, and showing it again: one page with the
comment, its question and session, and the reason asked. A comment out of the user's
reach is 404; in reach but not theirs to hide (a trainer, an auditor), 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evaluations.exceptions import EvaluationsError
from evaluations.exports_answers import AnswersExporter
from evaluations.forms_synthesis import CommentHideForm, CommentShowForm, SynthesisScopeForm
from evaluations.selectors_synthesis import comments_in_reach, may_read_raw_answers
from evaluations.services_synthesis import comment_hide, comment_show
from formations.exporting import FORMATS, export_response
from formations.permissions import can_manage
from formations.selectors import formations_visible_to


def _back(request, answer) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    campaign = answer.response.campaign
    return campaign.formation.get_absolute_url()


def _answer(request, pk: int):
    answer = get_object_or_404(
        comments_in_reach(user=request.user).select_related(
            "question",
            "hidden_by",
            "response__session",
            "response__campaign__formation",
            "response__campaign__version__questionnaire",
        ),
        pk=pk,
    )
    if not can_manage(request.user):
        raise PermissionDenied
    return answer


@login_required
@require_http_methods(["GET", "POST"])
def comment_hide_view(request, pk: int):
    answer = _answer(request, pk)
    back = _back(request, answer)
    hidden = answer.hidden_at is not None
    form_class = CommentShowForm if hidden else CommentHideForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if hidden:
                comment_show(answer=answer, actor=request.user, reason=reason)
            else:
                comment_hide(answer=answer, actor=request.user, reason=reason)
        except EvaluationsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Commentaire rétabli dans la copie du financeur.")
                if hidden
                else _("Commentaire masqué dans la copie du financeur."),
            )
            return redirect(back)
    return render(
        request,
        "evaluations/synthesis/comment_hide.html",
        {
            "answer": answer,
            "campaign": answer.response.campaign,
            "formation": answer.response.campaign.formation,
            "hidden": hidden,
            "form": form,
            "back": back,
        },
    )


@login_required
@require_GET
def answers_export(request, pk: int, export_format: str):
    """The raw answers of a synthesis's scope (`?questionnaire=…&session=…&du=…&au=…`):
    coordinators get their copy, the auditors of the formation's funders the funder's (no
    name, no contact details, hidden comments masked). Others: 404."""
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
    if not may_read_raw_answers(request.user, formation) or export_format not in FORMATS:
        raise Http404
    form = SynthesisScopeForm(request.GET, formation=formation)
    if not form.is_valid():
        messages.error(
            request,
            _(
                "Choisissez le questionnaire, et une période dans l'ordre, pour exporter "
                "les réponses."
            ),
        )
        return redirect(formation.get_absolute_url())
    exporter = AnswersExporter(scope=form.scope(), funder=not can_manage(request.user))
    return export_response(exporter, export_format)
