"""Results of evaluations: what the session and formation pages, and the synthesis PDF, show.

Everything here reads; nothing writes. Each function takes the campaigns to cover (a
queryset of `Campaign`, of ONE questionnaire, any of its versions) and, optionally, the
sessions to restrict the answers to (a trainer sees only their own sessions of a
formation-wide campaign). The caller scopes both through the visibility selectors
(`evaluations.selectors_results.results_campaigns_for` does it for the pages).

- Questions are matched across versions by (kind, text) — and their options for a
  choice, their options, right options and points for a quiz, since answers keep the
  index of the option ticked: a question kept as it was from one version to the next
  is one line of the results (one whose options changed makes a line of its own), so
  that a synthesis over several sessions, or a trend, survives an edit of the
  questionnaire. The newest version gives
  the order and the section titles; questions only older versions had follow.
- Aggregation is done by the database (counts grouped by question and value, averages per
  objective), in a constant number of queries whatever the number of answers: the free
  text answers only are read as rows.
- A breakdown (by structure type, sex, age band) shows a group only if it has at least
  `MASK_THRESHOLD` responses: below, the group could point at a person.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from evaluations.models import Answer, Campaign, Invitation, Question, Questionnaire, Response
from formations.models import Structure
from sessions.models import TrainingSession

MASK_THRESHOLD = 5

# (kind, text[, options…]); (…, n) for the n-th time a version asks the same question.
QuestionKey = tuple


def _question_set(campaigns: QuerySet[Campaign], responses: QuerySet[Response]) -> list[Question]:
    """The questions of the campaigns' versions and of the versions the responses were
    given on: a campaign may have moved to a newer version after answers were taken.
    One query."""
    return list(
        Question.objects.filter(
            Q(section__version__in=campaigns.values("version_id"))
            | Q(section__version__in=responses.values("version_id"))
        ).select_related("section__version")
    )


def _base_key(question: Question) -> tuple:
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        return (question.kind, question.text, *(str(c) for c in question.choices or []))
    if question.kind == Question.Kind.QUIZ:
        return (
            question.kind,
            question.text,
            tuple(str(c) for c in question.choices or []),
            tuple(question.correct_choices or []),
            question.points,
        )
    return (question.kind, question.text)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class QuestionnaireInfo:
    pk: int
    title: str
    kind: str
    kind_label: str
    nominative: bool


@dataclass(frozen=True)
class SessionCovered:
    pk: int
    code: str
    first_day: dt.date | None
    last_day: dt.date | None


@dataclass(frozen=True)
class Tally:
    """One bar: a value (« 4 », « Oui », an option) and how many answers gave it."""

    label: str
    count: int
    percent: Decimal | None  # of the question's answers (a multiple choice: of respondents)
    correct: bool = False  # a quiz's right option


@dataclass(frozen=True)
class ObjectiveResult:
    objective: str
    count: int
    mean_before: Decimal | None
    mean_after: Decimal | None
    progress: Decimal | None  # mean after − mean before


@dataclass(frozen=True)
class Comment:
    text: str
    hidden: bool
    hidden_reason: str
    answer_pk: int
    session_code: str = ""


@dataclass(frozen=True)
class QuestionResult:
    key: QuestionKey
    text: str
    kind: str
    answered_count: int  # responses that answered this question
    scale_low_label: str = ""
    scale_high_label: str = ""
    mean: Decimal | None = None  # scale (1–5), 2 decimals
    distribution: tuple[Tally, ...] = ()  # scale 1..5, yes / no
    options: tuple[Tally, ...] = ()  # single, multiple, quiz (options ticked)
    success_count: int | None = None  # quiz
    success_rate: Decimal | None = None  # quiz, percent
    mean_points: Decimal | None = None  # quiz
    points: int | None = None  # quiz: the points of a right answer
    correct_labels: tuple[str, ...] = ()  # quiz: the right options
    objectives: tuple[ObjectiveResult, ...] = ()
    comments: tuple[Comment, ...] = ()
    comments_withheld: int = 0  # hidden by the coordination, left out of this copy

    @property
    def is_scale(self) -> bool:
        return self.kind == Question.Kind.SCALE

    @property
    def yes_rate(self) -> Decimal | None:
        if self.kind != Question.Kind.YES_NO or not self.answered_count:
            return None
        return self.distribution[0].percent


@dataclass(frozen=True)
class SectionResult:
    title: str
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class Results:
    questionnaire: QuestionnaireInfo | None
    sessions: tuple[SessionCovered, ...]
    first_day: dt.date | None
    last_day: dt.date | None
    invited: int
    answered: int  # invitations answered
    responses: int  # responses recorded (tablet answers included)
    response_rate: Decimal | None  # percent of invitations answered
    sections: tuple[SectionResult, ...] = ()

    @property
    def questions(self) -> list[QuestionResult]:
        return [q for section in self.sections for q in section.questions]

    @property
    def scale_questions(self) -> list[QuestionResult]:
        return [q for q in self.questions if q.is_scale]


@dataclass(frozen=True)
class Rate:
    invited: int
    answered: int
    response_rate: Decimal | None


# ---------------------------------------------------------------- helpers


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def two_decimals(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def masked(count: int) -> bool:
    """Whether a breakdown group of ``count`` responses must be masked."""
    return count < MASK_THRESHOLD


def masked_groups(counts: dict) -> set:
    """The groups of ``counts`` ({group: responses}) to mask: each of fewer than
    `MASK_THRESHOLD` responses, then the next smallest ones until the masked groups
    together hold at least `MASK_THRESHOLD` responses (or all are masked), so that no
    small group can be worked out from the total and the groups shown."""
    hidden = {group for group, n in counts.items() if masked(n)}
    if not hidden:
        return hidden
    shown = sorted(
        ((n, str(group), group) for group, n in counts.items() if group not in hidden),
        key=lambda item: item[:2],
    )
    while shown and sum(counts[group] for group in hidden) < MASK_THRESHOLD:
        hidden.add(shown.pop(0)[2])
    return hidden


def _responses(campaigns: QuerySet[Campaign], sessions: QuerySet | None) -> QuerySet[Response]:
    qs = Response.objects.filter(campaign__in=campaigns)
    if sessions is not None:
        qs = qs.filter(session__in=sessions)
    return qs


def _invitations(campaigns: QuerySet[Campaign], sessions: QuerySet | None) -> QuerySet[Invitation]:
    qs = Invitation.objects.filter(campaign__in=campaigns)
    if sessions is not None:
        qs = qs.filter(
            Q(campaign__session__in=sessions)
            | Q(campaign__session__isnull=True, enrolment__session__in=sessions)
        )
    return qs


def rate_of(invitations: QuerySet[Invitation]) -> Rate:
    counts = invitations.aggregate(
        invited=Count("pk"), answered=Count("pk", filter=Q(answered_on__isnull=False))
    )
    return Rate(
        counts["invited"], counts["answered"], percent(counts["answered"], counts["invited"])
    )


def response_rates(*, campaigns: QuerySet[Campaign]) -> dict[int, Rate]:
    """{campaign pk: its rate} for every campaign given, in one query (a campaign without
    invitations: 0 invited, no rate)."""
    rows = (
        campaigns.order_by()
        .annotate(
            invited=Count("invitations"),
            answered=Count("invitations", filter=Q(invitations__answered_on__isnull=False)),
        )
        .values_list("pk", "invited", "answered")
    )
    return {
        pk: Rate(invited, answered, percent(answered, invited)) for pk, invited, answered in rows
    }


def _local_day(moment: dt.datetime | None, zone: str) -> dt.date | None:
    if moment is None:
        return None
    try:
        return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return moment.date()


def _sessions_covered(condition: Q, sessions: QuerySet | None) -> list[SessionCovered]:
    qs = TrainingSession.objects.filter(condition)
    if sessions is not None:
        qs = qs.filter(pk__in=sessions.values("pk"))
    rows = (
        qs.annotate(first_start=Min("slots__starts_at"), last_end=Max("slots__ends_at"))
        .order_by(F("first_start").asc(nulls_last=True), "code", "pk")
        .values_list("pk", "code", "time_zone", "first_start", "last_end")
    )
    return [
        SessionCovered(pk, code, _local_day(first, zone), _local_day(last, zone))
        for pk, code, zone, first, last in rows
    ]


def _questionnaire_info(campaigns: list[Campaign]) -> QuestionnaireInfo | None:
    if not campaigns:
        return None
    questionnaire = campaigns[0].version.questionnaire
    return QuestionnaireInfo(
        questionnaire.pk,
        questionnaire.title,
        questionnaire.kind,
        str(Questionnaire.Kind(questionnaire.kind).label),
        questionnaire.nominative,
    )


def _by_version(questions: list[Question]) -> list[list[Question]]:
    """The questions of each version, newest version first, in the version's order."""
    by_version: dict[int, list[Question]] = defaultdict(list)
    for question in questions:
        by_version[question.section.version.number].append(question)
    return [
        sorted(
            by_version[number],
            key=lambda q: (q.section.position, q.section.pk, q.position, q.pk),
        )
        for number in sorted(by_version, reverse=True)
    ]


