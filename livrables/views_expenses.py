from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from formations.exporting import XLSX, export_response
from formations.uploads import accepts_upload
from livrables.exceptions import LivrablesError
from livrables.exports_expenses import ExpenseExporter
from livrables.forms_expenses import ExpenseForm, MissionForm
from livrables.selectors_expenses import (
    expense_formations_for,
    expense_totals,
    formation_expenses,
    formation_missions,
    may_edit_expenses,
)
from livrables.services_expenses import (
    expense_create,
    expense_delete,
    expense_update,
    mission_create,
    mission_delete,
    mission_update,
)


def _formation(request, pk):
    return get_object_or_404(expense_formations_for(user=request.user), pk=pk)


def _editable_formation(request, pk):
    formation = _formation(request, pk)
    if not may_edit_expenses(request.user):
        # In reach but read-only (the funder's auditor reads the expenses): 403. Out of
        # reach (`_formation`: not theirs, or a role that never sees costs): 404.
        raise PermissionDenied
    return formation


def _expense(formation, number):
    return get_object_or_404(formation_expenses(formation=formation), number=number)


def _list_url(formation):
    return reverse("livrables:expense_list", args=[formation.pk])


def totals_tables(totals) -> list[tuple[str, list]]:
    """The two totals tables of the list page and of the formation's panel."""
    return [
        (_("Totaux par catégorie"), totals.by_category),
        (_("Totaux par session ou mission"), totals.by_mission),
    ]


@require_GET
def expense_list(request, pk):
    formation = _formation(request, pk)
    totals = expense_totals(formation=formation)
    return render(
        request,
        "livrables/expenses/list.html",
        {
            "formation": formation,
            "expenses": list(formation_expenses(formation=formation)),
            "missions": list(formation_missions(formation=formation)),
            "totals": totals,
            "totals_tables": totals_tables(totals),
            "can_edit": may_edit_expenses(request.user),
        },
    )


@require_GET
def expense_export(request, pk):
    formation = _formation(request, pk)
    response = export_response(ExpenseExporter(formation=formation), XLSX)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def expense_receipt(request, pk, number):
    """The receipt as deposited, from the private documents storage, for whoever may read
    the formation's expenses (never through a public URL)."""
    formation = _formation(request, pk)
    expense = _expense(formation, number)
    try:
        handle = expense.receipt.open("rb")
    except FileNotFoundError:
        raise Http404(_("Fichier introuvable.")) from None
    response = FileResponse(
        handle,
        content_type=expense.receipt_content_type,
        as_attachment=True,
        filename=expense.pack_name.rsplit("/", 1)[-1],
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _refused(form, error: LivrablesError) -> None:
    if error.code.startswith("receipt"):
        field = "receipt"
    elif error.code in ("outside_mission", "outside_execution"):
        field = "date"
    else:
        field = None
    form.add_error(field, error.message)


def _form_page(request, formation, form, title, expense=None):
    return render(
        request,
        "livrables/expenses/form.html",
        {
            "formation": formation,
            "form": form,
            "page_title": title,
            "cancel_url": _list_url(formation),
            "cancel_label": _("Revenir sans rien changer"),
            "expense": expense,
        },
    )


@require_http_methods(["GET", "POST"])
@accepts_upload("receipt")
def expense_add(request, pk):
    formation = _editable_formation(request, pk)
    form = ExpenseForm(request.POST or None, request.FILES or None, formation=formation)
    if request.method == "POST" and form.is_valid():
        try:
            expense = expense_create(
                actor=request.user,
                formation=formation,
                receipt=form.cleaned_data["receipt"],
                **form.service_fields(),
            )
        except LivrablesError as error:
            _refused(form, error)
        else:
            messages.success(
                request, _("Dépense n° %(number)s enregistrée.") % {"number": expense.number}
            )
            return redirect(_list_url(formation))
    return _form_page(request, formation, form, _("Ajouter une dépense (frais engagés)"))


@require_http_methods(["GET", "POST"])
@accepts_upload("receipt")
def expense_edit(request, pk, number):
    formation = _editable_formation(request, pk)
    expense = _expense(formation, number)
    form = ExpenseForm(
        request.POST or None, request.FILES or None, formation=formation, expense=expense
    )
    if request.method == "POST" and form.is_valid():
        try:
            expense_update(
                actor=request.user,
                expense=expense,
                receipt=form.cleaned_data.get("receipt") or None,
                **form.service_fields(),
            )
        except LivrablesError as error:
            _refused(form, error)
        else:
            messages.success(
                request, _("Dépense n° %(number)s modifiée.") % {"number": expense.number}
            )
            return redirect(_list_url(formation))
    return _form_page(
        request,
        formation,
        form,
        _("Modifier la dépense n° %(number)s") % {"number": expense.number},
        expense,
    )


@require_http_methods(["GET", "POST"])
def expense_remove(request, pk, number):
    formation = _editable_formation(request, pk)
    expense = _expense(formation, number)
    if request.method == "POST":
        expense_delete(actor=request.user, expense=expense)
        messages.success(
            request, _("Dépense n° %(number)s supprimée.") % {"number": expense.number}
        )
        return redirect(_list_url(formation))
    return render(
        request,
        "livrables/expenses/delete.html",
        {"formation": formation, "expense": expense, "cancel_url": _list_url(formation)},
    )


@require_http_methods(["GET", "POST"])
def mission_add(request, pk):
    formation = _editable_formation(request, pk)
    form = MissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mission = mission_create(actor=request.user, formation=formation, **form.cleaned_data)
        except LivrablesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Mission « %(name)s » ajoutée.") % {"name": mission.name})
            return redirect(_list_url(formation))
    return _form_page(request, formation, form, _("Ajouter une mission"))


def _mission(formation, mission_pk):
    return get_object_or_404(formation_missions(formation=formation), pk=mission_pk)


@require_http_methods(["GET", "POST"])
def mission_edit(request, pk, mission_pk):
    formation = _editable_formation(request, pk)
    mission = _mission(formation, mission_pk)
    form = MissionForm(
        request.POST or None,
        initial={
            "name": mission.name,
            "start_date": mission.start_date,
            "end_date": mission.end_date,
            "place": mission.place,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            mission = mission_update(actor=request.user, mission=mission, **form.cleaned_data)
        except LivrablesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Mission « %(name)s » modifiée.") % {"name": mission.name})
            return redirect(_list_url(formation))
    return _form_page(
        request, formation, form, _("Modifier la mission « %(name)s »") % {"name": mission.name}
    )


@require_http_methods(["GET", "POST"])
def mission_remove(request, pk, mission_pk):
    formation = _editable_formation(request, pk)
    mission = _mission(formation, mission_pk)
    error = ""
    if request.method == "POST":
        try:
            mission_delete(actor=request.user, mission=mission)
        except LivrablesError as refused:
            error = refused.message
        else:
            messages.success(request, _("Mission « %(name)s » supprimée.") % {"name": mission.name})
            return redirect(_list_url(formation))
    return render(
        request,
        "livrables/expenses/mission_delete.html",
        {
            "formation": formation,
            "mission": mission,
            "expense_count": mission.expenses.count(),
            "error": error,
            "cancel_url": _list_url(formation),
        },
    )
