"""The form of a journal de bord entry (the participant's own space)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.forms import DateInput
from projects.models import JournalEntry
from projects.once import once_token_field


class JournalEntryForm(forms.Form):
    token = once_token_field()
    written_on = forms.DateField(label=_("Date"), widget=DateInput())
    title = forms.CharField(
        label=_("Titre"),
        max_length=JournalEntry._meta.get_field("title").max_length,
        help_text=_("Quelques mots pour la retrouver : une situation, une idée, une question."),
    )
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Ce que vous avez observé, essayé, compris ; ce que vous voulez retravailler."),
    )
