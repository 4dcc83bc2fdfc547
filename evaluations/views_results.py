"""« Résultats »: the results of one questionnaire on a session, or on a whole formation
(with its trends across sessions and the à chaud / à froid side by side). Who sees what is
decided in `evaluations.selectors_results_access`."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from evaluations import charts
from evaluations.models import Questionnaire
from evaluations.selectors_results import (
    MASK_THRESHOLD,
    breakdowns_for,
    named_responses,
    non_respondents,
    results_for,
    trends_for,
    without_hidden_comments,
)
from evaluations.selectors_results_access import (
    ResultsScope,
    formation_results_scope,
    session_results_scope,
)
from formations.permissions import RoleRequiredMixin

# A formation of a national programme has thousands of comments and people: the page shows
# the first ones (comments in alphabetical order, people by name) and says how many more
# there are; the raw answers' export and each campaign's page have them all.
COMMENTS_SHOWN = 100
NON_RESPONDENTS_SHOWN = 200

OTHER_KIND = {
    Questionnaire.Kind.HOT: Questionnaire.Kind.COLD,
    Questionnaire.Kind.COLD: Questionnaire.Kind.HOT,
}


def scoped_results(scope: ResultsScope, campaigns):
    results = results_for(campaigns=campaigns, sessions=scope.sessions)
    return results if scope.show_hidden_comments else without_hidden_comments(results)


def results_context(scope: ResultsScope, campaigns) -> dict:
    """What both results pages show of one questionnaire's campaigns."""
    results = scoped_results(scope, campaigns)
    questions = []
    for number, question in enumerate(results.questions, start=1):
        questions.append(
            {
                "result": question,
                "chart": charts.question_chart(question, chart_id=f"q{number}"),
                "comments": question.comments[:COMMENTS_SHOWN],
                "comments_more": max(0, len(question.comments) - COMMENTS_SHOWN),
            }
        )
    nominative = bool(results.questionnaire and results.questionnaire.nominative)
    named = (
        named_responses(campaigns=campaigns, sessions=scope.sessions)
        if scope.show_names and nominative
        else None
    )
    return {
        "results": results,
        "questions": questions,
        "sections": [
            {
                "title": section.title,
                "questions": [q for q in questions if q["result"] in section.questions],
            }
            for section in results.sections
        ],
        "rate_chart": charts.rate_chart(
            invited=results.invited,
            answered=results.answered,
            rate=results.response_rate,
            chart_id="rate",
        )
        if results.invited
        else None,
        "non_respondents": non_respondents(
            campaigns=campaigns, sessions=scope.sessions, limit=NON_RESPONDENTS_SHOWN
        )
        if scope.show_non_respondents
        else None,
        "named": named,
        # Coordinators hide a comment from the funder's copy (evaluations:comment_hide).
        "can_hide_comments": scope.show_hidden_comments,
        "named_rows": [
            {"row": row, "cells": list(zip(named.questions, row.values, strict=True))}
            for row in named.rows
        ]
        if named
        else [],
        "breakdowns": [
            {
                "title": breakdown.title,
                "questions": [text for _key, text in breakdown.questions],
                "groups": [
                    {
                        "label": group.label,
                        "responses": group.responses,
                        "masked": group.masked,
                        "cells": list(
                            zip([t for _k, t in breakdown.questions], group.means, strict=False)
                        ),
                    }
                    for group in breakdown.groups
                ],
            }
            for breakdown in breakdowns_for(campaigns=campaigns, sessions=scope.sessions)
            if len(breakdown.groups) > 1
        ]
        if not nominative
        else [],
        "show_hidden_comments": scope.show_hidden_comments,
        "mask_threshold": MASK_THRESHOLD,
    }


class SessionResultsView(RoleRequiredMixin, View):
    allowed_roles = None

    def get(self, request, pk, questionnaire_pk):
        found = session_results_scope(user=request.user, session_pk=pk)
        if found is None:
            raise Http404
        session, scope = found
        campaigns = scope.for_questionnaire(questionnaire_pk)
        if not campaigns.exists():
            raise Http404
        context = results_context(scope, campaigns)
        context.update(session=session, formation=session.formation, on_formation=False)
        return render(request, "evaluations/results/page.html", context)


class FormationResultsView(RoleRequiredMixin, View):
    allowed_roles = None

    def get(self, request, pk, questionnaire_pk):
        found = formation_results_scope(user=request.user, formation_pk=pk)
        if found is None:
            raise Http404
        formation, scope = found
        campaigns = scope.for_questionnaire(questionnaire_pk)
        if not campaigns.exists():
            raise Http404
        context = results_context(scope, campaigns)
        trends = trends_for(
            campaigns=campaigns, sessions=scope.sessions, mask_small=scope.mask_small
        )
        rates_chart, means_chart = charts.trend_charts(trends, chart_id="trend")
        context.update(
            formation=formation,
            on_formation=True,
            trends=_trend_rows(trends) if len(trends.points) > 1 else None,
            trend_rates_chart=rates_chart,
            trend_means_chart=means_chart,
            side_by_side=_hot_and_cold(scope, context["results"]),
        )
        return render(request, "evaluations/results/page.html", context)


def _trend_rows(trends) -> dict:
    texts = [text for _key, text in trends.questions]
    return {
        "questions": texts,
        "rows": [
            {"point": point, "cells": list(zip(texts, point.means, strict=True))}
            for point in trends.points
        ],
    }


def _hot_and_cold(scope: ResultsScope, results) -> list[dict] | None:
    """The à chaud and the à froid of the formation side by side, when the questionnaire
    shown is one of them and the other has campaigns too."""
    questionnaire = results.questionnaire
    if questionnaire is None or questionnaire.kind not in OTHER_KIND:
        return None
    other = (
        scope.campaigns.filter(version__questionnaire__kind=OTHER_KIND[questionnaire.kind])
        .select_related("version__questionnaire")
        .order_by("version__questionnaire__title", "pk")
        .first()
    )
    if other is None:
        return None
    other_results = scoped_results(scope, scope.for_questionnaire(other.version.questionnaire_id))
    pair = sorted(
        [results, other_results],
        key=lambda r: 0 if r.questionnaire.kind == Questionnaire.Kind.HOT else 1,
    )
    return [
        {
            "heading": _("À chaud")
            if r.questionnaire.kind == Questionnaire.Kind.HOT
            else _("À froid"),
            "results": r,
            "yes_no": [q for q in r.questions if q.kind == "yes_no"],
        }
        for r in pair
    ]