def _question_pks_by_key(questions: list[Question]) -> dict[int, QuestionKey]:
    """{question pk: its key}: (kind, text[, options]), the same in every version. A
    version asking the same question twice (a « Commentaires » in two parts) keeps them
    apart: the second is (kind, text, 2), matched with the second of another version."""
    keys = {}
    for ordered in _by_version(questions):
        seen: dict[tuple, int] = defaultdict(int)
        for question in ordered:
            base = _base_key(question)
            seen[base] += 1
            keys[question.pk] = base if seen[base] == 1 else (*base, seen[base])
    return keys


def _layout(questions: list[Question]) -> tuple[list[tuple[str, list[QuestionKey]]], dict]:
    """The sections and question keys in the newest version's order (questions only an
    older version had: after, in their own version's section), and for each key the
    question that gives its labels (the newest) and all the pks it covers."""
    key_of = _question_pks_by_key(questions)
    sections: dict[str, list[QuestionKey]] = {}
    reference: dict[QuestionKey, Question] = {}
    pks: dict[QuestionKey, list[int]] = defaultdict(list)
    for ordered in _by_version(questions):
        for question in ordered:
            key = key_of[question.pk]
            pks[key].append(question.pk)
            if key in reference:
                continue
            reference[key] = question
            sections.setdefault(question.section.title, []).append(key)
    return list(sections.items()), {"reference": reference, "pks": pks}


