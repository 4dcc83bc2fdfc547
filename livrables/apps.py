from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivrablesConfig(AppConfig):
    name = "livrables"
    verbose_name = _("Livrables et justificatifs")
