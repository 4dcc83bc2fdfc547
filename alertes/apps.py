from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertesConfig(AppConfig):
    """Seed 002's « Alertes »: a structure's members reminded of their administrative
    dates and sent the structure's news, by SMS and e-mail, through the outbox."""

    name = "alertes"
    verbose_name = _("Alertes")

    def ready(self):
        from alertes import (
            register_campaigns,
            register_groups,
            register_members,
            register_notice,
            register_staff,
            register_stats,
            register_steps,
        )
        from alertes.panels import Tab, add_tab

        add_tab(Tab("home", _("Accueil"), "alertes:structure_home", position=0))
        # Each part adds its tab (positions 10, 20…), panels, outbox purposes, periodic jobs.
        for part in (
            register_members,
            register_groups,
            register_steps,
            register_campaigns,
            register_staff,
            register_stats,
            register_notice,
        ):
            part.register()
