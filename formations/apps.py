from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class FormationsConfig(AppConfig):
    name = "formations"
    verbose_name = _("Programmes et formations")

    def ready(self):
        # Each app's `exports` module registers its exporters (`formations.exporting`).
        autodiscover_modules("exports")
