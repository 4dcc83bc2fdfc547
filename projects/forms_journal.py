"""The form of a journal de bord entry (the participant's own space)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.forms_fields import LONGER_TEXT, BoundedDateField, LongTextField
from projects.models import JournalEntry


class JournalEntryForm(forms.Form):
    written_on = BoundedDateField(label=_("Date"))
    title = forms.CharField(
        label=_("Titre"),
        max_length=JournalEntry._meta.get_field("title").max_length,
        help_text=_("Quelques mots pour la retrouver : une situation, une idée, une question."),
    )
    body = LongTextField(
        label=_("Texte"),
        max_length=LONGER_TEXT,
        rows=8,
        help_text=_("Ce que vous avez observé, essayé, compris ; ce que vous voulez retravailler."),
    )
