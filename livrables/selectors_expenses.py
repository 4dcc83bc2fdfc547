"""Reads of expenses: who sees them (coordinators, and the auditors of the formation's
funders, read-only), and their totals by category and by mission, summed by the database
(one query each, whatever the number of expenses)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from formations.models import Formation
from formations.permissions import can_manage, is_funder_auditor
from formations.selectors import formations_visible_to
from livrables.models_expenses import Expense, Mission
from sessions.models import TrainingSession

ZERO = Decimal("0.00")


def expense_formations_for(*, user) -> QuerySet[Formation]:
    """The formations whose expenses `user` may read: every one for a coordinator, those
    financed by one of their funders for an auditor, none for anybody else (a trainer or
    a referent has no business with the organisation's costs)."""
    if can_manage(user) or is_funder_auditor(user):
        return formations_visible_to(user=user)
    return Formation.objects.none()


def may_edit_expenses(user) -> bool:
    return can_manage(user)


def formation_expenses(*, formation: Formation) -> QuerySet[Expense]:
    """The formation's expenses by date, with their session or mission (no query per row)."""
    return (
        Expense.objects.filter(formation=formation)
        .select_related("session", "mission")
        .order_by("date", "number")
    )


def formation_missions(*, formation: Formation) -> QuerySet[Mission]:
    return Mission.objects.filter(formation=formation)


def formation_sessions(*, formation: Formation) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(formation=formation).order_by("code")


@dataclass(frozen=True)
class Total:
    label: str
    count: int
    amount_ht: Decimal
    vat: Decimal
    amount_ttc: Decimal


@dataclass(frozen=True)
class ExpenseTotals:
    by_category: list[Total]
    by_mission: list[Total]
    overall: Total

    @property
    def empty(self) -> bool:
        return self.overall.count == 0


def _sums():
    return {
        "count": Count("pk"),
        "ht": Sum("amount_ht"),
        "tva": Sum("vat"),
        "ttc": Sum("amount_ttc"),
    }


def _total(label, row) -> Total:
    return Total(
        label=label,
        count=row["count"],
        amount_ht=row["ht"] or ZERO,
        vat=row["tva"] or ZERO,
        amount_ttc=row["ttc"] or ZERO,
    )


def mission_label(*, session_code, mission_name) -> str:
    if session_code:
        return _("Session %(code)s") % {"code": session_code}
    if mission_name:
        return mission_name
    return _("Hors mission")


def _category_totals(expenses) -> list[Total]:
    labels = dict(Expense.Category.choices)
    rows = {row["category"]: row for row in expenses.values("category").annotate(**_sums())}
    return [
        _total(str(labels[value]), rows[value])
        for value in Expense.Category.values
        if value in rows
    ]


def _overall(by_category: list[Total]) -> Total:
    return Total(
        label=_("Total"),
        count=sum(t.count for t in by_category),
        amount_ht=sum((t.amount_ht for t in by_category), ZERO),
        vat=sum((t.vat for t in by_category), ZERO),
        amount_ttc=sum((t.amount_ttc for t in by_category), ZERO),
    )


def expense_totals_by_category(*, formation: Formation) -> ExpenseTotals:
    """The totals by category and overall only (one query): the formation page's panel."""
    by_category = _category_totals(Expense.objects.filter(formation=formation).order_by())
    return ExpenseTotals(by_category=by_category, by_mission=[], overall=_overall(by_category))


def expense_totals(*, formation: Formation, date_from=None, date_to=None) -> ExpenseTotals:
    """Totals HT / TVA / TTC and counts of the formation's expenses (those dated between
    `date_from` and `date_to` when given) by category (in the order of the categories), by
    session or mission (sessions by code, then missions by date, then those attached to
    neither) and overall: two queries."""
    expenses = Expense.objects.filter(formation=formation).order_by()
    if date_from is not None:
        expenses = expenses.filter(date__gte=date_from)
    if date_to is not None:
        expenses = expenses.filter(date__lte=date_to)
    by_category = _category_totals(expenses)
    mission_rows = expenses.values(
        "session_id", "session__code", "mission_id", "mission__name", "mission__start_date"
    ).annotate(**_sums())

    def order(row):
        if row["session_id"]:
            return (0, row["session__code"], "")
        if row["mission_id"]:
            return (1, row["mission__start_date"].isoformat(), row["mission__name"])
        return (2, "", "")

    by_mission = [
        _total(
            mission_label(session_code=row["session__code"], mission_name=row["mission__name"]), row
        )
        for row in sorted(mission_rows, key=order)
    ]
    return ExpenseTotals(
        by_category=by_category, by_mission=by_mission, overall=_overall(by_category)
    )
