"""Forms of the questionnaire pages: they shape the input (options one per line, right
answers by their number); the services decide (`evaluations.services_questionnaires`)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluations.models import Question, Questionnaire
from formations.forms import FieldsetsMixin

Kind = Question.Kind


class QuestionnaireForm(FieldsetsMixin, forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Questionnaire.Kind.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Pour l'équipe : à quoi sert ce questionnaire. Les participant·es ne la voient pas."
        ),
    )
    nominative = forms.BooleanField(
        label=_("Nominatif : les réponses portent le nom de la personne"),
        required=False,
        help_text=_(
            "Pour un quiz ou un auto-positionnement. Sinon les réponses sont anonymes ; la "
            "personne est informée de l'un ou de l'autre avant de répondre."
        ),
    )
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Affichée aux personnes avant la première question."),
    )

    fieldsets = [
        (_("Questionnaire"), ("title", "kind", "description", "nominative")),
        (_("Ce que lisent les personnes interrogées"), ("introduction",)),
    ]

    def __init__(self, *args, questionnaire=None, introduction="", **kwargs):
        if questionnaire is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": questionnaire.title,
                    "kind": questionnaire.kind,
                    "description": questionnaire.description,
                    "nominative": questionnaire.nominative,
                    "introduction": introduction,
                },
            )
        super().__init__(*args, **kwargs)


class SectionForm(FieldsetsMixin, forms.Form):
    title = forms.CharField(label=_("Titre de la partie"), max_length=200)
    description = forms.CharField(
        label=_("Texte d'introduction de la partie"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def parse_numbers(text: str) -> list[int]:
    """« 1, 3 » → [0, 2] (option numbers as people count, from 1, to indices)."""
    numbers = []
    for piece in re.split(r"[\s,;]+", text or ""):
        if not piece:
            continue
        if not piece.isdigit() or int(piece) < 1:
            raise forms.ValidationError(
                _("« %(value)s » n'est pas un numéro d'option (écrivez par exemple 2, ou 1, 3)."),
                params={"value": piece},
                code="bad_number",
            )
        numbers.append(int(piece) - 1)
    return sorted(set(numbers))


class QuestionForm(FieldsetsMixin, forms.Form):
    """The fields of one kind of question only (the kind is chosen first, and stays)."""

    text = forms.CharField(
        label=_("Question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    help_text = forms.CharField(
        label=_("Aide (facultative)"),
        max_length=500,
        required=False,
        help_text=_("Une précision affichée sous la question."),
    )
    required = forms.BooleanField(label=_("Réponse obligatoire"), required=False, initial=True)
    scale_low_label = forms.CharField(
        label=_("Ce que signifie 1"),
        max_length=100,
        help_text=_("Ex. : Pas du tout satisfait·e."),
    )
    scale_high_label = forms.CharField(
        label=_("Ce que signifie 5"),
        max_length=100,
        help_text=_("Ex. : Très satisfait·e."),
    )
    choices = forms.CharField(
        label=_("Options, une par ligne"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Au moins deux. Les personnes les voient dans cet ordre."),
        error_messages={
            "required": _("Une question à choix propose au moins deux options (une par ligne).")
        },
    )
    correct = forms.CharField(
        label=_("Numéro des bonnes réponses"),
        max_length=100,
        help_text=_(
            "Selon l'ordre des options ci-dessus : 2 pour la deuxième, ou 1, 3 si plusieurs "
            "options sont justes (il faut alors les cocher toutes)."
        ),
        error_messages={
            "required": _("Une question de quiz a au moins une bonne réponse parmi ses options.")
        },
    )
    points = forms.IntegerField(label=_("Points pour une bonne réponse"), min_value=1, initial=1)
    section = forms.TypedChoiceField(label=_("Partie"), coerce=int)

    def __init__(self, *args, kind: str, question=None, sections=(), answered=False, **kwargs):
        """``answered``: the questionnaire already has answers (the edit page warns that a
        reworded question is counted apart in the results)."""
        self.kind = kind
        if question is not None:
            kwargs.setdefault(
                "initial",
                {
                    "text": question.text,
                    "help_text": question.help_text,
                    "required": question.required,
                    "scale_low_label": question.scale_low_label,
                    "scale_high_label": question.scale_high_label,
                    "choices": "\n".join(question.choices or []),
                    "correct": ", ".join(str(i + 1) for i in question.correct_choices or []),
                    "points": question.points,
                    "section": question.section_id,
                },
            )
        super().__init__(*args, **kwargs)
        if answered:
            self.fields["text"].help_text = _(
                "Ce questionnaire a déjà des réponses. Les résultats ne s'additionnent que pour "
                "un libellé identique : reformulée, la question commence une nouvelle ligne "
                "dans les résultats. Corriger une faute de frappe a le même effet."
            )
        if kind != Kind.SCALE:
            del self.fields["scale_low_label"], self.fields["scale_high_label"]
        if kind not in Question.CHOICE_KINDS:
            del self.fields["choices"]
        if kind != Kind.QUIZ:
            del self.fields["correct"], self.fields["points"]
        if question is None or len(sections) < 2:
            del self.fields["section"]
        else:
            self.fields["section"].choices = [(s.pk, s.title) for s in sections]

    @property
    def fieldsets(self):
        return [
            (_("Question"), ("text", "help_text", "required", "section")),
            (_("Échelle de 1 à 5"), ("scale_low_label", "scale_high_label")),
            (_("Options"), ("choices",)),
            (_("Correction du quiz"), ("correct", "points")),
        ]

    def grouped_fields(self):
        return [(legend, fields) for legend, fields in super().grouped_fields() if fields]

    def clean_choices(self):
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]

    def clean_correct(self):
        return parse_numbers(self.cleaned_data["correct"])

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": self.kind,
            "text": data["text"],
            "help_text": data.get("help_text", ""),
            "required": data.get("required", False),
            "scale_low_label": data.get("scale_low_label", ""),
            "scale_high_label": data.get("scale_high_label", ""),
            "choices": data.get("choices", []),
            "correct_choices": data.get("correct", []),
            "points": data.get("points") or 1,
        }

    def field_for(self, code: str) -> str | None:
        """Which field a service refusal is about."""
        return {
            "scale_labels": "scale_high_label" if "scale_high_label" in self.fields else None,
            "too_few_choices": "choices",
            "duplicate_choices": "choices",
            "no_correct_choice": "correct",
            "bad_correct_choice": "correct",
            "points": "points",
        }.get(code)
