"""The service-fait statement of a formation over a period, and its claims and payments.

Funders pay « au prorata du service fait »: what was delivered, proven by sealed
émargements. The rule (DESIGN.md, « Service fait »), per pricing mode of the formation:

* per day (``per_day``): delivered days × day rate, capped by the contract amount;
* per trainee-hour (``per_trainee_hour``): realised hours × hourly rate;
* global (``global``): amount × realised units / planned units. A unit of a global
  contract is a session (« 5 labos », « 1 prestation »): a session counts once all its
  half-days are sealed, in the period where its last half-day falls.

What counts:

* only **sealed** half-days (closing requires the trainer's countersignature), so the
  statement, the certificates and the audit pack agree; the half-days of the period not
  yet sealed are listed apart as pending and count nothing;
* realised hours are the émargement selectors' (``counted_attendances`` ×
  ``realised_expression``: signed and countersigned), never recomputed here;
* a **day** is a session's local calendar day: delivered when all its half-days are
  sealed and their planned hours reach the formation's minimum hours per day (any length
  when the contract sets none); otherwise partial (below the minimum) or pending (a
  half-day not sealed), shown with its hours;
* cancelled sessions are left out.

Money (``Decimal``, rounded to the cent half-up, as an invoice is): the amount and the
unit price are on the basis the contract states (``Formation.amount_includes_vat``: TTC,
else HT). The gross amount is computed on that basis; the other figure is derived from it
with the formation's VAT rate r: HT = TTC / (1 + r/100), TTC = HT × (1 + r/100), each
rounded once (0 % gives HT = TTC). The amount already claimed (claims whose period lies
within this one) is subtracted, and the whole never exceeds the contract amount less every
claim already sent: the claimable amount.

A claim only partly inside the period (it starts before or ends after) cannot be
subtracted fairly: its amount was fixed for its own period, and nothing says how much of
it the overlapping half-days were worth (a day rate, a global amount, a cap or a typing
choice may all be in it). Rather than guess, the statement then has no claimable amount
and says which claim to take whole or leave out (`claims_problem`); issuing it is
refused (`livrables.services_claims`).

Queries: a constant number (slots of the period, fully sealed sessions, claims, payments,
the contract rules), whatever the number of sessions or half-days.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, Max, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.french import hours_label
from formations.models import Formation
from livrables.models import Payment, ServiceFaitClaim
from livrables.selectors import fully_sealed_session_q
from sessions.models import Seal, Slot, TrainingSession
from sessions.selectors.contract import FormationContractStatus, _local_day, contract_status
from sessions.selectors.hours import (
    counted_attendances,
    realised_expression,
    slot_minutes,
    sum_subquery,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

DAY_DELIVERED = "delivered"
DAY_PARTIAL = "partial"
DAY_PENDING = "pending"


def to_cent(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    """One amount both ways, HT and TTC (see the module docstring for the derivation)."""

    ht: Decimal
    ttc: Decimal

    @classmethod
    def from_basis(cls, value: Decimal, *, formation: Formation) -> "Money":
        """`value` on the formation's basis (TTC when its amount includes VAT, else HT)."""
        value = to_cent(value)
        factor = 1 + Decimal(formation.vat_rate) / HUNDRED
        if formation.amount_includes_vat:
            return cls(ht=to_cent(value / factor), ttc=value)
        return cls(ht=value, ttc=to_cent(value * factor))

    @property
    def vat(self) -> Decimal:
        return self.ttc - self.ht


def basis_of(money_ht: Decimal, money_ttc: Decimal, formation: Formation) -> Decimal:
    return money_ttc if formation.amount_includes_vat else money_ht


@dataclass(frozen=True)
class HalfDayLine:
    session_code: str
    date: dt.date
    start: dt.time
    end: dt.time
    planned_minutes: int
    realised_minutes: int  # trainee-minutes counted (sealed half-days only)
    sealed: bool
    countersigned: bool


