"""The form of a journal de bord entry (the participant's own space)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.forms import DateInput
from projects.models import JournalEntry
from projects.services_journal import BODY_MAX_LENGTH


class JournalEntryForm(forms.Form):
    written_on = forms.DateField(label=_("Date"), widget=DateInput())
    title = forms.CharField(
        label=_("Titre"),
        max_length=JournalEntry._meta.get_field("title").max_length,
        help_text=_("Quelques mots pour la retrouver : une situation, une idée, une question."),
    )
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=BODY_MAX_LENGTH,
        error_messages={
            "max_length": _(
                "Le texte fait %(show_value)s caractères : 10 000 au plus. Coupez-le "
                "en plusieurs entrées."
            )
        },
        help_text=_("Ce que vous avez observé, essayé, compris ; ce que vous voulez retravailler."),
    )

    def clean_written_on(self):
        day = self.cleaned_data["written_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("Cette date est à venir : une entrée se date d'aujourd'hui ou avant.")
            )
        return day
