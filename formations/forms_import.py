from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from formations.tabular import ACCEPTED_EXTENSIONS, max_upload_bytes, too_large_message


class ParticipantImportForm(forms.Form):
    fichier = forms.FileField(
        label=_("Fichier des participant·es (CSV ou XLSX)"),
        help_text=_(
            "CSV en UTF-8 ou Windows-1252, séparé par des virgules ou des points-virgules, "
            "ou classeur XLSX (première feuille). La première ligne porte le nom des colonnes."
        ),
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
    )

    def clean_fichier(self):
        upload = self.cleaned_data["fichier"]
        if upload.size > max_upload_bytes():
            raise ValidationError(too_large_message(upload.size), code="too_large")
        name = (upload.name or "").lower()
        if "." in name and name[name.rfind(".") :] not in ACCEPTED_EXTENSIONS:
            raise ValidationError(
                _("Format non pris en charge : fournissez un fichier .csv ou .xlsx."),
                code="bad_format",
            )
        return upload
