"""Forms of the participant's own space."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.consent import PAIRS, current_wording
from formations.models import Channel, Purpose
from formations.phones import PhoneError, format_national, normalize_phone, region_for_structure


class SpaceSignInForm(forms.Form):
    address = forms.CharField(
        label=_("Votre adresse e-mail ou votre numéro de mobile"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        help_text=_("L'adresse ou le numéro donné à votre inscription."),
    )


class SpaceContactForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        required=False,
        max_length=254,  # the participant's e-mail column
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("Comme on le compose en France (06 12 34 56 78) ou avec l'indicatif."),
    )

    def __init__(self, *args, participant, **kwargs):
        super().__init__(*args, **kwargs)
        self.participant = participant
        if not self.is_bound:
            self.initial = {
                "email": participant.email,
                "phone": format_national(participant.phone),
            }

    def clean_phone(self):
        try:
            return normalize_phone(
                self.cleaned_data.get("phone") or "",
                region=region_for_structure(self.participant.structure),
            )
        except PhoneError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


def consent_field(channel: str, purpose: str) -> str:
    return f"consent_{channel}_{purpose}"


class SpaceConsentForm(forms.Form):
    """One box per channel and purpose, checked where consent is given now, with the
    text the person agrees to."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = {(row.channel, row.purpose): row for row in rows}
        for channel, purpose in PAIRS:
            row = self.rows.get((channel, purpose))
            self.fields[consent_field(channel, purpose)] = forms.BooleanField(
                label=current_wording(channel, purpose).text,
                required=False,
                initial=bool(row and row.given),
            )

    def grouped(self):
        """[(purpose label, [bound fields])] in the order of the consent purposes."""
        groups = []
        for purpose in dict.fromkeys(p for _c, p in PAIRS):
            fields = [
                self[consent_field(channel, purpose)]
                for channel in Channel.values
                if (channel, purpose) in PAIRS
            ]
            groups.append((Purpose(purpose).label, fields))
        return groups

    def changes(self) -> list[tuple[str, str, bool]]:
        """(channel, purpose, given) for each box that changed."""
        changed = []
        for channel, purpose in PAIRS:
            row = self.rows.get((channel, purpose))
            was = bool(row and row.given)
            now = self.cleaned_data[consent_field(channel, purpose)]
            if now != was:
                changed.append((channel, purpose, now))
        return changed
