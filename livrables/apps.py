from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register_deliverable_reminders() -> None:
    """The reminders before each deliverable's due date: an outbox purpose (a service
    message to the coordination) and a job of `run_periodic`, added once; and the outbox
    purpose of the notice of a version to rework."""
    from datetime import timedelta

    from formations import outbox
    from formations.periodic import PERIODIC_JOBS, PeriodicJob

    outbox.PURPOSES.setdefault(
        "deliverable_reminder", outbox.MessagePurpose(_("Rappel de livrable attendu"))
    )
    outbox.PURPOSES.setdefault(
        "deliverable_rework", outbox.MessagePurpose(_("Livrable à reprendre"))
    )
    if not any(job.name == "deliverables.reminders" for job in PERIODIC_JOBS):
        PERIODIC_JOBS.append(
            PeriodicJob("deliverables.reminders", _deliverable_reminders, every=timedelta(hours=1))
        )


def _deliverable_reminders() -> dict:
    from livrables.reminders_deliverables import send_due_reminders

    return send_due_reminders()


class LivrablesConfig(AppConfig):
    name = "livrables"
    verbose_name = _("Livrables et justificatifs")

    def ready(self):
        # The documents of a session on its page: sessions never imports livrables.
        from formations import panels as registry
        from livrables import panels, panels_fiches, register_alertes
        from livrables.audit_risks import rectified_after_certificate

        # Each module registers its sections of the audit pack when imported.
        from livrables.pack import (  # noqa: F401
            projets,
            recapitulatif,
            sealed,
            sections,
            syntheses,
            verifier_file,
        )
        from livrables.services_synthesis import register_purpose
        from sessions.selectors.audit_risks import EXTRA_DETECTORS

        panels.register(registry)
        panels_fiches.register()
        register_alertes.register()  # the Alertes notice's PDF renderer
        register_deliverable_reminders()
        register_purpose()
        # Rectifications after a certificate: only livrables knows the certificates.
        if rectified_after_certificate not in EXTRA_DETECTORS:
            EXTRA_DETECTORS.append(rectified_after_certificate)
