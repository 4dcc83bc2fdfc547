"""What the stats part adds to the Alertes menu, panels and other apps' pages: called once
by `AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from alertes.panels import Tab, add_tab

    add_tab(Tab("stats", _("Statistiques"), "alertes:stats", position=50))
