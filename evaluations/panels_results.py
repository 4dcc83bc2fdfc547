"""The results of evaluations on the session and formation pages (`formations.panels`): per
questionnaire, the response rate and the main means, with a link to its full results
page. Who sees them: `evaluations.selectors_results_access` (referents: nothing)."""

from django.urls import reverse

from evaluations.selectors_results_access import formation_scope, session_scope
from evaluations.selectors_results_panel import panel_summaries

# The means shown in the panel; the full page has all of them.
MEANS_SHOWN = 6


def _summaries(scope, url_name: str, pk: int) -> list[dict]:
    """Aggregates only (`panel_summaries`): the page of a formation of thousands of
    sessions must not read their comments to show a few means."""
    return [
        {
            "results": summary,
            "means": summary.means,
            "url": reverse(url_name, args=[pk, summary.questionnaire.pk]),
        }
        for summary in panel_summaries(scope=scope, means_shown=MEANS_SHOWN)
    ]


def session_results_panel(request, session):
    if session is None:
        return None
    # The session page read the session through `sessions_visible_to`.
    scope = session_scope(user=request.user, session=session)
    if scope is None:
        return None
    summaries = _summaries(scope, "evaluations:session_results", session.pk)
    if not summaries:
        return None
    return ("evaluations/results/panel.html", {"result_summaries": summaries})


def formation_results_panel(request, formation):
    if formation is None:
        return None
    # The formation page read the formation through `formations_visible_to`.
    scope = formation_scope(user=request.user, formation=formation)
    if scope is None:
        return None
    summaries = _summaries(scope, "evaluations:formation_results", formation.pk)
    if not summaries:
        return None
    return ("evaluations/results/panel.html", {"result_summaries": summaries})


def register(registry) -> None:
    for panels, panel in (
        (registry.SESSION_PANELS, session_results_panel),
        (registry.FORMATION_PANELS, formation_results_panel),
    ):
        if panel not in panels:
            panels.append(panel)
