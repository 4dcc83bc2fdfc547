from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Évaluations")

    def ready(self):
        from evaluations.panels_answers import register_answering

        # À chaud on the trainer's tablet: its button on the session page, its tablet lock.
        register_answering()
