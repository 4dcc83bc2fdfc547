"""Reads of questionnaires for the coordinators' pages: the list with its counts, a
version with its sections and questions, the history of versions and their campaigns.
A constant number of queries, whatever the number of questionnaires or questions."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from evaluations.models import Campaign, Question, Questionnaire, QuestionnaireVersion, Response
from formations.permissions import can_manage
from formations.text import french_sort_key


def _count(queryset, field: str):
    """A correlated count (no join that would multiply the other counts)."""
    return Coalesce(
        Subquery(
            queryset.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(total=Count("pk"))
            .values("total")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def questionnaires_visible_to(*, user):
    """Questionnaires are the coordinators' tools: nobody else sees them."""
    if not can_manage(user):
        return Questionnaire.objects.none()
    return Questionnaire.objects.all()


def questionnaire_list(*, user) -> list[Questionnaire]:
    """Each questionnaire with its latest version number and how many campaigns and
    responses all its versions had, in French order of titles (« Évaluation » among the
    E), the archived ones last."""
    latest = (
        QuestionnaireVersion.objects.filter(questionnaire=OuterRef("pk"))
        .order_by("-number")
        .values("number")[:1]
    )
    rows = questionnaires_visible_to(user=user).annotate(
        latest_number=Subquery(latest, output_field=IntegerField()),
        campaign_count=_count(Campaign.objects.all(), "version__questionnaire"),
        response_count=_count(Response.objects.all(), "version__questionnaire"),
    )
    return sorted(rows, key=lambda row: (row.archived, french_sort_key(row.title), row.pk))


def version_contents(version: QuestionnaireVersion) -> list:
    """The sections of ``version`` in order, each with `question_list` in order."""
    sections = list(
        version.sections.order_by("position", "pk").prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("position", "pk"),
                to_attr="question_list",
            )
        )
    )
    number = 0
    for section in sections:
        for question in section.question_list:
            number += 1
            question.number = number
            question.correct_set = set(question.correct_choices or [])
    return sections


def version_history(*, questionnaire: Questionnaire) -> list[QuestionnaireVersion]:
    """The versions, newest first, each with its campaigns (`campaign_list`, with
    formation and session) and its `response_count`."""
    return list(
        questionnaire.versions.annotate(response_count=_count(Response.objects.all(), "version"))
        .select_related("created_by")
        .prefetch_related(
            Prefetch(
                "campaigns",
                queryset=Campaign.objects.select_related("formation", "session").order_by(
                    "opens_at", "pk"
                ),
                to_attr="campaign_list",
            )
        )
        .order_by("-number")
    )
