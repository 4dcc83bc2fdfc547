"""The form of a journal de bord entry (the participant's own space)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.forms_fields import BoundedDateField, LongTextField
from projects.models import JournalEntry
from projects.once import once_token_field
from projects.services_journal import BODY_MAX_LENGTH


class JournalEntryForm(forms.Form):
    token = once_token_field()
    written_on = BoundedDateField(label=_("Date"))
    title = forms.CharField(
        label=_("Titre"),
        max_length=JournalEntry._meta.get_field("title").max_length,
        help_text=_("Quelques mots pour la retrouver : une situation, une idée, une question."),
    )
    body = LongTextField(
        label=_("Texte"),
        max_length=BODY_MAX_LENGTH,
        rows=8,
        help_text=_("Ce que vous avez observé, essayé, compris ; ce que vous voulez retravailler."),
    )

    def clean_written_on(self):
        day = self.cleaned_data["written_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("Cette date est à venir : une entrée se date d'aujourd'hui ou avant.")
            )
        return day
