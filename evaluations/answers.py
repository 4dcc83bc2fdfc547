"""How one question's value becomes Answer rows (the `evaluations.models` docstring):
the single mapping shared by the answering pages and the tests' factory, so that what a
participant submits and what the tests write are stored alike.

A value is what a person gives: an int 1–5 (scale), a bool (yes/no), an option index
(single), a list of indices (multiple, quiz), a str (text), {objective: (before, after)}
(objectives)."""

from evaluations.models import Answer, Question


def answer_rows(question: Question, value) -> list[Answer]:
    """The unsaved rows of one question's value (the caller sets `response`)."""
    kind = Question.Kind
    if question.kind == kind.SCALE or question.kind == kind.SINGLE:
        return [Answer(question=question, number=int(value))]
    if question.kind == kind.YES_NO:
        return [Answer(question=question, number=1 if value else 0)]
    if question.kind == kind.MULTIPLE:
        return [Answer(question=question, number=index) for index in value]
    if question.kind == kind.TEXT:
        return [Answer(question=question, text=value)]
    if question.kind == kind.QUIZ:
        correct = sorted(value) == sorted(question.correct_choices)
        return [
            Answer(
                question=question,
                choices=list(value),
                correct=correct,
                number=question.points if correct else 0,
            )
        ]
    return [
        Answer(question=question, objective=objective, before=before, after=after)
        for objective, (before, after) in value.items()
    ]