# ---------------------------------------------------------------- results


def results_for(
    *, campaigns: QuerySet[Campaign], sessions: QuerySet[TrainingSession] | None = None
) -> Results:
    """The results of ``campaigns`` (one questionnaire), restricted to the answers given
    about ``sessions`` when given. Eight queries, whatever the number of answers."""
    campaign_list = list(
        campaigns.select_related("version__questionnaire", "session").order_by("opens_at", "pk")
    )
    campaign_qs = Campaign.objects.filter(pk__in=[c.pk for c in campaign_list])
    responses = _responses(campaign_qs, sessions)
    questions = _question_set(campaign_qs, responses)
    key_of = _question_pks_by_key(questions)
    layout, index = _layout(questions)

    rate = rate_of(_invitations(campaign_qs, sessions))
    response_facts = responses.aggregate(
        n=Count("pk"), first=Min("submitted_on"), last=Max("submitted_on")
    )
    answers = Answer.objects.filter(response__in=responses).order_by()

    # Per question and value: how many answer rows, how many right (quiz).
    values: dict[QuestionKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rights: dict[QuestionKey, int] = defaultdict(int)
    for question_pk, number, n, right in (
        answers.exclude(question__kind__in=[Question.Kind.TEXT, Question.Kind.OBJECTIVES])
        .values("question_id", "number")
        .annotate(
            n=Count("pk"),
            right=Count("pk", filter=Q(correct=True)),
        )
        .values_list("question_id", "number", "n", "right")
    ):
        key = key_of.get(question_pk)
        if key is None:
            continue
        values[key][number] += n
        rights[key] += right
    # Responses per question (a multiple choice has one row per ticked option).
    answered_by_question = dict(
        answers.values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    answered_count: dict[QuestionKey, int] = defaultdict(int)
    for question_pk, n in answered_by_question.items():
        if question_pk in key_of:
            answered_count[key_of[question_pk]] += n

    # Objectives: per question and objective, the pairs and their averages.
    objective_rows: dict[QuestionKey, dict[str, list]] = defaultdict(dict)
    for question_pk, objective, n, before_sum, after_sum in (
        answers.filter(
            question__kind=Question.Kind.OBJECTIVES, before__isnull=False, after__isnull=False
        )
        .values("question_id", "objective")
        .annotate(n=Count("pk"), before=Avg("before"), after=Avg("after"), first=Min("pk"))
        .order_by("first")
        .values_list("question_id", "objective", "n", "before", "after")
    ):
        if question_pk not in key_of:
            continue
        rows = objective_rows[key_of[question_pk]]
        previous = rows.get(objective)
        if previous is None:
            rows[objective] = [n, Decimal(str(before_sum)) * n, Decimal(str(after_sum)) * n]
        else:
            previous[0] += n
            previous[1] += Decimal(str(before_sum)) * n
            previous[2] += Decimal(str(after_sum)) * n

    # Free text: read as rows, in alphabetical order (per session): the order of
    # submission would let a trainer who watched people answer on the tablet, one after
    # the other, tell who wrote what.
    comments: dict[QuestionKey, list[Comment]] = defaultdict(list)
    for pk, question_pk, text, hidden_at, reason, code in (
        answers.filter(question__kind=Question.Kind.TEXT)
        .exclude(text="")
        .order_by("response__session__code", "text", "pk")
        .values_list(
            "pk", "question_id", "text", "hidden_at", "hidden_reason", "response__session__code"
        )
    ):
        if question_pk not in key_of:
            continue
        comments[key_of[question_pk]].append(
            Comment(text, hidden_at is not None, reason, pk, code or "")
        )

    # The sessions that had invitations or responses: not a session whose campaign
    # nobody was invited to nor answered.
    covered = _sessions_covered(
        Q(
            pk__in=_invitations(campaign_qs, sessions)
            .annotate(session_pk=Coalesce("campaign__session_id", "enrolment__session_id"))
            .values("session_pk")
        )
        | Q(pk__in=responses.values("session_id")),
        sessions,
    )

    sections = []
    for title, keys in layout:
        section_questions = []
        for key in keys:
            question = index["reference"][key]
            section_questions.append(
                _question_result(
                    question,
                    key=key,
                    answered=answered_count.get(key, 0),
                    values=values.get(key, {}),
                    rights=rights.get(key, 0),
                    objectives=objective_rows.get(key, {}),
                    comments=comments.get(key, []),
                )
            )
        sections.append(SectionResult(title, tuple(section_questions)))

    days = [d for s in covered for d in (s.first_day, s.last_day) if d]
    return Results(
        questionnaire=_questionnaire_info(campaign_list),
        sessions=tuple(covered),
        first_day=min(days) if days else response_facts["first"],
        last_day=max(days) if days else response_facts["last"],
        invited=rate.invited,
        answered=rate.answered,
        responses=response_facts["n"],
        response_rate=rate.response_rate,
        sections=tuple(sections),
    )


def _question_result(
    question, *, key, answered, values, rights, objectives, comments
) -> QuestionResult:
    kind = question.kind
    common = dict(
        key=key,
        text=question.text,
        kind=kind,
        answered_count=answered,
        scale_low_label=question.scale_low_label,
        scale_high_label=question.scale_high_label,
    )
    if kind == Question.Kind.SCALE:
        counted = sum(values.get(n, 0) for n in range(1, 6))
        total = sum(n * values.get(n, 0) for n in range(1, 6))
        mean = two_decimals(Decimal(total) / counted) if counted else None
        distribution = tuple(
            Tally(str(n), values.get(n, 0), percent(values.get(n, 0), counted)) for n in range(1, 6)
        )
        return QuestionResult(**common, mean=mean, distribution=distribution)
    if kind == Question.Kind.YES_NO:
        yes, no = values.get(1, 0), values.get(0, 0)
        distribution = (
            Tally(_("Oui"), yes, percent(yes, yes + no)),
            Tally(_("Non"), no, percent(no, yes + no)),
        )
        return QuestionResult(**common, distribution=distribution)
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        options = tuple(
            Tally(str(label), values.get(index, 0), percent(values.get(index, 0), answered))
            for index, label in enumerate(question.choices or [])
        )
        return QuestionResult(**common, options=options)
    if kind == Question.Kind.QUIZ:
        total_points = sum(points * n for points, n in values.items() if points is not None)
        return QuestionResult(
            **common,
            success_count=rights,
            success_rate=percent(rights, answered),
            mean_points=two_decimals(Decimal(total_points) / answered) if answered else None,
            points=question.points,
            correct_labels=tuple(
                str(label)
                for index, label in enumerate(question.choices or [])
                if index in (question.correct_choices or [])
            ),
        )
    if kind == Question.Kind.OBJECTIVES:
        results = []
        for objective, (n, before_total, after_total) in objectives.items():
            before, after = before_total / n, after_total / n
            results.append(
                ObjectiveResult(
                    objective,
                    n,
                    two_decimals(before),
                    two_decimals(after),
                    two_decimals(after - before),
                )
            )
        return QuestionResult(**common, objectives=tuple(results))
    return QuestionResult(**common, comments=tuple(comments))


# ---------------------------------------------------------------- trends across sessions


@dataclass(frozen=True)
class TrendPoint:
    session: SessionCovered
    invited: int
    answered: int
    response_rate: Decimal | None
    responses: int
    means: tuple[Decimal | None, ...]  # one per scale question of `Trends.questions`
    small: bool = False  # fewer than MASK_THRESHOLD responses (marked for coordinators)
    masked: bool = False  # means withheld: `means` is all None


@dataclass(frozen=True)
class Trends:
    questions: tuple[tuple[QuestionKey, str], ...]  # the scale questions (key, text)
    points: tuple[TrendPoint, ...]  # one per session, in date order


def _scale_keys(questions: list[Question]) -> list[tuple[QuestionKey, str]]:
    _layout_sections, index = _layout(questions)
    keys = [key for _title, section_keys in _layout_sections for key in section_keys]
    return [(key, index["reference"][key].text) for key in keys if key[0] == Question.Kind.SCALE]


def trends_for(
    *,
    campaigns: QuerySet[Campaign],
    sessions: QuerySet[TrainingSession] | None = None,
    mask_small: bool = False,
) -> Trends:
    """Per session (in date order): the response rate and the mean of each scale question,
    questions matched across versions. With ``mask_small`` (trainers, auditors), the
    means of a session of fewer than `MASK_THRESHOLD` responses are withheld, with as
    many others as `masked_groups` needs. Five queries, whatever the sessions and
    answers."""
    campaign_qs = Campaign.objects.filter(pk__in=campaigns.values("pk"))
    questions = _question_set(campaign_qs, _responses(campaign_qs, sessions))
    key_of = _question_pks_by_key(questions)
    scale = _scale_keys(questions)
    position = {key: i for i, (key, _text) in enumerate(scale)}

    invited: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for session_pk, n, answered in (
        _invitations(campaign_qs, sessions)
        .annotate(session_pk=Coalesce("campaign__session_id", "enrolment__session_id"))
        .values("session_pk")
        .annotate(n=Count("pk"), answered=Count("pk", filter=Q(answered_on__isnull=False)))
        .values_list("session_pk", "n", "answered")
    ):
        if session_pk is not None:
            invited[session_pk] = [n, answered]
    responses = _responses(campaign_qs, sessions).exclude(session=None)
    response_counts = dict(
        responses.values("session_id").annotate(n=Count("pk")).values_list("session_id", "n")
    )
    sums: dict[int, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in scale])
    for session_pk, question_pk, n, total in (
        Answer.objects.filter(
            response__in=responses, question__kind=Question.Kind.SCALE, number__isnull=False
        )
        .values("response__session_id", "question_id")
        .annotate(n=Count("pk"), total=Sum("number"))
        .values_list("response__session_id", "question_id", "n", "total")
    ):
        if question_pk not in key_of:
            continue
        cell = sums[session_pk][position[key_of[question_pk]]]
        cell[0] += n
        cell[1] += total
    covered = _sessions_covered(Q(pk__in=set(invited) | set(response_counts)), sessions)
    hidden = masked_groups(response_counts) if mask_small else set()
    points = []
    for session in covered:
        n, answered = invited.get(session.pk, [0, 0])
        means = tuple(
            None
            if session.pk in hidden
            else two_decimals(Decimal(total) / count)
            if count
            else None
            for count, total in sums.get(session.pk, [[0, 0] for _ in scale])
        )
        responses_n = response_counts.get(session.pk, 0)
        points.append(
            TrendPoint(
                session,
                n,
                answered,
                percent(answered, n),
                responses_n,
                means,
                small=0 < responses_n < MASK_THRESHOLD,
                masked=session.pk in hidden,
            )
        )
    return Trends(tuple(scale), tuple(points))


# ---------------------------------------------------------------- breakdowns


@dataclass(frozen=True)
class BreakdownGroup:
    label: str
    responses: int | None  # None when masked
    means: tuple[Decimal | None, ...]  # one per scale question; empty when masked
    masked: bool


@dataclass(frozen=True)
class Breakdown:
    dimension: str  # "structure_kind", "sex", "age_band"
    title: str
    questions: tuple[tuple[QuestionKey, str], ...]
    groups: tuple[BreakdownGroup, ...]


def _dimension_labels() -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "structure_kind": (
            _("Par type de structure"),
            {value: str(label) for value, label in Structure.Kind.choices},
        ),
        "sex": (_("Par sexe"), {"F": _("Femmes"), "M": _("Hommes"), "X": _("Autre")}),
        "age_band": (_("Par tranche d'âge"), {}),
    }


