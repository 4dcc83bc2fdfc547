"""The coordinators' questionnaire pages: list, a version as people read it, the forms
that edit it (no JavaScript: one form and one button per change) and the history of
versions. Everyone else gets 404: questionnaires are out of their reach."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evaluations.forms_questionnaires import QuestionForm, QuestionnaireForm, SectionForm
from evaluations.models import Question, Response, Section
from evaluations.selectors_questionnaires import (
    questionnaire_list as select_questionnaire_list,
)
from evaluations.selectors_questionnaires import (
    questionnaires_visible_to,
    version_contents,
    version_history,
)
from evaluations.services_questionnaires import (
    DOWN,
    UP,
    EvaluationsError,
    latest_version,
    question_add,
    question_delete,
    question_move,
    question_update,
    questionnaire_create,
    questionnaire_delete,
    questionnaire_set_archived,
    questionnaire_update,
    section_add,
    section_delete,
    section_move,
    section_update,
    version_is_frozen,
)
from formations.permissions import can_manage


def _ensure_coordinator(request) -> None:
    if not can_manage(request.user):
        raise Http404


def _questionnaire(request, pk):
    _ensure_coordinator(request)
    return get_object_or_404(questionnaires_visible_to(user=request.user), pk=pk)


def _section(questionnaire, section_pk) -> Section:
    return get_object_or_404(
        Section.objects.select_related("version"),
        pk=section_pk,
        version__questionnaire=questionnaire,
    )


def _question(questionnaire, question_pk) -> Question:
    return get_object_or_404(
        Question.objects.select_related("section__version"),
        pk=question_pk,
        section__version__questionnaire=questionnaire,
    )


def _detail_url(questionnaire, anchor: str = "") -> str:
    url = reverse("evaluations:questionnaire_detail", args=[questionnaire.pk])
    return f"{url}#{anchor}" if anchor else url


def _latest_number(questionnaire) -> int:
    version = latest_version(questionnaire)
    return version.number if version else 0


def _say_new_version(request, questionnaire, before: int) -> None:
    after = _latest_number(questionnaire)
    if after > before:
        messages.info(
            request,
            _(
                "La version %(old)s a déjà servi : elle reste telle quelle pour ses réponses. "
                "Votre modification est dans la version %(new)s, que suivent les campagnes "
                "pas encore lancées."
            )
            % {"old": before, "new": after},
        )


def _form_page(request, questionnaire, form, title, **context):
    return render(
        request,
        "evaluations/questionnaires/form.html",
        {
            "questionnaire": questionnaire,
            "form": form,
            "page_title": title,
            "cancel_url": _detail_url(questionnaire)
            if questionnaire
            else reverse("evaluations:questionnaire_list"),
            **context,
        },
    )


@require_GET
def questionnaire_list(request):
    _ensure_coordinator(request)
    return render(
        request,
        "evaluations/questionnaires/list.html",
        {"questionnaires": select_questionnaire_list(user=request.user)},
    )


@require_GET
def questionnaire_detail(request, pk):
    questionnaire = _questionnaire(request, pk)
    version = latest_version(questionnaire)
    return render(
        request,
        "evaluations/questionnaires/detail.html",
        {
            "questionnaire": questionnaire,
            "version": version,
            "sections": version_contents(version) if version else [],
            "frozen": version is not None and version_is_frozen(version),
            "editable": not questionnaire.archived,
        },
    )


@require_GET
def questionnaire_version(request, pk, number):
    questionnaire = _questionnaire(request, pk)
    version = get_object_or_404(questionnaire.versions, number=number)
    return render(
        request,
        "evaluations/questionnaires/detail.html",
        {
            "questionnaire": questionnaire,
            "version": version,
            "sections": version_contents(version),
            "editable": False,
            "older": version.number != _latest_number(questionnaire),
        },
    )


@require_GET
def questionnaire_versions(request, pk):
    questionnaire = _questionnaire(request, pk)
    return render(
        request,
        "evaluations/questionnaires/versions.html",
        {"questionnaire": questionnaire, "versions": version_history(questionnaire=questionnaire)},
    )


@require_http_methods(["GET", "POST"])
def questionnaire_create_view(request):
    _ensure_coordinator(request)
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = questionnaire_create(actor=request.user, **form.cleaned_data)
        except EvaluationsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Questionnaire créé : ajoutez-lui des questions."))
            return redirect(_detail_url(questionnaire))
    return _form_page(request, None, form, _("Nouveau questionnaire"))


@require_http_methods(["GET", "POST"])
def questionnaire_edit(request, pk):
    questionnaire = _questionnaire(request, pk)
    latest = latest_version(questionnaire)
    form = QuestionnaireForm(
        request.POST or None,
        questionnaire=questionnaire,
        introduction=latest.introduction if latest else "",
    )
    if request.method == "POST" and form.is_valid():
        before = _latest_number(questionnaire)
        try:
            questionnaire_update(
                actor=request.user, questionnaire=questionnaire, **form.cleaned_data
            )
        except EvaluationsError as error:
            field = {"kind_locked": "kind", "nominative_locked": "nominative"}.get(error.code)
            form.add_error(field, error.message)
        else:
            messages.success(request, _("Questionnaire enregistré."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire))
    return _form_page(
        request,
        questionnaire,
        form,
        _("Modifier « %(title)s »") % {"title": questionnaire.title},
    )


@require_POST
def questionnaire_archive(request, pk):
    questionnaire = _questionnaire(request, pk)
    archived = request.POST.get("archived") == "1"
    questionnaire_set_archived(actor=request.user, questionnaire=questionnaire, archived=archived)
    messages.success(
        request,
        _("Questionnaire archivé : il n'est plus proposé pour de nouvelles campagnes.")
        if archived
        else _("Questionnaire désarchivé."),
    )
    return redirect(_detail_url(questionnaire))


@require_http_methods(["GET", "POST"])
def questionnaire_delete_view(request, pk):
    questionnaire = _questionnaire(request, pk)
    used = questionnaire.versions.filter(campaigns__isnull=False).exists()
    error = None
    if request.method == "POST" and not used:
        try:
            questionnaire_delete(actor=request.user, questionnaire=questionnaire)
        except EvaluationsError as refused:
            error = refused.message
        else:
            messages.success(
                request,
                _("Questionnaire « %(title)s » supprimé.") % {"title": questionnaire.title},
            )
            return redirect("evaluations:questionnaire_list")
    return render(
        request,
        "evaluations/questionnaires/confirm.html",
        {
            "questionnaire": questionnaire,
            "page_title": _("Supprimer « %(title)s »") % {"title": questionnaire.title},
            "refused": error
            or (
                _(
                    "Ce questionnaire a servi à des campagnes : il ne peut pas être supprimé, "
                    "ses réponses sont des preuves. Archivez-le pour ne plus le proposer."
                )
                if used
                else None
            ),
            "explanation": _(
                "Le questionnaire, ses versions, ses parties et ses questions seront "
                "supprimés. Il n'a servi à aucune campagne."
            ),
            "button": _("Supprimer le questionnaire"),
        },
    )


# --- Sections ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def section_add_view(request, pk):
    questionnaire = _questionnaire(request, pk)
    form = SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        before = _latest_number(questionnaire)
        try:
            section = section_add(
                actor=request.user, questionnaire=questionnaire, **form.cleaned_data
            )
        except EvaluationsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Partie ajoutée."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire, f"partie-{section.pk}"))
    return _form_page(request, questionnaire, form, _("Ajouter une partie"))


@require_http_methods(["GET", "POST"])
def section_edit(request, pk, section_pk):
    questionnaire = _questionnaire(request, pk)
    section = _section(questionnaire, section_pk)
    form = SectionForm(
        request.POST or None,
        initial={"title": section.title, "description": section.description},
    )
    if request.method == "POST" and form.is_valid():
        before = _latest_number(questionnaire)
        try:
            section = section_update(actor=request.user, section=section, **form.cleaned_data)
        except EvaluationsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Partie enregistrée."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire, f"partie-{section.pk}"))
    return _form_page(
        request,
        questionnaire,
        form,
        _("Modifier la partie « %(title)s »") % {"title": section.title},
    )


@require_http_methods(["GET", "POST"])
def section_delete_view(request, pk, section_pk):
    questionnaire = _questionnaire(request, pk)
    section = _section(questionnaire, section_pk)
    error = None
    if request.method == "POST":
        before = _latest_number(questionnaire)
        try:
            section_delete(actor=request.user, section=section)
        except EvaluationsError as refused:
            error = refused.message
        else:
            messages.success(request, _("Partie supprimée."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire))
    count = section.questions.count()
    return render(
        request,
        "evaluations/questionnaires/confirm.html",
        {
            "questionnaire": questionnaire,
            "page_title": _("Supprimer la partie « %(title)s »") % {"title": section.title},
            "refused": error,
            "explanation": _(
                "La partie, qui n'a pas de question, sera retirée du questionnaire. Si cette "
                "version a déjà servi, elle reste intacte et la suppression se fait dans une "
                "nouvelle version."
            )
            if count == 0
            else ngettext(
                "La partie et sa question seront retirées du questionnaire. Si cette version "
                "a déjà servi, elle reste intacte et la suppression se fait dans une "
                "nouvelle version.",
                "La partie et ses %(count)s questions seront retirées du questionnaire. Si "
                "cette version a déjà servi, elle reste intacte et la suppression se fait "
                "dans une nouvelle version.",
                count,
            )
            % {"count": count},
            "button": _("Supprimer la partie"),
        },
    )


def _direction(request) -> str:
    direction = request.POST.get("direction")
    if direction not in (UP, DOWN):
        raise Http404
    return direction


@require_POST
def section_move_view(request, pk, section_pk):
    questionnaire = _questionnaire(request, pk)
    section = _section(questionnaire, section_pk)
    before = _latest_number(questionnaire)
    try:
        section = section_move(actor=request.user, section=section, direction=_direction(request))
    except EvaluationsError as error:
        messages.error(request, error.message)
        return redirect(_detail_url(questionnaire))
    _say_new_version(request, questionnaire, before)
    return redirect(_detail_url(questionnaire, f"partie-{section.pk}"))


# --- Questions -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def question_add_view(request, pk, section_pk):
    questionnaire = _questionnaire(request, pk)
    section = _section(questionnaire, section_pk)
    kind = request.GET.get("type") or request.POST.get("type")
    if kind not in Question.Kind.values:
        return render(
            request,
            "evaluations/questionnaires/question_kind.html",
            {"questionnaire": questionnaire, "section": section, "kinds": KIND_CHOICES},
        )
    form = QuestionForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        before = _latest_number(questionnaire)
        try:
            question = question_add(actor=request.user, section=section, **form.service_fields())
        except EvaluationsError as error:
            form.add_error(form.field_for(error.code), error.message)
        else:
            messages.success(request, _("Question ajoutée."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire, f"question-{question.pk}"))
    return _form_page(
        request,
        questionnaire,
        form,
        _("Ajouter une question : %(kind)s") % {"kind": Question.Kind(kind).label.lower()},
        kind=kind,
        section=section,
    )


@require_http_methods(["GET", "POST"])
def question_edit(request, pk, question_pk):
    questionnaire = _questionnaire(request, pk)
    question = _question(questionnaire, question_pk)
    sections = list(question.section.version.sections.order_by("position", "pk"))
    form = QuestionForm(
        request.POST or None,
        kind=question.kind,
        question=question,
        sections=sections,
        answered=Response.objects.filter(version__questionnaire=questionnaire).exists(),
    )
    if request.method == "POST" and form.is_valid():
        before = _latest_number(questionnaire)
        target = None
        if form.cleaned_data.get("section"):
            target = next((s for s in sections if s.pk == form.cleaned_data["section"]), None)
        try:
            question = question_update(
                actor=request.user, question=question, section=target, **form.service_fields()
            )
        except EvaluationsError as error:
            form.add_error(form.field_for(error.code), error.message)
        else:
            messages.success(request, _("Question enregistrée."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire, f"question-{question.pk}"))
    return _form_page(
        request,
        questionnaire,
        form,
        _("Modifier une question : %(kind)s") % {"kind": question.get_kind_display().lower()},
        kind=question.kind,
        fixed_kind=True,
    )


@require_http_methods(["GET", "POST"])
def question_delete_view(request, pk, question_pk):
    questionnaire = _questionnaire(request, pk)
    question = _question(questionnaire, question_pk)
    error = None
    if request.method == "POST":
        before = _latest_number(questionnaire)
        try:
            question_delete(actor=request.user, question=question)
        except EvaluationsError as refused:
            error = refused.message
        else:
            messages.success(request, _("Question supprimée."))
            _say_new_version(request, questionnaire, before)
            return redirect(_detail_url(questionnaire))
    return render(
        request,
        "evaluations/questionnaires/confirm.html",
        {
            "questionnaire": questionnaire,
            "page_title": _("Supprimer une question"),
            "quoted": question.text,
            "refused": error,
            "explanation": _(
                "La question sera retirée du questionnaire. Si cette version a déjà servi, "
                "elle reste intacte avec ses réponses et la suppression se fait dans une "
                "nouvelle version."
            ),
            "button": _("Supprimer la question"),
        },
    )


@require_POST
def question_move_view(request, pk, question_pk):
    questionnaire = _questionnaire(request, pk)
    question = _question(questionnaire, question_pk)
    before = _latest_number(questionnaire)
    try:
        question = question_move(
            actor=request.user, question=question, direction=_direction(request)
        )
    except EvaluationsError as error:
        messages.error(request, error.message)
        return redirect(_detail_url(questionnaire))
    _say_new_version(request, questionnaire, before)
    return redirect(_detail_url(questionnaire, f"question-{question.pk}"))


KIND_HELP = {
    Question.Kind.SCALE: _("Une note de 1 à 5, dont vous nommez les deux bouts."),
    Question.Kind.YES_NO: _("Une réponse par oui ou par non."),
    Question.Kind.SINGLE: _("Une seule option parmi celles que vous proposez."),
    Question.Kind.MULTIPLE: _("Autant d'options que la personne veut parmi les vôtres."),
    Question.Kind.TEXT: _("Une réponse écrite librement (commentaire)."),
    Question.Kind.QUIZ: _("Des options dont une ou plusieurs sont justes, avec des points."),
    Question.Kind.OBJECTIVES: _(
        "Pour chaque objectif de la formation (lus sur sa fiche, un par ligne), un niveau "
        "de 1 à 5 avant et après."
    ),
}
KIND_CHOICES = [(value, label, KIND_HELP[value]) for value, label in Question.Kind.choices]
