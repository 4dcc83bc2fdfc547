"""Service fait writes: recording what the coordinator claims from the funder and the
payments received, and issuing the état de service fait. Coordinators only, checked
here; every write is validated (`full_clean`) and journaled on the formation."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.models import Formation
from formations.permissions import can_manage
from livrables.data_service_fait import build_statement_data
from livrables.exceptions import LivrablesError, clean_or_refuse
from livrables.models import IssuedDocument, Payment, ServiceFaitClaim
from livrables.models_claims import ACTIVE
from livrables.pdf.service_fait import euros, render_service_fait
from livrables.permissions import ensure_coordinator
from livrables.service_fait import Money
from livrables.services import Subject, _issue

# « erreur » is not a reason a controller can follow.
MIN_REASON_CHARS = 10


def _ensure_coordinator(actor) -> None:
    ensure_coordinator(
        actor, _("Seule la coordination enregistre les demandes de paiement et les paiements.")
    )


def _positive(value, *, allow_zero: bool) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise LivrablesError(_("Le montant n'est pas un nombre."), code="invalid_amount") from None
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        raise LivrablesError(_("Le montant doit être positif."), code="invalid_amount")
    return amount


@transaction.atomic
def record_claim(
    *,
    formation: Formation,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    sent_on: dt.date,
    actor,
    note: str = "",
) -> ServiceFaitClaim:
    """Records a claim of service fait sent to the funder over [period_start, period_end].
    `amount` is on the formation's basis (TTC when its amount includes VAT, else HT); the
    other figure is derived with its VAT rate (`service_fait.Money`).

    Raises LivrablesError `not_allowed` (coordinators only), `period_reversed`,
    `invalid_amount` (negative or not a number), `period_overlap` (a claim of the
    formation already covers part of the period: a period is claimed once),
    `outside_execution` (the period leaves the contract's execution period),
    `over_contract` (the claims would exceed the contract's amount),
    `sent_before_period` (sent before the period began), `invalid`.
    Audit action `livrables.service_fait_claimed`, on the formation."""
    _ensure_coordinator(actor)
    # Lock the formation: two claims recorded at once cannot both pass the overlap check.
    formation = Formation.objects.select_for_update().get(pk=formation.pk)
    amount = _checked_claim(formation, period_start, period_end, amount)
    _ensure_sent_after_start(period_start, sent_on)
    money = Money.from_basis(amount, formation=formation)
    claim = ServiceFaitClaim(
        formation=formation,
        period_start=period_start,
        period_end=period_end,
        amount_ht=money.ht,
        amount_ttc=money.ttc,
        sent_on=sent_on,
        sent_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=(note or "").strip(),
    )
    clean_or_refuse(claim, exclude=["formation", "sent_by"])
    claim.save()
    log_action(
        actor=actor,
        action="livrables.service_fait_claimed",
        obj=formation,
        summary=_("Demande de paiement du %(start)s au %(end)s : %(ttc)s TTC")
        % {
            "start": f"{period_start:%d/%m/%Y}",
            "end": f"{period_end:%d/%m/%Y}",
            "ttc": euros(money.ttc),
        },
        data={
            "claim": claim.pk,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "amount_ht": str(money.ht),
            "amount_ttc": str(money.ttc),
            "sent_on": sent_on.isoformat(),
        },
    )
    return claim


def _checked_claim(formation, period_start, period_end, amount, *, other_than=None) -> Decimal:
    """The checks of a claim recorded or changed (`other_than`: the claim being changed,
    left out of the overlap and of the total). Returns the amount as a Decimal."""
    if period_start > period_end:
        raise LivrablesError(
            _("La période est inversée : la date de début suit la date de fin."),
            code="period_reversed",
        )
    amount = _positive(amount, allow_zero=False)
    others = ServiceFaitClaim.objects.filter(ACTIVE, formation=formation)
    if other_than is not None:
        others = others.exclude(pk=other_than.pk)
    overlap = (
        others.filter(period_start__lte=period_end, period_end__gte=period_start)
        .order_by("period_start")
        .first()
    )
    if overlap is not None:
        raise LivrablesError(
            _(
                "La période du %(start)s au %(end)s chevauche une demande déjà envoyée "
                "(du %(other_start)s au %(other_end)s) : une période ne se réclame qu'une fois."
            )
            % {
                "start": f"{period_start:%d/%m/%Y}",
                "end": f"{period_end:%d/%m/%Y}",
                "other_start": f"{overlap.period_start:%d/%m/%Y}",
                "other_end": f"{overlap.period_end:%d/%m/%Y}",
            },
            code="period_overlap",
        )
    _ensure_within_execution(formation, period_start, period_end)
    _ensure_within_contract(formation, amount, others)
    return amount


def _ensure_sent_after_start(period_start: dt.date, sent_on: dt.date) -> None:
    # Funders may accept a claim of a period still running (an interim claim), so a claim
    # sent before its period ends is allowed; one sent before its period even began
    # claims a service not yet started: a typing error of the date or of the period.
    if sent_on < period_start:
        raise LivrablesError(
            _(
                "La demande est envoyée le %(sent)s, avant le début de la période qu'elle "
                "réclame (%(start)s) : vérifiez la date d'envoi ou la période."
            )
            % {"sent": f"{sent_on:%d/%m/%Y}", "start": f"{period_start:%d/%m/%Y}"},
            code="sent_before_period",
        )


def _ensure_within_execution(formation, period_start, period_end) -> None:
    start, end = formation.start_date, formation.end_date
    if (start and period_start < start) or (end and period_end > end):
        raise LivrablesError(
            _(
                "La période du %(start)s au %(end)s sort de la période d'exécution du marché "
                "(%(contract)s) : rien ne s'y réclame."
            )
            % {
                "start": f"{period_start:%d/%m/%Y}",
                "end": f"{period_end:%d/%m/%Y}",
                "contract": " – ".join(f"{day:%d/%m/%Y}" if day else "…" for day in (start, end)),
            },
            code="outside_execution",
        )


def _ensure_within_contract(formation, amount: Decimal, others) -> None:
    """All claims together (`others`: the formation's other standing claims) stay within
    the contract's amount (on its own basis, HT or TTC): a claim beyond it is a typing
    error or a claim the funder will refuse."""
    field = "amount_ttc" if formation.amount_includes_vat else "amount_ht"
    claimed = others.aggregate(total=Sum(field))["total"] or Decimal("0")
    if claimed + amount > formation.amount:
        raise LivrablesError(
            _(
                "Avec cette demande, %(total)s seraient demandés, plus que le montant du "
                "marché (%(contract)s) : vérifiez le montant."
            )
            % {
                "total": euros(claimed + amount),
                "contract": euros(formation.amount),
            },
            code="over_contract",
        )


@transaction.atomic
def record_payment(
    *,
    formation: Formation,
    received_on: dt.date,
    amount: Decimal,
    funder,
    actor,
    claim: ServiceFaitClaim | None = None,
    note: str = "",
) -> Payment:
    """Records a payment received from `funder` (one of the formation's programme's
    funders), optionally for one of its claims.

    Raises LivrablesError `not_allowed`, `invalid_amount` (zero, negative, not a number),
    `wrong_funder` (not a funder of the programme), `wrong_claim` (a claim of another
    formation), `future_date` (received after today), `before_claim` (received before the
    claim it settles was sent), `over_claim` (the claim's payments would exceed its TTC
    amount), `invalid`. Audit action `livrables.payment_recorded`, on the formation."""
    _ensure_coordinator(actor)
    amount = _positive(amount, allow_zero=False)
    _check_payment(formation, funder, claim, received_on=received_on, amount=amount)
    payment = Payment(
        formation=formation,
        claim=claim,
        received_on=received_on,
        amount=amount,
        funder=funder,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=(note or "").strip(),
    )
    clean_or_refuse(payment, exclude=["formation", "claim", "funder", "recorded_by"])
    payment.save()
    log_action(
        actor=actor,
        action="livrables.payment_recorded",
        obj=formation,
        summary=_("Paiement reçu le %(date)s : %(amount)s (%(funder)s)")
        % {"date": f"{received_on:%d/%m/%Y}", "amount": euros(amount), "funder": funder.name},
        data={
            "payment": payment.pk,
            "claim": claim.pk if claim else None,
            "amount": str(amount),
            "funder": funder.pk,
            "received_on": received_on.isoformat(),
        },
    )
    return payment


def _check_payment(formation, funder, claim, *, received_on, amount, other_than=None) -> None:
    """The checks of a payment recorded or changed (`other_than`: the payment being
    changed, left out of what its claim has received)."""
    today = timezone.localdate()
    if received_on > today:
        raise LivrablesError(
            _(
                "Le paiement est daté du %(date)s, après aujourd'hui (%(today)s) : "
                "enregistrez-le une fois reçu."
            )
            % {"date": f"{received_on:%d/%m/%Y}", "today": f"{today:%d/%m/%Y}"},
            code="future_date",
        )
    if funder is None or not formation.programme.funders.filter(pk=funder.pk).exists():
        raise LivrablesError(
            _("Ce financeur ne finance pas le programme de la formation."), code="wrong_funder"
        )
    if claim is not None and claim.formation_id != formation.pk:
        raise LivrablesError(
            _("Cette demande de paiement concerne une autre formation."), code="wrong_claim"
        )
    if claim is None:
        return
    # Read again, locked: the caller's copy may predate a cancellation, and `claim_cancel`
    # locks the claim before it checks that no standing payment settles it; without this
    # lock both could pass their check at once and leave a payment on a cancelled claim.
    locked = ServiceFaitClaim.objects.select_for_update(of=("self",)).filter(pk=claim.pk).first()
    if locked is None or locked.is_cancelled:
        raise LivrablesError(
            _("Cette demande de paiement a été annulée : aucun paiement ne la règle."),
            code="wrong_claim",
        )
    # A payment settles a claim the funder has received: it cannot come before it.
    if received_on < locked.sent_on:
        raise LivrablesError(
            _(
                "Le paiement est daté du %(date)s, avant l'envoi de la demande qu'il règle "
                "(envoyée le %(sent)s) : vérifiez la date ou la demande réglée."
            )
            % {"date": f"{received_on:%d/%m/%Y}", "sent": f"{locked.sent_on:%d/%m/%Y}"},
            code="before_claim",
        )
    # The funder pays what was claimed TTC; more on one claim is a typing error. (A
    # payment tied to no claim is not capped: the panel shows any overpayment.)
    received = locked.payments.filter(ACTIVE)
    if other_than is not None:
        received = received.exclude(pk=other_than.pk)
    already = received.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if already + amount > locked.amount_ttc:
        raise LivrablesError(
            _(
                "Avec ce paiement, %(total)s seraient reçus pour la demande du %(start)s au "
                "%(end)s, plus que son montant (%(ttc)s TTC) : vérifiez le montant."
            )
            % {
                "total": euros(already + amount),
                "start": f"{locked.period_start:%d/%m/%Y}",
                "end": f"{locked.period_end:%d/%m/%Y}",
                "ttc": euros(locked.amount_ttc),
            },
            code="over_claim",
        )


# ------------------------------------------------------------------ corrections


def _claim_values(claim: ServiceFaitClaim) -> dict:
    return {
        "period": [claim.period_start.isoformat(), claim.period_end.isoformat()],
        "amount_ht": str(claim.amount_ht),
        "amount_ttc": str(claim.amount_ttc),
        "sent_on": claim.sent_on.isoformat(),
        "note": claim.note,
    }


def _payment_values(payment: Payment) -> dict:
    return {
        "received_on": payment.received_on.isoformat(),
        "amount": str(payment.amount),
        "funder": payment.funder_id,
        "claim": payment.claim_id,
        "note": payment.note,
    }


def _ensure_standing(record, message) -> None:
    if record.is_cancelled:
        raise LivrablesError(message, code="cancelled")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise LivrablesError(
            _(
                "Écrivez le motif de l'annulation (au moins %(n)s caractères) : l'historique "
                "le garde pour le financeur et le contrôle."
            )
            % {"n": MIN_REASON_CHARS},
            code="reason_required",
        )
    return reason


def _claim_text(claim: ServiceFaitClaim) -> str:
    return _("du %(start)s au %(end)s, %(ttc)s TTC") % {
        "start": f"{claim.period_start:%d/%m/%Y}",
        "end": f"{claim.period_end:%d/%m/%Y}",
        "ttc": euros(claim.amount_ttc),
    }


@transaction.atomic
def claim_update(
    *,
    claim: ServiceFaitClaim,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    sent_on: dt.date,
    actor,
    note: str = "",
) -> ServiceFaitClaim:
    """Corrects a claim as recorded (a typing error: the period, the amount, the date
    sent), with the same checks as `record_claim`, the claim itself left out of the
    overlap and of the total. A cancelled claim is not changed (`cancelled`).

    Raises LivrablesError as `record_claim`, and `cancelled`. Audit action
    `livrables.service_fait_claim_updated`, on the formation, with the values before and
    after."""
    _ensure_coordinator(actor)
    formation = Formation.objects.select_for_update().get(pk=claim.formation_id)
    claim = ServiceFaitClaim.objects.select_for_update().get(pk=claim.pk)
    _ensure_standing(claim, _("Cette demande de paiement a été annulée : elle ne se modifie plus."))
    amount = _checked_claim(formation, period_start, period_end, amount, other_than=claim)
    _ensure_sent_after_start(period_start, sent_on)
    before = _claim_values(claim)
    money = Money.from_basis(amount, formation=formation)
    claim.period_start, claim.period_end = period_start, period_end
    claim.amount_ht, claim.amount_ttc = money.ht, money.ttc
    claim.sent_on = sent_on
    claim.note = (note or "").strip()
    claim.updated_at = timezone.now()
    clean_or_refuse(claim, exclude=["formation", "sent_by", "cancelled_by"])
    claim.save()
    after = _claim_values(claim)
    log_action(
        actor=actor,
        action="livrables.service_fait_claim_updated",
        obj=formation,
        summary=_("Demande de paiement corrigée : %(claim)s") % {"claim": _claim_text(claim)},
        data={"claim": claim.pk, "before": before, "after": after},
    )
    return claim


@transaction.atomic
def claim_cancel(*, claim: ServiceFaitClaim, reason: str, actor, now=None) -> ServiceFaitClaim:
    """Cancels a claim recorded by mistake or withdrawn: the row stays (a money record),
    marked with who cancelled it, when and why; it no longer counts in the totals nor in
    the overlap check, so its period may be claimed again.

    Raises LivrablesError `not_allowed`, `cancelled` (already), `reason_required`,
    `claim_paid` (a standing payment settles it: cancel or correct that payment first).
    Audit action `livrables.service_fait_claim_cancelled`, on the formation."""
    _ensure_coordinator(actor)
    claim = ServiceFaitClaim.objects.select_for_update().get(pk=claim.pk)
    _ensure_standing(claim, _("Cette demande de paiement est déjà annulée."))
    reason = _reason(reason)
    paid = claim.payments.filter(ACTIVE).order_by("received_on").first()
    if paid is not None:
        raise LivrablesError(
            _(
                "Le paiement reçu le %(date)s (%(amount)s) règle cette demande : annulez-le "
                "ou rattachez-le à une autre demande d'abord."
            )
            % {"date": f"{paid.received_on:%d/%m/%Y}", "amount": euros(paid.amount)},
            code="claim_paid",
        )
    claim.cancelled_at = claim.updated_at = now or timezone.now()
    claim.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    claim.cancellation_reason = reason
    claim.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_reason", "updated_at"])
    log_action(
        actor=actor,
        action="livrables.service_fait_claim_cancelled",
        obj=claim.formation,
        summary=_("Demande de paiement annulée (%(claim)s) : %(reason)s")
        % {"claim": _claim_text(claim), "reason": reason},
        data={"claim": claim.pk, "before": _claim_values(claim), "reason": reason},
    )
    return claim


def _payment_text(payment: Payment) -> str:
    return _("reçu le %(date)s, %(amount)s") % {
        "date": f"{payment.received_on:%d/%m/%Y}",
        "amount": euros(payment.amount),
    }


@transaction.atomic
def payment_update(
    *,
    payment: Payment,
    received_on: dt.date,
    amount: Decimal,
    funder,
    actor,
    claim: ServiceFaitClaim | None = None,
    note: str = "",
) -> Payment:
    """Corrects a payment as recorded, with the same checks as `record_payment`. A
    cancelled payment is not changed.

    Raises LivrablesError as `record_payment`, and `cancelled`. Audit action
    `livrables.payment_updated`, on the formation, with the values before and after."""
    _ensure_coordinator(actor)
    # `of`: lock the payment's row only, not the formation joined to it.
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("formation")
        .get(pk=payment.pk)
    )
    _ensure_standing(payment, _("Ce paiement a été annulé : il ne se modifie plus."))
    amount = _positive(amount, allow_zero=False)
    _check_payment(
        payment.formation,
        funder,
        claim,
        received_on=received_on,
        amount=amount,
        other_than=payment,
    )
    before = _payment_values(payment)
    payment.received_on, payment.amount, payment.funder, payment.claim = (
        received_on,
        amount,
        funder,
        claim,
    )
    payment.note = (note or "").strip()
    payment.updated_at = timezone.now()
    clean_or_refuse(
        payment, exclude=["formation", "claim", "funder", "recorded_by", "cancelled_by"]
    )
    payment.save()
    log_action(
        actor=actor,
        action="livrables.payment_updated",
        obj=payment.formation,
        summary=_("Paiement corrigé : %(payment)s (%(funder)s)")
        % {"payment": _payment_text(payment), "funder": funder.name},
        data={"payment": payment.pk, "before": before, "after": _payment_values(payment)},
    )
    return payment


@transaction.atomic
def payment_cancel(*, payment: Payment, reason: str, actor, now=None) -> Payment:
    """Cancels a payment recorded by mistake: the row stays, marked with who cancelled
    it, when and why, and no longer counts in what was received.

    Raises LivrablesError `not_allowed`, `cancelled` (already), `reason_required`. Audit
    action `livrables.payment_cancelled`, on the formation."""
    _ensure_coordinator(actor)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    _ensure_standing(payment, _("Ce paiement est déjà annulé."))
    reason = _reason(reason)
    payment.cancelled_at = payment.updated_at = now or timezone.now()
    payment.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    payment.cancellation_reason = reason
    payment.save(
        update_fields=["cancelled_at", "cancelled_by", "cancellation_reason", "updated_at"]
    )
    log_action(
        actor=actor,
        action="livrables.payment_cancelled",
        obj=payment.formation,
        summary=_("Paiement annulé (%(payment)s) : %(reason)s")
        % {"payment": _payment_text(payment), "reason": reason},
        data={"payment": payment.pk, "before": _payment_values(payment), "reason": reason},
    )
    return payment


def issue_service_fait_statement(
    *, formation: Formation, period_start: dt.date, period_end: dt.date, actor, now=None
) -> IssuedDocument:
    """Issues the état de service fait of `formation` over the period: rendered once,
    kept, registered (`IssuedDocument` of kind `service_fait_statement`, subject the
    formation, the period in `covers_from` / `covers_to`, the trainee-minutes realised).
    A standing statement of the formation is superseded (the register keeps it).

    Raises LivrablesError `not_allowed` (coordinators only), `period_reversed`,
    `provider_missing`, `claim_straddles_period` (a claim lies only partly in the period:
    the amount to claim cannot be stated). Audit action `livrables.service_fait_issued`,
    on the formation."""
    if actor is not None and not can_manage(actor):
        raise LivrablesError(
            _("Seule la coordination émet l'état de service fait."), code="not_allowed"
        )
    now = now or timezone.now()
    data = build_statement_data(
        formation=formation, period_start=period_start, period_end=period_end, now=now
    )
    if data.statement.claims_problem:
        # A claim only partly in the period: no fair amount to state (`service_fait`).
        raise LivrablesError(data.statement.claims_problem, code="claim_straddles_period")
    kind = IssuedDocument.Kind.SERVICE_FAIT_STATEMENT
    return _issue(
        data=data,
        render=render_service_fait,
        filename_prefix="etat-service-fait",
        kind=kind,
        action="livrables.service_fait_issued",
        label=str(kind.label),
        subject=Subject(formation=formation, period=(period_start, period_end)),
        title=_("%(kind)s — %(contract)s — du %(start)s au %(end)s")
        % {
            "kind": kind.label,
            "contract": data.contract_reference,
            "start": f"{period_start:%d/%m/%Y}",
            "end": f"{period_end:%d/%m/%Y}",
        },
        actor=actor,
        now=now,
        log_data={"period": [period_start.isoformat(), period_end.isoformat()]},
        public={
            "covers_from": period_start,
            "covers_to": period_end,
            "realised_minutes": data.statement.realised_minutes,
            "planned_minutes": data.statement.planned_minutes,
        },
    )
