"""The raw answers of a synthesis's campaigns, as CSV or XLSX (`formations.exporting`:
streamed, formulas neutralised): one row per response × question answered.

Two copies: the coordination's, and the funder's. The funder's (an auditor's) never holds
a name, an e-mail address or a phone number: a response is numbered, not named; a hidden
comment is replaced by a mark; contact details typed in a comment are taken out
(`evaluations.anonymity`). The coordination's names the person only when the
questionnaire is nominative (an anonymous response has no name to give), and keeps
hidden comments as written.

Every copy without names must not let a reader put a name back (an auditor holds the
attendance lists): no day of answer, a structure type only where the session has
`MASK_THRESHOLD` responses of that type, response numbers in a keyed-hash order (never
the order of submission), and a hidden comment's row set apart with no number and no
structure type."""

from collections import Counter
from collections.abc import Iterator

from django.db.models import Prefetch
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from evaluations.anonymity import redact_contacts
from evaluations.models import Answer, Question, Response
from evaluations.selectors_results import MASK_THRESHOLD
from evaluations.selectors_synthesis import SynthesisScope, synthesis_campaigns
from formations.exporting import BaseExporter, Column, choice_labels
from formations.models import Structure

CHUNK = 500
NUMBER_SALT = "evaluations.exports_answers.number"


def answer_text(question: Question, answers: list[Answer], *, funder: bool) -> str:
    """One question's value in one response, as text: the rating, « oui » / « non », the
    options ticked (joined), the comment, each objective's « avant → après »."""
    kind = question.kind
    if kind == Question.Kind.TEXT:
        answer = answers[0]
        if funder and answer.hidden_at is not None:
            return _("(commentaire masqué par la coordination)")
        return redact_contacts(answer.text) if funder else answer.text
    if kind == Question.Kind.YES_NO:
        return _("oui") if answers[0].number == 1 else _("non")
    if kind == Question.Kind.SCALE:
        return str(answers[0].number)
    choices = question.choices or []

    def label(index):
        return str(choices[index]) if index is not None and 0 <= index < len(choices) else "?"

    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        return ", ".join(label(a.number) for a in answers)
    if kind == Question.Kind.QUIZ:
        answer = answers[0]
        ticked = ", ".join(label(i) for i in answer.choices or [])
        verdict = _("juste") if answer.correct else _("faux")
        return f"{ticked} ({verdict})"
    return " ; ".join(f"{a.objective} : {a.before} → {a.after}" for a in answers)


def shuffled_pks(pks) -> list[int]:
    """The responses' pks in an order that says nothing about when they were submitted:
    sorted by a keyed hash of the pk (stable from one export to the next, unguessable
    without the project's secret)."""
    return sorted(
        pks, key=lambda pk: salted_hmac(NUMBER_SALT, str(pk), algorithm="sha256").hexdigest()
    )


class AnswersExporter(BaseExporter):
    identifier = "reponses-evaluation"
    verbose_name = _("Réponses")

    def __init__(self, *, scope: SynthesisScope, funder: bool):
        self.scope = scope
        self.funder = funder
        # Names only where the questionnaire is nominative, and never for the funder.
        self.named = scope.questionnaire.nominative and not funder

    def get_filename(self) -> str:
        suffix = "financeur" if self.funder else "coordination"
        questionnaire = self.scope.questionnaire
        name = questionnaire.code or f"{slugify(questionnaire.title)[:40]}-{questionnaire.pk}"
        return f"reponses-{self.scope.formation.contract_reference}-{name}-{suffix}"

    def get_columns(self):
        columns = [
            Column(_("Réponse n°"), lambda row: row[0]),
            Column(_("Session"), lambda row: row[1]),
        ]
        if self.named:
            # The coordination's copy of a nominative questionnaire: the person is named,
            # the day tells nothing more.
            columns.append(Column(_("Répondu le"), lambda row: row[2]))
        columns.append(Column(_("Type de structure"), lambda row: row[3]))
        if self.named:
            columns.append(Column(_("Participant·e"), lambda row: row[7]))
        return columns + [
            Column(_("Partie"), lambda row: row[4]),
            Column(_("Question"), lambda row: row[5]),
            Column(_("Réponse"), lambda row: row[6]),
        ]

    def responses(self):
        responses = Response.objects.filter(campaign__in=synthesis_campaigns(scope=self.scope))
        if self.scope.session is not None:
            responses = responses.filter(session_id=self.scope.session.pk)
        return responses

    def with_answers(self, responses):
        answers = Answer.objects.select_related("question__section").order_by(
            "question__section__position", "question__position", "question_id", "pk"
        )
        responses = responses.select_related("session").prefetch_related(
            Prefetch("answers", queryset=answers)
        )
        if self.named:
            responses = responses.select_related("participant")
        return responses

    def ordered_responses(self) -> Iterator[tuple[int, Response, bool]]:
        """(number, response, structure type shown) in the export's order. Named: by
        session and submission, as before. Otherwise the responses are numbered by session
        then in `shuffled_pks` order, and a structure type is shown only where the
        session has at least `MASK_THRESHOLD` responses of that type: the only « CCAS »
        respondent of a session would otherwise be his whole response."""
        if self.named:
            responses = self.with_answers(self.responses()).order_by(
                "session__code", "submitted_on", "pk"
            )
            for number, response in enumerate(responses.iterator(chunk_size=CHUNK), start=1):
                yield number, response, True
            return
        facts = list(
            self.responses().values_list("pk", "session__code", "session_id", "structure_kind")
        )
        groups = Counter((session, kind) for _pk, _code, session, kind in facts)
        by_session: dict[str, list[int]] = {}
        shown: dict[int, bool] = {}
        for pk, code, session, kind in facts:
            by_session.setdefault(code or "", []).append(pk)
            shown[pk] = bool(kind) and groups[(session, kind)] >= MASK_THRESHOLD
        order = [pk for code in sorted(by_session) for pk in shuffled_pks(by_session[code])]
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK]
            fetched = {r.pk: r for r in self.with_answers(Response.objects.filter(pk__in=chunk))}
            for offset, pk in enumerate(chunk):
                yield start + offset + 1, fetched[pk], shown[pk]

    def iterate_rows(self) -> Iterator[list]:
        columns = self.get_columns()
        structure_kind = choice_labels(Structure.Kind.choices)
        few = _("— (moins de %(count)s réponses)") % {"count": MASK_THRESHOLD}
        # Anonymous copies: a hidden comment comes after all the responses, with no number
        # and no structure type, so that neither its place nor its row points at its author.
        hidden_rows = []
        for number, response, kind_shown in self.ordered_responses():
            by_question: dict[int, list[Answer]] = {}
            for answer in response.answers.all():
                by_question.setdefault(answer.question_id, []).append(answer)
            name = ""
            if self.named and response.participant is not None:
                name = response.participant.full_name
            kind = ""
            if response.structure_kind:
                kind = structure_kind(response.structure_kind) if kind_shown else few
            session = response.session.code if response.session else ""
            for answers in by_question.values():
                question = answers[0].question
                raw = [
                    number,
                    session,
                    response.submitted_on,
                    kind,
                    question.section.title,
                    question.text,
                    answer_text(question, answers, funder=self.funder),
                    name,
                ]
                hidden = question.kind == Question.Kind.TEXT and answers[0].hidden_at is not None
                if hidden and not self.named:
                    raw[0], raw[3] = "—", "—"
                    hidden_rows.append(raw)
                    continue
                yield [column.value(raw) for column in columns]
        for raw in sorted(hidden_rows, key=lambda raw: (raw[1], raw[6])):
            yield [column.value(raw) for column in columns]
