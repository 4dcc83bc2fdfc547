"""The « Service fait » actions of a formation: the statement as XLSX, the statement PDF
issued, a claim and a payment recorded. The page itself is the formation's, through the
panel (`livrables.panels_service_fait`). A formation out of the user's reach is 404; in
reach but not theirs to read or write, 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from formations.exporting import xlsx_response
from formations.selectors import formations_visible_to
from livrables.exceptions import LivrablesError
from livrables.exports_service_fait import ServiceFaitExporter
from livrables.forms_service_fait import CancelForm, ClaimForm, PaymentForm, PeriodForm
from livrables.models import Payment, ServiceFaitClaim
from livrables.models_claims import ACTIVE
from livrables.pdf.service_fait import euros
from livrables.permissions import may_read_service_fait, may_write_service_fait
from livrables.service_fait import service_fait_statement
from livrables.services_claims import (
    claim_cancel,
    claim_update,
    issue_service_fait_statement,
    payment_cancel,
    payment_update,
    record_claim,
    record_payment,
)
from livrables.views import issued_message


def _formation(request, pk: int, *, write: bool):
    # Out of reach (a formation not theirs, or service fait they do not read: a trainer)
    # → 404, as every page; in reach but read-only (the funder's auditor) → 403.
    formation = get_object_or_404(
        formations_visible_to(user=request.user).select_related("programme"), pk=pk
    )
    if not may_read_service_fait(request.user, formation):
        raise Http404
    if write and not may_write_service_fait(request.user):
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
    form = ClaimForm(request.POST, basis=_basis(formation))
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_claim(formation=formation, actor=request.user, **data)
        except LivrablesError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Demande de paiement enregistrée."))
            return redirect(_back(formation, (data["period_start"], data["period_end"])))
    # Refused: the form again, open on its own page with what was typed and the errors
    # next to their fields (before, a banner on the formation page and an empty form).
    return _form_page(request, formation, form, _("Enregistrer une demande de paiement"))


@require_POST
def service_fait_payment(request, pk: int):
    formation = _formation(request, pk, write=True)
    form = _payment_form(formation, request.POST)
    if form.is_valid():
        try:
            record_payment(formation=formation, actor=request.user, **form.cleaned_data)
        except LivrablesError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Paiement enregistré."))
            return redirect(_back(formation))
    return _form_page(request, formation, form, _("Enregistrer un paiement reçu"))


# ------------------------------------------------------------------ corrections
# A standing claim or payment is corrected on its own page, or cancelled after a page
# that shows it and asks why (money records are cancelled, never deleted). A cancelled
# one, or one of another formation, is 404.


def _basis(formation) -> str:
    return "TTC" if formation.amount_includes_vat else "HT"


def _payment_form(formation, *args, **kwargs) -> PaymentForm:
    return PaymentForm(
        *args,
        funders=formation.programme.funders.order_by("name"),
        claims=ServiceFaitClaim.objects.filter(ACTIVE, formation=formation),
        **kwargs,
    )


def _form_page(request, formation, form, title):
    return render(
        request,
        "livrables/service_fait/form.html",
        {
            "formation": formation,
            "form": form,
            "page_title": title,
            "cancel_url": _back(formation),
            "cancel_label": _("Revenir sans rien changer"),
        },
    )


# The field a refusal of the services is about, to show it next to that field.
_ERROR_FIELDS = {
    "future_date": "received_on",
    "before_claim": "received_on",
    "over_claim": "amount",
    "invalid_amount": "amount",
    "over_contract": "amount",
    "wrong_funder": "funder",
    "wrong_claim": "claim",
    "sent_before_period": "sent_on",
}


def _refused(form, error: LivrablesError) -> None:
    field = _ERROR_FIELDS.get(error.code)
    form.add_error(field if field in form.fields else None, error.message)


def _claim_title(claim) -> str:
    return _("la demande de paiement du %(start)s au %(end)s") % {
        "start": f"{claim.period_start:%d/%m/%Y}",
        "end": f"{claim.period_end:%d/%m/%Y}",
    }


def _payment_title(payment) -> str:
    return _("le paiement reçu le %(date)s") % {"date": f"{payment.received_on:%d/%m/%Y}"}


@require_http_methods(["GET", "POST"])
def service_fait_claim_edit(request, pk: int, claim_pk: int):
    formation = _formation(request, pk, write=True)
    claim = get_object_or_404(
        ServiceFaitClaim.objects.filter(ACTIVE, formation=formation), pk=claim_pk
    )
    amount = claim.amount_ttc if formation.amount_includes_vat else claim.amount_ht
    form = ClaimForm(
        request.POST or None,
        basis=_basis(formation),
        initial={
            "period_start": claim.period_start,
            "period_end": claim.period_end,
            "amount": amount,
            "sent_on": claim.sent_on,
            "note": claim.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            claim_update(claim=claim, actor=request.user, **form.cleaned_data)
        except LivrablesError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Demande de paiement corrigée."))
            return redirect(_back(formation))
    return _form_page(
        request, formation, form, _("Corriger %(what)s") % {"what": _claim_title(claim)}
    )


def _cancel_page(request, formation, *, payment: bool, cancel, done: str, page: dict):
    """The confirmation page of a cancellation (reason asked, consequence said), and the
    cancellation itself once confirmed: `cancel(reason)` calls the service."""
    form = CancelForm(request.POST or None, payment=payment)
    if request.method == "POST" and form.is_valid():
        try:
            cancel(form.cleaned_data["reason"])
        except LivrablesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done)
            return redirect(_back(formation))
    return render(
        request,
        "livrables/service_fait/cancel.html",
        {"formation": formation, "form": form, "cancel_url": _back(formation), **page},
    )


@require_http_methods(["GET", "POST"])
def service_fait_claim_cancel(request, pk: int, claim_pk: int):
    formation = _formation(request, pk, write=True)
    claim = get_object_or_404(
        ServiceFaitClaim.objects.filter(ACTIVE, formation=formation), pk=claim_pk
    )
    return _cancel_page(
        request,
        formation,
        payment=False,
        cancel=lambda reason: claim_cancel(claim=claim, reason=reason, actor=request.user),
        done=_("Demande de paiement annulée."),
        page={
            "title": _("Annuler %(what)s") % {"what": _claim_title(claim)},
            "facts": [
                (_("Période"), f"{claim.period_start:%d/%m/%Y} – {claim.period_end:%d/%m/%Y}"),
                (_("Envoyée le"), f"{claim.sent_on:%d/%m/%Y}"),
                (_("Montant HT"), euros(claim.amount_ht)),
                (_("Montant TTC"), euros(claim.amount_ttc)),
            ],
            "consequence": _(
                "La demande reste enregistrée, marquée « annulée » avec son motif ; elle ne "
                "compte plus dans le demandé ni dans le reste dû, et sa période peut être "
                "demandée à nouveau."
            ),
            "button": _("Annuler la demande"),
        },
    )


@require_http_methods(["GET", "POST"])
def service_fait_payment_edit(request, pk: int, payment_pk: int):
    formation = _formation(request, pk, write=True)
    payment = get_object_or_404(Payment.objects.filter(ACTIVE, formation=formation), pk=payment_pk)
    form = _payment_form(
        formation,
        request.POST or None,
        initial={
            "received_on": payment.received_on,
            "amount": payment.amount,
            "funder": payment.funder_id,
            "claim": payment.claim_id,
            "note": payment.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment_update(payment=payment, actor=request.user, **form.cleaned_data)
        except LivrablesError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Paiement corrigé."))
            return redirect(_back(formation))
    return _form_page(
        request, formation, form, _("Corriger %(what)s") % {"what": _payment_title(payment)}
    )


@require_http_methods(["GET", "POST"])
def service_fait_payment_cancel(request, pk: int, payment_pk: int):
    formation = _formation(request, pk, write=True)
    payment = get_object_or_404(
        Payment.objects.filter(ACTIVE, formation=formation).select_related("funder"),
        pk=payment_pk,
    )
    return _cancel_page(
        request,
        formation,
        payment=True,
        cancel=lambda reason: payment_cancel(payment=payment, reason=reason, actor=request.user),
        done=_("Paiement annulé."),
        page={
            "title": _("Annuler %(what)s") % {"what": _payment_title(payment)},
            "facts": [
                (_("Reçu le"), f"{payment.received_on:%d/%m/%Y}"),
                (_("Financeur"), payment.funder.name),
                (_("Montant"), euros(payment.amount)),
            ],
            "consequence": _(
                "Le paiement reste enregistré, marqué « annulé » avec son motif ; il ne "
                "compte plus dans le reçu ni dans le reste dû."
            ),
            "button": _("Annuler le paiement"),
        },
    )
