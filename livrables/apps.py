from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivrablesConfig(AppConfig):
    name = "livrables"
    verbose_name = _("Livrables et justificatifs")

    def ready(self):
        # The documents of a session on its page: sessions never imports livrables.
        from formations import panels as registry
        from livrables import panels

        panels.register(registry)
