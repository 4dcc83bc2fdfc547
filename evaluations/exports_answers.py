"""The raw answers of a synthesis's campaigns, as CSV or XLSX (`formations.exporting`:
streamed, formulas neutralised): one row per response × question answered.

Two copies: the coordination's, and the funder's. The funder's (an auditor's) never holds
a name, an e-mail address or a phone number: a response is numbered, not named; a hidden
comment is replaced by a mark; contact details typed in a comment are taken out
(`evaluations.anonymity`). The coordination's names the person only when the
questionnaire is nominative (an anonymous response has no name to give), and keeps
hidden comments as written."""

from collections.abc import Iterator

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from evaluations.anonymity import redact_contacts
from evaluations.models import Answer, Question, Response
from evaluations.selectors_synthesis import SynthesisScope, synthesis_campaigns
from formations.exporting import BaseExporter, Column, choice_labels
from formations.models import Structure

CHUNK = 500


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
        return f"reponses-{self.scope.formation.contract_reference}-{suffix}"

    def get_columns(self):
        columns = [
            Column(_("Réponse n°"), lambda row: row[0]),
            Column(_("Session"), lambda row: row[1]),
            Column(_("Répondu le"), lambda row: row[2]),
            Column(_("Type de structure"), lambda row: row[3]),
        ]
        if self.named:
            columns.append(Column(_("Participant·e"), lambda row: row[7]))
        return columns + [
            Column(_("Partie"), lambda row: row[4]),
            Column(_("Question"), lambda row: row[5]),
            Column(_("Réponse"), lambda row: row[6]),
        ]

    def responses(self):
        answers = Answer.objects.select_related("question__section").order_by(
            "question__section__position", "question__position", "question_id", "pk"
        )
        responses = (
            Response.objects.filter(campaign__in=synthesis_campaigns(scope=self.scope))
            .select_related("session")
            .prefetch_related(Prefetch("answers", queryset=answers))
            .order_by("session__code", "submitted_on", "pk")
        )
        if self.scope.session is not None:
            responses = responses.filter(session_id=self.scope.session.pk)
        if self.named:
            responses = responses.select_related("participant")
        return responses

    def iterate_rows(self) -> Iterator[list]:
        columns = self.get_columns()
        structure_kind = choice_labels(Structure.Kind.choices)
        for number, response in enumerate(self.responses().iterator(chunk_size=CHUNK), start=1):
            by_question: dict[int, list[Answer]] = {}
            for answer in response.answers.all():
                by_question.setdefault(answer.question_id, []).append(answer)
            name = ""
            if self.named and response.participant is not None:
                name = response.participant.full_name
            for answers in by_question.values():
                question = answers[0].question
                raw = (
                    number,
                    response.session.code if response.session else "",
                    response.submitted_on,
                    structure_kind(response.structure_kind) if response.structure_kind else "",
                    question.section.title,
                    question.text,
                    answer_text(question, answers, funder=self.funder),
                    name,
                )
                yield [column.value(raw) for column in columns]
