from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projets des structures")

    def ready(self):
        from projects import register_fiches, register_followup, register_journal, register_tasks

        for part in (register_fiches, register_followup, register_tasks, register_journal):
            part.register()
