"""The administrative dates on other Alertes pages: this week's steps on the structure's
home, a member's steps on their profile (`alertes.panels`)."""

from django.urls import NoReverseMatch, reverse

from alertes.selectors_steps import member_steps, structure_week
from formations.members import may_follow_members
from formations.permissions import works_in_alertes

HOME_SHOWN = 8


def member_url(structure_pk: int, membership_pk: int) -> str:
    """The member's profile (`alertes:member_detail`), or "" where that page is not
    installed."""
    try:
        return reverse("alertes:member_detail", args=[structure_pk, membership_pk])
    except NoReverseMatch:
        return ""


def home_week_panel(request, structure):
    """This week's steps: those the signed-in account follows (the whole structure's for
    a coordinator). Two queries."""
    user = request.user
    if structure is None or not may_follow_members(user, structure):
        return None
    week = structure_week(structure=structure, followed_by=user if works_in_alertes(user) else None)
    lines = week.lines
    for line in lines[:HOME_SHOWN]:
        line.member_url = member_url(structure.pk, line.step.membership_id)
    return (
        "alertes/panels/home_week.html",
        {
            "week": week,
            "week_lines": lines[:HOME_SHOWN],
            "week_more": max(len(lines) - HOME_SHOWN, 0),
            "week_mine": works_in_alertes(user),
        },
    )


def member_steps_panel(request, membership):
    """A member's steps with their next date and reminders (two queries)."""
    if membership is None or not may_follow_members(request.user, membership.structure_id):
        return None
    return (
        "alertes/panels/member_steps.html",
        {
            "step_rows": member_steps(membership=membership),
            "step_membership": membership,
        },
    )
