from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def register_campaigns() -> None:
    """The campaigns on the session and formation pages, the outbox purposes and
    delivery check of the invitations, and the `run_periodic` job that sends them; each
    added once (`ready()` may run twice in tests)."""
    from datetime import timedelta

    from evaluations import panels_campaigns, sending
    from formations import outbox
    from formations import panels as registry
    from formations.periodic import PERIODIC_JOBS, PeriodicJob

    for panels, panel in (
        (registry.SESSION_PANELS, panels_campaigns.session_campaigns_panel),
        (registry.FORMATION_PANELS, panels_campaigns.formation_campaigns_panel),
    ):
        if panel not in panels:
            panels.append(panel)
    sending.register_purposes(outbox.PURPOSES)
    if sending.delivery_refusal not in outbox.DELIVERY_CHECKS:
        outbox.DELIVERY_CHECKS.append(sending.delivery_refusal)
    if not any(job.name == "evaluations.send_due" for job in PERIODIC_JOBS):
        PERIODIC_JOBS.append(
            PeriodicJob("evaluations.send_due", _send_due, every=timedelta(minutes=5))
        )


def _send_due() -> dict:
    from evaluations.sending import send_due

    return send_due().as_dict()


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Évaluations")

    def ready(self):
        # Evaluations on the session and formation pages (those apps never import this
        # one), in this order: the campaigns, à chaud on the tablet, the results.
        from evaluations import panels_results
        from evaluations.panels_answers import register_answering
        from formations import panels as registry

        # Campaigns: their panels, the outbox purposes, the periodic sending.
        register_campaigns()
        # À chaud on the trainer's tablet: its button on the session page, its tablet lock.
        register_answering()
        panels_results.register(registry)
