"""The form of sending a synthesis to the funder."""

from django import forms
from django.utils.translation import gettext_lazy


class SendSynthesisForm(forms.Form):
    to_auditors = forms.BooleanField(
        label=gettext_lazy("Aux comptes d'auditeur·rice du financeur"), required=False
    )
    address = forms.EmailField(
        label=gettext_lazy("Et / ou à cette adresse"),
        required=False,
        help_text=gettext_lazy("Ex. : l'adresse du service du Département qui suit le marché."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("to_auditors") and not data.get("address") and not self.errors:
            raise forms.ValidationError(gettext_lazy("Choisissez au moins un destinataire."))
        return data
