from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Évaluations")

    def ready(self):
        # The results on the session and formation pages: those apps never import this one.
        from evaluations import panels_results
        from formations import panels as registry

        panels_results.register(registry)
