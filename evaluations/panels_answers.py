"""On the session page: « Évaluation à chaud sur tablette », for the trainers of the
session and coordinators, one button per à chaud campaign asked of its participants while
the tablet takes its answers (from the first half-day until the invitations go out), else
why not."""

from evaluations.selectors_answers import tablet_campaigns_run_by
from evaluations.services_answers import tablet_problem


def session_tablet_panel(request, session):
    campaigns = list(tablet_campaigns_run_by(user=request.user).filter(session=session))
    if not campaigns:
        return None
    return "evaluations/answer/panel_tablet.html", {
        "tablet_campaigns": [(campaign, tablet_problem(campaign)) for campaign in campaigns]
    }


def _leave_url(pk: int) -> str:
    """Once unlocked: the campaign's session page."""
    from django.urls import reverse

    from evaluations.models import Campaign

    session_id = Campaign.objects.filter(pk=pk).values_list("session_id", flat=True).first()
    if session_id is None:
        return reverse("dashboard")
    return reverse("sessions:session_detail", args=[session_id])


def register_answering() -> None:
    """The session panel, and the tablet lock's scope: while the tablet is locked on a
    campaign, its tablet pages alone open without the trainer's password."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from evaluations.models import Campaign
    from formations.panels import SESSION_PANELS
    from sessions.services.tablet import TABLET_SCOPES, TabletScope

    if session_tablet_panel not in SESSION_PANELS:
        SESSION_PANELS.append(session_tablet_panel)
    TABLET_SCOPES.setdefault(
        "evaluation",
        TabletScope(
            pages=frozenset(
                {
                    "evaluations:tablet",
                    "evaluations:tablet_answer",
                    "evaluations:tablet_answer_step",
                    "evaluations:tablet_answer_review",
                }
            ),
            model=Campaign,
            list_url=lambda pk: reverse("evaluations:tablet", args=[pk]),
            leave_url=_leave_url,
            list_label=_("la liste de l'évaluation à chaud"),
        ),
    )