DIMENSIONS = ("structure_kind", "sex", "age_band")


def breakdowns_for(
    *, campaigns: QuerySet[Campaign], sessions: QuerySet[TrainingSession] | None = None
) -> tuple[Breakdown, ...]:
    """The mean of each scale question per structure type, sex and age band. A group of
    fewer than `MASK_THRESHOLD` responses is masked (its count too), and the next
    smallest with it until the masked groups hold `MASK_THRESHOLD` responses together
    (`masked_groups`), so that none can be worked out from the total. Seven queries."""
    campaign_qs = Campaign.objects.filter(pk__in=campaigns.values("pk"))
    questions = _question_set(campaign_qs, _responses(campaign_qs, sessions))
    key_of = _question_pks_by_key(questions)
    scale = _scale_keys(questions)
    position = {key: i for i, (key, _text) in enumerate(scale)}
    responses = _responses(campaign_qs, sessions)
    labels = _dimension_labels()
    breakdowns = []
    for dimension in DIMENSIONS:
        counts = dict(
            responses.order_by()
            .values(dimension)
            .annotate(n=Count("pk"))
            .values_list(dimension, "n")
        )
        sums: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in scale])
        for value, question_pk, n, total in (
            Answer.objects.filter(
                response__in=responses, question__kind=Question.Kind.SCALE, number__isnull=False
            )
            .values(f"response__{dimension}", "question_id")
            .annotate(n=Count("pk"), total=Sum("number"))
            .values_list(f"response__{dimension}", "question_id", "n", "total")
        ):
            if question_pk not in key_of:
                continue
            cell = sums[value][position[key_of[question_pk]]]
            cell[0] += n
            cell[1] += total
        hidden = masked_groups(counts)
        title, names = labels[dimension]
        groups = []
        for value, n in sorted(counts.items(), key=lambda item: (item[0] == "", str(item[0]))):
            label = names.get(value, value) if value else _("Non renseigné")
            if value in hidden:
                groups.append(BreakdownGroup(str(label), None, (), True))
                continue
            means = tuple(
                two_decimals(Decimal(total) / count) if count else None
                for count, total in sums[value]
            )
            groups.append(BreakdownGroup(str(label), n, means, False))
        breakdowns.append(Breakdown(dimension, title, tuple(scale), tuple(groups)))
    return tuple(breakdowns)


