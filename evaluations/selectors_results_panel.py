"""The results panel of the session and formation pages: per questionnaire, the number of
responses, the response rate and the first means of its scale questions, nothing else.

Unlike `evaluations.selectors_results.results_for` (the full results page), no answer row
is read (no comment, no distribution), and the campaigns and sessions are given to the
database as subqueries of the page's scope (its formation or session, and a trainer's
sessions), never as a list of every session: five queries for the whole panel, whatever
the number of sessions, questionnaires and answers."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from evaluations.models import Answer, Invitation, Question, Questionnaire, Response
from evaluations.selectors_results import (
    QuestionnaireInfo,
    _question_pks_by_key,
    _scale_keys,
    percent,
    two_decimals,
)
from evaluations.selectors_results_access import ResultsScope


@dataclass(frozen=True)
class PanelMean:
    text: str
    mean: Decimal


@dataclass(frozen=True)
class PanelSummary:
    questionnaire: QuestionnaireInfo
    invited: int
    answered: int
    responses: int
    response_rate: Decimal | None
    means: tuple[PanelMean, ...]  # the first scale questions answered, in the page's order


def panel_summaries(*, scope: ResultsScope, means_shown: int) -> list[PanelSummary]:
    """One summary per questionnaire with campaigns in ``scope``, in title order. The
    figures are the results page's (`results_for`): same invitations, same responses,
    questions matched across versions the same way."""
    questionnaires = scope.questionnaires()
    if not questionnaires:
        return []
    campaigns = scope.campaigns
    invitations = Invitation.objects.filter(campaign__in=campaigns)
    responses = Response.objects.filter(campaign__in=campaigns)
    if scope.sessions is not None:
        invitations = invitations.filter(
            Q(campaign__session__in=scope.sessions)
            | Q(campaign__session__isnull=True, enrolment__session__in=scope.sessions)
        )
        responses = responses.filter(session__in=scope.sessions)

    rates = {
        pk: (invited, answered)
        for pk, invited, answered in invitations.order_by()
        .values("campaign__version__questionnaire_id")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered_on__isnull=False)))
        .values_list("campaign__version__questionnaire_id", "invited", "answered")
    }
    response_counts = dict(
        responses.order_by()
        .values("campaign__version__questionnaire_id")
        .annotate(n=Count("pk"))
        .values_list("campaign__version__questionnaire_id", "n")
    )
    questions = list(
        Question.objects.filter(kind=Question.Kind.SCALE)
        .filter(
            Q(section__version__in=campaigns.values("version_id"))
            | Q(section__version__in=responses.values("version_id"))
        )
        .select_related("section__version")
    )
    sums = {
        question_pk: (n, total)
        for question_pk, n, total in Answer.objects.filter(
            response__in=responses, question__kind=Question.Kind.SCALE, number__isnull=False
        )
        .order_by()
        .values("question_id")
        .annotate(n=Count("pk"), total=Sum("number"))
        .values_list("question_id", "n", "total")
    }

    by_questionnaire: dict[int, list[Question]] = defaultdict(list)
    for question in questions:
        by_questionnaire[question.section.version.questionnaire_id].append(question)
    summaries = []
    for questionnaire in questionnaires:
        own = by_questionnaire.get(questionnaire.pk, [])
        key_of = _question_pks_by_key(own)
        totals: dict = defaultdict(lambda: [0, 0])
        for question in own:
            n, total = sums.get(question.pk, (0, 0))
            totals[key_of[question.pk]][0] += n
            totals[key_of[question.pk]][1] += total
        means = []
        for key, text in _scale_keys(own):
            n, total = totals[key]
            if n:
                means.append(PanelMean(text, two_decimals(Decimal(total) / n)))
        invited, answered = rates.get(questionnaire.pk, (0, 0))
        summaries.append(
            PanelSummary(
                questionnaire=QuestionnaireInfo(
                    questionnaire.pk,
                    questionnaire.title,
                    questionnaire.kind,
                    str(Questionnaire.Kind(questionnaire.kind).label),
                    questionnaire.nominative,
                ),
                invited=invited,
                answered=answered,
                responses=response_counts.get(questionnaire.pk, 0),
                response_rate=percent(answered, invited),
                means=tuple(means[:means_shown]),
            )
        )
    return summaries
