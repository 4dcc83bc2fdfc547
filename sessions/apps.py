from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingSessionsConfig(AppConfig):
    name = "sessions"
    # "sessions" is django.contrib.sessions' label; this one is settled for good so
    # that no migration ever has to move.
    label = "training_sessions"
    verbose_name = _("Sessions et émargements")

    def ready(self):
        # Sessions data on formations pages: formations only holds the registries and
        # never imports sessions (dependencies point one way).
        from formations import locks
        from formations import panels as registry
        from sessions import panels
        from sessions.selectors import history
        from sessions.selectors.locks import formation_has_evidence

        panels.register(registry)
        history.register()
        if formation_has_evidence not in locks.EVIDENCE_CHECKS:
            locks.EVIDENCE_CHECKS.append(formation_has_evidence)
