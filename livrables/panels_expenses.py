"""« Frais engagés » on the formation page: the totals and the way to the expenses, for
coordinators and the auditors of the formation's funders (the page already found the
formation through `formations_visible_to`, the same scope as the expenses')."""

from formations.permissions import can_manage, is_funder_auditor
from livrables.selectors_expenses import expense_totals_by_category


def formation_expenses_panel(request, formation):
    user = request.user
    if not (can_manage(user) or is_funder_auditor(user)):
        return None
    return (
        "livrables/panels/formation_expenses.html",
        {
            "expense_totals": expense_totals_by_category(formation=formation),
            "can_edit_expenses": can_manage(user),
        },
    )
