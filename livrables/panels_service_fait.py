"""« Service fait » on the formation page: the period's statement (units realised, the
claimable amount HT and TTC, pending half-days, the contract rules' state), claimed / paid
/ still due, the statements issued, and for coordinators the forms to issue the PDF and
record a claim or a payment. Auditors of the formation's funders read it; others see
nothing."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from livrables.data import verification_url
from livrables.forms_service_fait import ClaimForm, PaymentForm, PeriodForm
from livrables.models import IssuedDocument, ServiceFaitClaim
from livrables.models_claims import ACTIVE
from livrables.permissions import may_read_service_fait, may_write_service_fait
from livrables.selectors import document_states
from livrables.service_fait import service_fait_statement
from sessions.selectors.contract import RuleState

# Statements listed on the panel (the register keeps every one).
ISSUED_SHOWN = 5


def default_period(formation, claims, today: dt.date) -> tuple[dt.date, dt.date]:
    """From the day after the last claimed period (else the execution start, else 1
    January) to today, within the execution period."""
    if claims:
        start = max(c.period_end for c in claims) + dt.timedelta(days=1)
    else:
        start = formation.start_date or dt.date(today.year, 1, 1)
    end = today if formation.end_date is None else min(today, formation.end_date)
    return start, max(start, end)


def service_fait_panel(request, formation):
    user = request.user
    if not may_read_service_fait(user, formation):
        return None
    today = timezone.localdate()
    form = PeriodForm(
        {"du": request.GET.get("sf_du"), "au": request.GET.get("sf_au")}
        if "sf_du" in request.GET
        else None
    )
    claims = list(formation.service_fait_claims.all())
    start, end = default_period(formation, [c for c in claims if not c.is_cancelled], today)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["du"], form.cleaned_data["au"]
    elif not form.is_bound:
        form = PeriodForm(initial={"du": start, "au": end})
    statement = service_fait_statement(
        formation=formation, period_start=start, period_end=end, claims=claims
    )
    issued = list(
        IssuedDocument.objects.filter(
            formation=formation, kind=IssuedDocument.Kind.SERVICE_FAIT_STATEMENT
        ).order_by("-issued_at", "-pk")[:ISSUED_SHOWN]
    )
    states = document_states(issued)
    for document in issued:
        document.state = states[document.pk]
        document.verification_url = verification_url(document.number)
    can_write = may_write_service_fait(user)
    basis = "TTC" if formation.amount_includes_vat else "HT"
    claim_form = payment_form = None
    if can_write:
        claimable = statement.claimable
        claim_form = ClaimForm(
            basis=basis,
            initial={
                "period_start": start,
                "period_end": end,
                "amount": (claimable.ttc if basis == "TTC" else claimable.ht)
                if claimable
                else None,
                "sent_on": today,
            },
        )
        payment_form = PaymentForm(
            funders=formation.programme.funders.order_by("name"),
            claims=ServiceFaitClaim.objects.filter(ACTIVE, formation=formation),
            initial={"received_on": today},
        )
    return (
        "livrables/panels/service_fait.html",
        {
            "sf": statement,
            "sf_period_form": form,
            "sf_claim_form": claim_form,
            "sf_payment_form": payment_form,
            "sf_can_write": can_write,
            "sf_issued": issued,
            "sf_xlsx_url": reverse("livrables:service_fait_xlsx", args=[formation.pk])
            + f"?du={start:%Y-%m-%d}&au={end:%Y-%m-%d}",
            "sf_issue_url": reverse("livrables:service_fait_issue", args=[formation.pk]),
            "sf_claim_url": reverse("livrables:service_fait_claim", args=[formation.pk]),
            "sf_payment_url": reverse("livrables:service_fait_payment", args=[formation.pk]),
            "sf_rules_badge": RuleState.BADGES[statement.contract.state],
            "sf_rules_label": RuleState.LABELS[statement.contract.state],
            "sf_start": start,
            "sf_end": end,
        },
    )
