"""The « Service fait » actions of a formation: the statement as XLSX, the statement PDF
issued, a claim and a payment recorded. The page itself is the formation's, through the
panel (`livrables.panels_service_fait`). A formation out of the user's reach is 404; in
reach but not theirs to read or write, 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from formations.exporting import xlsx_response
from formations.selectors import formations_visible_to
from livrables.exceptions import LivrablesError
from livrables.exports_service_fait import ServiceFaitExporter
from livrables.forms_service_fait import ClaimForm, PaymentForm, PeriodForm
from livrables.models import ServiceFaitClaim
from livrables.permissions import may_read_service_fait, may_write_service_fait
from livrables.service_fait import service_fait_statement
from livrables.services_claims import (
    issue_service_fait_statement,
    record_claim,
    record_payment,
)
from livrables.views import issued_message


def _formation(request, pk: int, *, write: bool):
    formation = get_object_or_404(
        formations_visible_to(user=request.user).select_related("programme"), pk=pk
    )
    allowed = (
        may_write_service_fait(request.user)
        if write
        else may_read_service_fait(request.user, formation)
    )
    if not allowed:
        raise PermissionDenied
    return formation


def _back(formation, period=None) -> str:
    url = reverse("formations:formation_detail", args=[formation.pk])
    if period:
        url += f"?sf_du={period[0]:%Y-%m-%d}&sf_au={period[1]:%Y-%m-%d}"
    return url + "#service-fait"


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''} : {error}".lstrip(" :")
        for name, errors in form.errors.items()
        for error in errors
    )


@require_GET
def service_fait_xlsx(request, pk: int):
    formation = _formation(request, pk, write=False)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_back(formation))
    statement = service_fait_statement(
        formation=formation,
        period_start=form.cleaned_data["du"],
        period_end=form.cleaned_data["au"],
    )
    return xlsx_response(ServiceFaitExporter(statement=statement))


@require_POST
def service_fait_issue(request, pk: int):
    formation = _formation(request, pk, write=True)
    form = PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_back(formation))
    period = (form.cleaned_data["du"], form.cleaned_data["au"])
    try:
        record = issue_service_fait_statement(
            formation=formation, period_start=period[0], period_end=period[1], actor=request.user
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    return redirect(_back(formation, period))


@require_POST
def service_fait_claim(request, pk: int):
    formation = _formation(request, pk, write=True)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_back(formation))
    data = form.cleaned_data
    try:
        record_claim(
            formation=formation,
            period_start=data["period_start"],
            period_end=data["period_end"],
            amount=data["amount"],
            sent_on=data["sent_on"],
            note=data["note"],
            actor=request.user,
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Demande de paiement enregistrée."))
    return redirect(_back(formation, (data["period_start"], data["period_end"])))


@require_POST
def service_fait_payment(request, pk: int):
    formation = _formation(request, pk, write=True)
    form = PaymentForm(
        request.POST,
        funders=formation.programme.funders.order_by("name"),
        claims=ServiceFaitClaim.objects.filter(formation=formation),
    )
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_back(formation))
    data = form.cleaned_data
    try:
        record_payment(
            formation=formation,
            received_on=data["received_on"],
            amount=data["amount"],
            funder=data["funder"],
            claim=data["claim"],
            note=data["note"],
            actor=request.user,
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Paiement enregistré."))
    return redirect(_back(formation))