@dataclass(frozen=True)
class DayLine:
    session_code: str
    date: dt.date
    planned_minutes: int  # of its sealed half-days
    realised_minutes: int
    state: str  # DAY_DELIVERED, DAY_PARTIAL or DAY_PENDING

    @property
    def state_label(self) -> str:
        return {
            DAY_DELIVERED: _("réalisée"),
            DAY_PARTIAL: _("partielle"),
            DAY_PENDING: _("en attente de scellement"),
        }[self.state]


@dataclass(frozen=True)
class ClaimsSummary:
    """Claimed, paid and still due, from the standing claims and payments (`claims`,
    `payments`); the cancelled ones are kept apart, shown but never counted."""

    claimed: Money
    paid: Decimal
    claims: tuple
    payments: tuple
    cancelled_claims: tuple = ()
    cancelled_payments: tuple = ()

    @property
    def cancelled_count(self) -> int:
        return len(self.cancelled_claims) + len(self.cancelled_payments)

    @property
    def still_due(self) -> Decimal:
        """What the funder still owes on the claims sent: claimed TTC − received (zero
        when more was received: see `overpaid`)."""
        return max(ZERO, self.claimed.ttc - self.paid)

    @property
    def overpaid(self) -> Decimal:
        """What was received beyond the claims sent (a payment tied to no claim, or a
        claim cancelled after): shown, never hidden behind a zero « reste dû »."""
        return max(ZERO, self.paid - self.claimed.ttc)


@dataclass(frozen=True)
class Statement:
    formation: Formation
    period_start: dt.date
    period_end: dt.date
    pricing_mode: str
    pricing_label: str
    basis_label: str  # « TTC » or « HT »
    vat_rate: Decimal
    unit_label: str
    unit_price: Decimal | None
    planned_units: Decimal | None
    units: Decimal
    gross: Money | None  # None: the contract lacks what the mode needs
    cap: Money
    already_claimed_in_period: Money
    claimable: Money | None
    problem: str
    claims_problem: str  # a claim only partly in the period: no claimable amount
    days: tuple[DayLine, ...]
    half_days: tuple[HalfDayLine, ...]
    sessions_completed: tuple[str, ...]
    realised_minutes: int
    planned_minutes: int
    claims: ClaimsSummary
    contract: FormationContractStatus

    @property
    def sealed_half_days(self) -> tuple[HalfDayLine, ...]:
        return tuple(h for h in self.half_days if h.sealed)

    @property
    def pending_half_days(self) -> tuple[HalfDayLine, ...]:
        return tuple(h for h in self.half_days if not h.sealed)

    @property
    def delivered_days(self) -> int:
        return sum(1 for d in self.days if d.state == DAY_DELIVERED)

    @property
    def units_text(self) -> str:
        if self.pricing_mode == Formation.PricingMode.PER_TRAINEE_HOUR:
            return hours_label(self.realised_minutes)
        return f"{self.units.normalize():f}".replace(".", ",")


def _mode_units(formation: Formation):
    mode = formation.pricing_mode
    if mode == Formation.PricingMode.PER_DAY:
        return _("journées réalisées")
    if mode == Formation.PricingMode.PER_TRAINEE_HOUR:
        return _("heures-stagiaires réalisées")
    return _("sessions réalisées, unités du forfait")


def claims_summary(*, formation: Formation, claims=None) -> ClaimsSummary:
    """Every claim and payment of the formation, with their totals (two queries; one when
    the caller has read the claims already: `claims`)."""
    if claims is None:
        claims = ServiceFaitClaim.objects.filter(formation=formation)
    every_claim = tuple(claims)
    every_payment = tuple(
        Payment.objects.filter(formation=formation).select_related("funder", "claim")
    )
    claims = tuple(c for c in every_claim if not c.is_cancelled)
    payments = tuple(p for p in every_payment if not p.is_cancelled)
    return ClaimsSummary(
        claimed=Money(
            ht=sum((c.amount_ht for c in claims), ZERO),
            ttc=sum((c.amount_ttc for c in claims), ZERO),
        ),
        paid=sum((p.amount for p in payments), ZERO),
        claims=claims,
        payments=payments,
        cancelled_claims=tuple(c for c in every_claim if c.is_cancelled),
        cancelled_payments=tuple(p for p in every_payment if p.is_cancelled),
    )


