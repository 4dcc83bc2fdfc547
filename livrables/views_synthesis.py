"""The evaluation synthesis of a formation: choosing what it covers (questionnaire,
session, period), writing the conclusion, issuing the PDF, sending it to the funder. A
formation out of the user's reach is 404; in reach but not a coordinator's (a trainer, an
auditor, who read the issued syntheses from the formation page), 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from evaluations.exceptions import EvaluationsError
from evaluations.forms_synthesis import ConclusionForm, SynthesisScopeForm
from evaluations.selectors_results import MASK_THRESHOLD, results_for
from evaluations.selectors_synthesis import synthesis_campaigns, synthesis_draft
from evaluations.services_synthesis import synthesis_conclusion_save
from formations.permissions import can_manage
from formations.selectors import formations_visible_to
from livrables.data import verification_url
from livrables.exceptions import LivrablesError
from livrables.forms_synthesis import SendSynthesisForm
from livrables.models import IssuedDocument
from livrables.selectors import document_states, documents_visible_to
from livrables.services_synthesis import funder_recipients, issue_synthesis, send_synthesis
from livrables.views import issued_message
from sessions.models import TrainingSession


def _formation(request, pk: int):
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
    if not can_manage(request.user):
        raise PermissionDenied
    return formation


def _issued(scope) -> list[IssuedDocument]:
    documents = list(
        IssuedDocument.objects.filter(
            kind=IssuedDocument.Kind.EVALUATION_SYNTHESIS,
            formation_id=scope.formation.pk,
            questionnaire_id=scope.questionnaire.pk,
            session_id=scope.session.pk if scope.session is not None else None,
            covers_from=scope.date_from,
            covers_to=scope.date_to,
        ).order_by("-issued_at", "-pk")[:10]
    )
    states = document_states(documents)
    for document in documents:
        document.state = states[document.pk]
        document.verification_url = verification_url(document.number)
    return documents


@login_required
@require_http_methods(["GET", "POST"])
def synthesis_page(request, pk: int):
    formation = _formation(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    scope_form = SynthesisScopeForm(
        source if "questionnaire" in source else None, formation=formation
    )
    context = {"formation": formation, "scope_form": scope_form}
    if not scope_form.is_bound or not scope_form.is_valid():
        return render(request, "livrables/synthesis/page.html", context)
    scope = scope_form.scope()
    query = scope_form.query()
    here = reverse("livrables:synthesis", args=[formation.pk]) + "?" + query
    draft = synthesis_draft(scope=scope)
    form = ConclusionForm(
        request.POST if request.method == "POST" else None,
        initial={"conclusion": draft.conclusion if draft else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            synthesis_conclusion_save(
                scope=scope, conclusion=form.cleaned_data["conclusion"], actor=request.user
            )
            if request.POST.get("action") == "issue":
                record = issue_synthesis(scope=scope, actor=request.user)
                messages.success(request, issued_message(record))
            else:
                messages.success(request, _("Conclusion enregistrée."))
        except (LivrablesError, EvaluationsError) as error:
            messages.error(request, error.message)
        return redirect(here)
    sessions = TrainingSession.objects.filter(pk=scope.session.pk) if scope.session else None
    results = results_for(campaigns=synthesis_campaigns(scope=scope), sessions=sessions)
    export = reverse("evaluations:answers_export", args=[formation.pk, "csv"])
    context.update(
        {
            "scope": scope,
            "results": results,
            "form": form,
            "draft": draft,
            "issued": _issued(scope),
            "csv_url": export + "?" + query,
            "xlsx_url": reverse("evaluations:answers_export", args=[formation.pk, "xlsx"])
            + "?"
            + query,
            "query": query,
            # Warned before issuing: the PDF then leaves the comments out.
            "few_responses": results.responses < MASK_THRESHOLD,
            "mask_threshold": MASK_THRESHOLD,
        }
    )
    return render(request, "livrables/synthesis/page.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def synthesis_send(request, number: str):
    document = get_object_or_404(
        documents_visible_to(user=request.user)
        .filter(kind=IssuedDocument.Kind.EVALUATION_SYNTHESIS)
        .select_related("formation__programme", "questionnaire", "session"),
        number=number,
    )
    if not can_manage(request.user):
        raise PermissionDenied
    formation = document.formation
    recipients = funder_recipients(formation=formation)
    form = SendSynthesisForm(request.POST or None, initial={"to_auditors": bool(recipients)})
    if request.method == "POST" and form.is_valid():
        try:
            sent = send_synthesis(
                document=document,
                actor=request.user,
                to_auditors=form.cleaned_data["to_auditors"],
                address=form.cleaned_data["address"],
            )
        except LivrablesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Synthèse n° %(number)s mise dans la file d'envoi pour %(count)s "
                    "destinataire (page Envois).",
                    "Synthèse n° %(number)s mise dans la file d'envoi pour %(count)s "
                    "destinataires (page Envois).",
                    len(sent),
                )
                % {"number": document.number, "count": len(sent)},
            )
            return redirect(formation.get_absolute_url() + "#syntheses")
    return render(
        request,
        "livrables/synthesis/send.html",
        {
            "document": document,
            "formation": formation,
            "recipients": recipients,
            "form": form,
            "back": formation.get_absolute_url() + "#syntheses",
        },
    )
