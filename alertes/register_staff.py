"""What the staff part adds to the Alertes menu, panels and other apps' pages: called once
by `AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from django.utils.translation import gettext_lazy as _

from alertes.panels import Tab, add_tab


def register() -> None:
    # The structure's accounts: its administrator and coordinators only.
    add_tab(Tab("staff", _("Équipe"), "alertes:staff_list", 60, admin_only=True))
