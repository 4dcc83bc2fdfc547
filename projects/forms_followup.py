"""Forms of the follow-up pages. They only gather input: the services write."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.forms import FieldsetsMixin
from projects.forms_fields import LONGER_TEXT, BoundedDateField, LongTextField
from projects.models import FollowUpEntry
from projects.once import once_token_field


class EntryForm(FieldsetsMixin, forms.Form):
    token = once_token_field()
    occurred_on = BoundedDateField(label=_("Date"))
    kind = forms.ChoiceField(label=_("Type"), choices=FollowUpEntry.Kind.choices)
    channel = forms.ChoiceField(label=_("Canal"), choices=FollowUpEntry.Channel.choices)
    summary = LongTextField(
        label=_("Objet et contenu"),
        help_text=_("Ce qui a été dit, demandé ou convenu."),
    )
    answer = LongTextField(
        label=_("Réponse apportée"),
        required=False,
        rows=3,
        help_text=_("Pour une question seulement ; laissez vide tant qu'elle est en attente."),
    )
    answered_on = BoundedDateField(
        label=_("Répondu le"),
        required=False,
        help_text=_("Aujourd'hui si la réponse est écrite sans date."),
    )
    fieldsets = [
        ("", ("occurred_on", "kind", "channel", "summary")),
        (_("Si c'est une question"), ("answer", "answered_on")),
    ]

    def __init__(self, *args, entry: FollowUpEntry | None = None, **kwargs):
        if entry is not None:
            kwargs.setdefault(
                "initial",
                {
                    "occurred_on": entry.occurred_on,
                    "kind": entry.kind,
                    "channel": entry.channel,
                    "summary": entry.summary,
                    "answer": entry.answer,
                    "answered_on": entry.answered_on,
                },
            )
        else:
            kwargs.setdefault("initial", {"occurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_occurred_on(self):
        value = self.cleaned_data["occurred_on"]
        if value > timezone.localdate() + dt.timedelta(days=1):
            raise forms.ValidationError(
                _("Le suivi note ce qui a eu lieu : la date ne peut pas être à venir."),
                code="future",
            )
        return value

    def clean(self):
        """Only a question carries an answer: one typed for another kind of entry would be
        dropped without a word, so it is refused (the page hides these fields then)."""
        data = super().clean()
        kind = data.get("kind")
        if kind and kind != FollowUpEntry.Kind.QUESTION:
            for name in ("answer", "answered_on"):
                if data.get(name):
                    self.add_error(
                        name,
                        forms.ValidationError(
                            _(
                                "Seule une question reçoit une réponse : choisissez le type "
                                "« Question » ou videz ce champ."
                            ),
                            code="not_a_question",
                        ),
                    )
        return data


class AnswerForm(FieldsetsMixin, forms.Form):
    answer = LongTextField(label=_("Réponse apportée"))
    answered_on = BoundedDateField(label=_("Répondu le"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"answered_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class OverviewFilterForm(forms.Form):
    """The overview's filters (GET)."""

    silent = forms.BooleanField(label=_("Sans contact depuis"), required=False)
    days = forms.IntegerField(
        label=_("Nombre de jours sans contact"), min_value=1, max_value=3650, required=False
    )
    nobody_next = forms.BooleanField(
        label=_("Aucun·e inscrit·e à la prochaine session"), required=False
    )


class ReminderForm(forms.Form):
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = LongTextField(label=_("Message"), max_length=LONGER_TEXT, rows=12)
    # Drawn when the page is shown: a second submit of the same form sends nothing.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    structure = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.MultipleHiddenInput, choices=()
    )

    def __init__(self, *args, structure_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].choices = [(pk, pk) for pk in structure_ids]
