"""What the members part adds to the Alertes menu, panels and other apps' pages: called once
by `AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from alertes.panels import Tab, add_tab

    add_tab(Tab("members", _("Adhérent·es"), "alertes:member_list", 10))
