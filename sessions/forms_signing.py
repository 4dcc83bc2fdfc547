"""Forms of the signing UI: the signature pad's hidden fields, the trainer's marks, the
seal confirmation and rectifications. They only parse input; every rule is checked by
`sessions.services.attendance`, whose errors the views add back to these forms."""

import json
import re

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from sessions.models import Attendance

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

MARK_STATUSES = [
    (Attendance.Status.PRESENT, Attendance.Status.PRESENT.label),
    (Attendance.Status.LATE, Attendance.Status.LATE.label),
    (Attendance.Status.LEFT_EARLY, Attendance.Status.LEFT_EARLY.label),
    (Attendance.Status.ABSENT_EXCUSED, Attendance.Status.ABSENT_EXCUSED.label),
    (Attendance.Status.ABSENT, Attendance.Status.ABSENT.label),
]


class SignatureForm(forms.Form):
    """What `static/js/signature-pad.js` posts: the vector trace as JSON, a client nonce
    (so a double submit signs once) and the device's clock (kept beside the server's)."""

    signature = forms.CharField(
        widget=forms.HiddenInput,
        required=True,
        error_messages={"required": _("Signez dans le cadre avant de valider.")},
    )
    nonce = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    device_time = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_signature(self):
        raw = self.cleaned_data["signature"]
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            # RecursionError: "[[[[…" nested deeper than the parser's stack (public pages).
            raise forms.ValidationError(
                _("La signature n'a pas pu être lue : effacez et signez à nouveau.")
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(
                _("La signature n'a pas pu être lue : effacez et signez à nouveau.")
            )
        return data

    def clean_nonce(self):
        nonce = self.cleaned_data["nonce"].strip()
        # A malformed nonce is dropped rather than refused: the signature stays valid,
        # only the double-submit protection is lost.
        return nonce if NONCE_RE.match(nonce) else None

    def clean_device_time(self):
        raw = self.cleaned_data["device_time"].strip()
        if not raw:
            return None
        try:
            value = parse_datetime(raw)
        except ValueError:
            return None
        if value is None or value.tzinfo is None:
            return None
        return value


class EnrolmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.participant.full_name


class QrSignatureForm(SignatureForm):
    """Signing on one's own phone after scanning the room's QR code: the participant picks
    their name (names only, never e-mails) and the scan ticket proves the scan was recent."""

    enrolment = EnrolmentChoiceField(
        queryset=None,
        label=_("Votre nom"),
        widget=forms.Select(attrs={"class": "signer-select", "aria-describedby": "enrolment-help"}),
        empty_label=_("— Choisissez votre nom —"),
        error_messages={
            "required": _("Choisissez votre nom dans la liste."),
            "invalid_choice": _("Ce nom ne figure pas parmi les inscrit·es de cette session."),
        },
    )
    ticket = forms.CharField(widget=forms.HiddenInput, max_length=500)

    field_order = ["enrolment", "signature", "nonce", "device_time", "ticket"]

    def __init__(self, *args, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrolment"].queryset = enrolments


class MarkForm(forms.Form):
    """The trainer's record of one participant for the half-day."""

    status = forms.ChoiceField(
        label=_("Statut"),
        # No default: an unmarked row must not be one tap away from "present".
        choices=[("", _("— Choisir —")), *MARK_STATUSES],
        error_messages={"required": _("Choisissez un statut.")},
    )
    minutes_attended = forms.IntegerField(
        label=_("Minutes de présence"),
        required=False,
        min_value=0,
        help_text=_("Pour un retard ou un départ anticipé."),
    )

    def __init__(self, *args, planned_minutes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.planned_minutes = planned_minutes
        minutes = self.fields["minutes_attended"]
        minutes.max_value = planned_minutes
        minutes.validators.append(MaxValueValidator(planned_minutes))
        minutes.widget.attrs.update({"min": 0, "max": planned_minutes, "inputmode": "numeric"})

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        minutes = cleaned.get("minutes_attended")
        if status in Attendance.PARTIAL_STATUSES and minutes is None:
            self.add_error(
                "minutes_attended",
                _(
                    "Indiquez les minutes de présence (sur %(planned)s) pour un retard "
                    "ou un départ anticipé."
                )
                % {"planned": self.planned_minutes},
            )
        if status not in Attendance.PARTIAL_STATUSES:
            cleaned["minutes_attended"] = None
        return cleaned


class RectifyForm(MarkForm):
    reason = forms.CharField(
        label=_("Motif de la rectification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        error_messages={
            "required": _("Le motif est obligatoire pour rectifier une demi-journée scellée.")
        },
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(
                _("Le motif est obligatoire pour rectifier une demi-journée scellée.")
            )
        return reason


class CloseSlotForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Je confirme la clôture : les personnes sans émargement seront notées absentes, "
            "la demi-journée sera scellée et plus rien ne pourra y être modifié directement ; "
            "toute correction ultérieure passera par une rectification motivée et tracée."
        ),
        required=True,
        error_messages={"required": _("Cochez la case de confirmation pour clôturer et sceller.")},
    )


class TabletUnlockForm(forms.Form):
    """Leaving tablet mode: the signed-in trainer's own password (checked by
    `sessions.services.tablet.tablet_unlock`)."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Saisissez votre mot de passe.")},
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
