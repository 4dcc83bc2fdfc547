"""The results of evaluations on the session and formation pages (`formations.panels`): per
questionnaire, the response rate and the main means, with a link to its full results
page. Who sees them: `evaluations.selectors_results_access` (referents: nothing)."""

from django.urls import reverse

from evaluations.selectors_results import results_for
from evaluations.selectors_results_access import formation_scope, session_scope

# The means shown in the panel; the full page has all of them.
MEANS_SHOWN = 6


def _summaries(scope, url_name: str, pk: int) -> list[dict]:
    summaries = []
    for questionnaire in scope.questionnaires():
        results = results_for(
            campaigns=scope.for_questionnaire(questionnaire.pk), sessions=scope.sessions
        )
        summaries.append(
            {
                "results": results,
                "means": [q for q in results.scale_questions if q.mean is not None][:MEANS_SHOWN],
                "url": reverse(url_name, args=[pk, questionnaire.pk]),
            }
        )
    return summaries


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