def service_fait_statement(
    *,
    formation: Formation,
    period_start: dt.date,
    period_end: dt.date,
    today=None,
    claims=None,
) -> Statement:
    """The statement of `formation` over [period_start, period_end] (local days, both
    included): half-days and days with their state, units realised, the gross amount,
    what was already claimed over the period and the claimable amount, HT and TTC, the
    claims and payments, and the contract rules' status. A constant number of queries.
    `claims`: the formation's claims when the caller has read them already."""
    seals = Seal.objects.filter(slot_id=OuterRef("pk"))
    rows = list(
        Slot.objects.filter(session__formation=formation)
        .exclude(session__status=TrainingSession.Status.CANCELLED)
        .annotate(day=_local_day())
        .filter(day__gte=period_start, day__lte=period_end)
        .annotate(
            planned=slot_minutes(),
            sealed=Exists(seals),
            realised=sum_subquery(
                counted_attendances().filter(slot_id=OuterRef("pk")), realised_expression()
            ),
        )
        .values(
            "session_id",
            "session__code",
            "session__time_zone",
            "day",
            "starts_at",
            "ends_at",
            "countersigned_at",
            "planned",
            "sealed",
            "realised",
        )
        .order_by("starts_at", "session__code")
    )
    half_days = []
    for row in rows:
        tz = zoneinfo.ZoneInfo(row["session__time_zone"])
        half_days.append(
            HalfDayLine(
                session_code=row["session__code"],
                date=row["day"],
                start=row["starts_at"].astimezone(tz).time(),
                end=row["ends_at"].astimezone(tz).time(),
                planned_minutes=row["planned"],
                # Only sealed half-days count (a pending one shows 0 until it is sealed).
                realised_minutes=row["realised"] if row["sealed"] else 0,
                sealed=bool(row["sealed"]),
                countersigned=row["countersigned_at"] is not None,
            )
        )
    days = _days(half_days, formation)

    # Global contracts: sessions whose half-days are all sealed, by their last local day.
    sessions_completed = []
    if formation.pricing_mode == Formation.PricingMode.GLOBAL:
        for session in (
            TrainingSession.objects.filter(formation=formation)
            .exclude(status=TrainingSession.Status.CANCELLED)
            .filter(fully_sealed_session_q())
            .annotate(last_start=Max("slots__starts_at"))
            .only("code", "time_zone")
            .order_by("code")
        ):
            last_day = session.last_start.astimezone(session.tzinfo).date()
            if period_start <= last_day <= period_end:
                sessions_completed.append(session.code)

    realised = sum(h.realised_minutes for h in half_days)
    planned = sum(h.planned_minutes for h in half_days if h.sealed)
    units, gross_basis, problem = _gross(formation, days, realised, sessions_completed)

    summary = claims_summary(formation=formation, claims=claims)
    meeting = [
        c for c in summary.claims if c.period_start <= period_end and c.period_end >= period_start
    ]
    in_period = [
        c for c in meeting if period_start <= c.period_start and c.period_end <= period_end
    ]
    straddling = [c for c in meeting if c not in in_period]
    claims_problem = _straddling_text(straddling, period_start, period_end)
    claimed_in_period = Money(
        ht=sum((c.amount_ht for c in in_period), ZERO),
        ttc=sum((c.amount_ttc for c in in_period), ZERO),
    )
    amount = Decimal(formation.amount)
    cap = Money.from_basis(amount, formation=formation)
    gross = claimable = None
    if gross_basis is not None:
        gross = Money.from_basis(gross_basis, formation=formation)
    if gross_basis is not None and not claims_problem:
        remaining = amount - basis_of(summary.claimed.ht, summary.claimed.ttc, formation)
        claimable_basis = min(
            gross_basis - basis_of(claimed_in_period.ht, claimed_in_period.ttc, formation),
            remaining,
        )
        claimable = Money.from_basis(max(ZERO, claimable_basis), formation=formation)
    return Statement(
        formation=formation,
        period_start=period_start,
        period_end=period_end,
        pricing_mode=formation.pricing_mode,
        pricing_label=str(formation.get_pricing_mode_display()),
        basis_label="TTC" if formation.amount_includes_vat else "HT",
        vat_rate=Decimal(formation.vat_rate),
        unit_label=_mode_units(formation),
        unit_price=formation.unit_price,
        planned_units=formation.planned_units,
        units=units,
        gross=gross,
        cap=cap,
        already_claimed_in_period=claimed_in_period,
        claimable=claimable,
        problem=problem,
        claims_problem=claims_problem,
        days=tuple(days),
        half_days=tuple(half_days),
        sessions_completed=tuple(sessions_completed),
        realised_minutes=realised,
        planned_minutes=planned,
        claims=summary,
        contract=contract_status(formation=formation, today=today),
    )


