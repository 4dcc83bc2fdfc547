"""Panels of the Alertes pages, as in `formations.panels`: plain lists of callables
``panel(request, structure) -> (template_name, context) | None`` that each part appends to
in its `register()` (`AlertesConfig.ready()`). A panel does its own scoping; the page has
already checked that the user may follow the structure's members."""

from dataclasses import dataclass

from formations.panels import Panel

# The structure's Alertes home (« Accueil »): the week's administrative dates, the next
# campaigns, the latest registrations, the figures of the month.
HOME_PANELS: list[Panel] = []


@dataclass(frozen=True)
class Tab:
    """One link of the structure's Alertes menu: `url_name` takes the structure's pk;
    `admin_only` tabs show to the structure's administrator and to coordinators."""

    code: str
    label: str
    url_name: str
    position: int
    admin_only: bool = False


# The structure's Alertes menu; each part adds its tab in its `register()`.
TABS: list[Tab] = []


def add_tab(tab: Tab) -> None:
    if all(existing.code != tab.code for existing in TABS):
        TABS.append(tab)
        TABS.sort(key=lambda existing: existing.position)


def tabs_for(user, structure) -> list[dict]:
    """The menu as the template shows it: label and address of each tab the user may open."""
    from django.urls import reverse

    from formations.permissions import can_manage, is_structure_admin

    may_admin = can_manage(user) or is_structure_admin(user)
    return [
        {
            "code": tab.code,
            "label": tab.label,
            "url": reverse(tab.url_name, args=[structure.pk]),
        }
        for tab in TABS
        if may_admin or not tab.admin_only
    ]


# On a member's profile (`obj` is the `Membership`): their administrative dates and
# reminders, the campaigns they were sent.
MEMBER_PANELS: list[Panel] = []
