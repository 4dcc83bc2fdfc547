"""Forms of the enrolment page. Every choice list comes from a scoped selector, so a
user can neither see nor post a participant or a structure outside their scope."""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from formations.models import Participant
from formations.selectors import participants_visible_to, structures_visible_to


class EnrolParticipantsForm(forms.Form):
    participants = forms.ModelMultipleChoiceField(
        label=_("Participant·es à inscrire"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins une personne.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The page renders only a filtered page of candidates (?q=); validation accepts
        # any participant the user may see, and nobody else.
        self.fields["participants"].queryset = participants_visible_to(user=user).filter(
            kind=Participant.Kind.PROFESSIONAL
        )


class EnrolStructureForm(forms.Form):
    structure = forms.ModelChoiceField(
        label=_("Structure"),
        queryset=None,
        empty_label=_("— choisir une structure —"),
        help_text=_("Inscrit toutes les personnes de la structure qui ne le sont pas encore."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures_visible_to(user=user).order_by(
            "sort_key", "pk"
        )


class EnrolmentImportForm(forms.Form):
    ALLOWED_SUFFIXES = (".csv", ".xlsx", ".txt")

    file = forms.FileField(
        label=_("Fichier CSV ou XLSX"),
        help_text=_(
            "Une colonne « email », ou les colonnes « nom » et « prenom » (et « structure »). "
            "Les personnes doivent déjà exister ; si une ligne ne correspond à personne, "
            "rien n'est inscrit."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in self.ALLOWED_SUFFIXES:
            raise forms.ValidationError(
                _("Format non pris en charge : envoyez un fichier CSV ou XLSX.")
            )
        if upload.size > settings.SUIVI_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("Fichier trop volumineux (%(size)s octets, %(max)s au plus)."),
                params={"size": upload.size, "max": settings.SUIVI_MAX_UPLOAD_BYTES},
            )
        return upload


class ConvocationForm(forms.Form):
    UNSENT = "unsent"
    ALL = "all"

    scope = forms.ChoiceField(
        label=_("Destinataires"),
        choices=[
            (UNSENT, _("Seulement les personnes pas encore convoquées")),
            (ALL, _("Tout le monde (renvoyer aussi aux personnes déjà convoquées)")),
        ],
        initial=UNSENT,
        widget=forms.RadioSelect,
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme"),
        error_messages={"required": _("Cochez la case pour confirmer.")},
    )