def _straddling_text(claims, period_start: dt.date, period_end: dt.date) -> str:
    """What to do when claims only partly fall in the period (see the module docstring)."""
    if not claims:
        return ""
    first = min(c.period_start for c in claims)
    last = max(c.period_end for c in claims)
    periods = ", ".join(
        _("du %(start)s au %(end)s")
        % {"start": f"{c.period_start:%d/%m/%Y}", "end": f"{c.period_end:%d/%m/%Y}"}
        for c in claims
    )
    return ngettext(
        "Une demande de paiement déjà envoyée (%(claims)s) ne tombe qu'en partie dans cette "
        "période : on ne peut pas savoir quelle part de son montant en déduire, et aucun "
        "montant à demander n'est calculé. Choisissez une période qui la contient entière "
        "(par exemple du %(start)s au %(end)s) ou qui commence après le %(last)s.",
        "Des demandes de paiement déjà envoyées (%(claims)s) ne tombent qu'en partie dans "
        "cette période : on ne peut pas savoir quelle part de leur montant en déduire, et "
        "aucun montant à demander n'est calculé. Choisissez une période qui les contient "
        "entières (par exemple du %(start)s au %(end)s) ou qui commence après le %(last)s.",
        len(claims),
    ) % {
        "claims": periods,
        "start": f"{min(first, period_start):%d/%m/%Y}",
        "end": f"{max(last, period_end):%d/%m/%Y}",
        "last": f"{last:%d/%m/%Y}",
    }


def _days(half_days: list[HalfDayLine], formation: Formation) -> list[DayLine]:
    groups: dict[tuple[str, dt.date], list[HalfDayLine]] = {}
    for half_day in half_days:
        groups.setdefault((half_day.session_code, half_day.date), []).append(half_day)
    minimum = (
        int(Decimal(formation.min_hours_per_day) * 60)
        if formation.min_hours_per_day is not None
        else 0
    )
    days = []
    for (code, date), items in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        sealed = [h for h in items if h.sealed]
        planned = sum(h.planned_minutes for h in sealed)
        if len(sealed) < len(items):
            state = DAY_PENDING
        elif planned >= minimum:
            state = DAY_DELIVERED
        else:
            state = DAY_PARTIAL
        days.append(
            DayLine(
                session_code=code,
                date=date,
                planned_minutes=planned,
                realised_minutes=sum(h.realised_minutes for h in sealed),
                state=state,
            )
        )
    return days


def _gross(formation, days, realised_minutes, sessions_completed):
    """(units, gross amount on the formation's basis or None, problem sentence)."""
    amount = Decimal(formation.amount)
    mode = formation.pricing_mode
    if mode == Formation.PricingMode.PER_DAY:
        units = Decimal(sum(1 for d in days if d.state == DAY_DELIVERED))
        if formation.unit_price is None:
            return units, None, _("Le prix de la journée n'est pas renseigné sur la formation.")
        return units, min(units * formation.unit_price, amount), ""
    if mode == Formation.PricingMode.PER_TRAINEE_HOUR:
        units = Decimal(realised_minutes) / 60
        if formation.unit_price is None:
            return units, None, _("Le prix de l'heure-stagiaire n'est pas renseigné.")
        return units, min(to_cent(units * formation.unit_price), amount), ""
    units = Decimal(len(sessions_completed))
    if not formation.planned_units:
        return units, None, _("Les unités prévues au marché ne sont pas renseignées.")
    return units, min(to_cent(amount * units / formation.planned_units), amount), ""