# ---------------------------------------------------------------- names (never for trainers)


@dataclass(frozen=True)
class NonRespondent:
    name: str
    session_code: str
    sent_at: dt.datetime | None
    reminders_sent: int


@dataclass(frozen=True)
class NonRespondents:
    total: int
    shown: tuple[NonRespondent, ...]

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


def non_respondents(
    *,
    campaigns: QuerySet[Campaign],
    sessions: QuerySet[TrainingSession] | None = None,
    limit: int | None = None,
) -> NonRespondents:
    """Who was invited and has not answered: for coordinators only (the caller checks).
    The first ``limit`` by name, and how many in all. Two queries."""
    pending = _invitations(Campaign.objects.filter(pk__in=campaigns.values("pk")), sessions).filter(
        answered_on__isnull=True
    )
    rows = pending.select_related(
        "participant", "user", "campaign__session", "enrolment__session"
    ).order_by("participant__last_name", "participant__first_name", "user__last_name", "pk")
    if limit is not None:
        rows = rows[:limit]
    result = []
    for invitation in rows:
        person = invitation.participant or invitation.user
        name = (
            invitation.participant.full_name
            if invitation.participant_id
            else (person.get_full_name() or person.get_username())
        )
        session = invitation.campaign.session or (
            invitation.enrolment.session if invitation.enrolment_id else None
        )
        result.append(
            NonRespondent(
                name, session.code if session else "", invitation.sent_at, invitation.reminders_sent
            )
        )
    total = len(result) if limit is None or len(result) < limit else pending.count()
    return NonRespondents(total=total, shown=tuple(result))


@dataclass(frozen=True)
class NamedResponse:
    """A nominative response (quiz, positioning), with its author's name."""

    name: str
    session_code: str
    submitted_on: dt.date
    score: int | None  # quiz points won, when the questionnaire has quiz questions
    max_score: int | None
    values: tuple[str, ...]  # one per question of `NamedResults.questions`


@dataclass(frozen=True)
class NamedResults:
    questions: tuple[str, ...]
    rows: tuple[NamedResponse, ...]


def named_responses(
    *, campaigns: QuerySet[Campaign], sessions: QuerySet[TrainingSession] | None = None
) -> NamedResults:
    """The answers of a nominative questionnaire, person by person (never for an anonymous
    one: then empty). Three queries."""
    campaign_qs = Campaign.objects.filter(
        pk__in=campaigns.values("pk"), version__questionnaire__nominative=True
    )
    questions = list(
        Question.objects.filter(
            Q(section__version__in=campaign_qs.values("version_id"))
            | Q(section__version__in=_responses(campaign_qs, sessions).values("version_id"))
        )
        .exclude(kind=Question.Kind.TEXT)
        .select_related("section__version")
    )
    layout, index = _layout(questions)
    keys = [key for _title, section_keys in layout for key in section_keys]
    key_of = _question_pks_by_key(questions)
    position = {key: i for i, key in enumerate(keys)}
    max_score = sum(index["reference"][k].points for k in keys if k[0] == Question.Kind.QUIZ)
    has_quiz = any(k[0] == Question.Kind.QUIZ for k in keys)
    responses = list(
        _responses(campaign_qs, sessions)
        .filter(Q(participant__isnull=False) | Q(user__isnull=False))
        .select_related("participant", "user", "session")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )
    cells: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    scores: dict[int, int] = defaultdict(int)
    for answer in (
        Answer.objects.filter(response__in=[r.pk for r in responses])
        .exclude(question__kind=Question.Kind.TEXT)
        .select_related("question")
    ):
        key = key_of.get(answer.question_id)
        if key is None:
            continue
        cells[answer.response_id][position[key]].append(_answer_text(answer))
        if answer.question.kind == Question.Kind.QUIZ and answer.number:
            scores[answer.response_id] += answer.number
    rows = []
    for response in responses:
        person = response.participant or response.user
        name = person.full_name if response.participant_id else person.get_full_name()
        rows.append(
            NamedResponse(
                name,
                response.session.code if response.session_id else "",
                response.submitted_on,
                scores.get(response.pk, 0) if has_quiz else None,
                max_score if has_quiz else None,
                tuple(", ".join(cells[response.pk].get(i, [])) for i in range(len(keys))),
            )
        )
    return NamedResults(tuple(index["reference"][k].text for k in keys), tuple(rows))


def _answer_text(answer: Answer) -> str:
    question = answer.question
    if question.kind == Question.Kind.YES_NO:
        return _("Oui") if answer.number else _("Non")
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        choices = question.choices or []
        return str(choices[answer.number]) if 0 <= (answer.number or 0) < len(choices) else ""
    if question.kind == Question.Kind.QUIZ:
        return _("juste") if answer.correct else _("faux")
    if question.kind == Question.Kind.OBJECTIVES:
        return f"{answer.objective} : {answer.before} → {answer.after}"
    return "" if answer.number is None else str(answer.number)


def without_hidden_comments(results: Results) -> Results:
    """The same results without the comments the coordination hid (the funder's copy,
    and what trainers and auditors see)."""
    sections = tuple(
        replace(
            section,
            questions=tuple(
                replace(
                    q,
                    comments=tuple(c for c in q.comments if not c.hidden),
                    comments_withheld=q.comments_withheld + sum(c.hidden for c in q.comments),
                )
                for q in section.questions
            ),
        )
        for section in results.sections
    )
    return replace(results, sections=sections)
