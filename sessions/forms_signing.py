"""Forms of the signing UI: the signature pad's hidden fields, the trainer's marks, the
seal confirmation and rectifications. They only parse input; every rule is checked by
`sessions.services.attendance`, whose errors the views add back to these forms."""

import datetime as dt
import json
import re

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from sessions.models import Attendance
from sessions.presence import local_moment

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

MARK_STATUSES = [
    (Attendance.Status.PRESENT, Attendance.Status.PRESENT.label),
    (Attendance.Status.LATE, Attendance.Status.LATE.label),
    (Attendance.Status.LEFT_EARLY, Attendance.Status.LEFT_EARLY.label),
    (Attendance.Status.LATE_AND_LEFT_EARLY, Attendance.Status.LATE_AND_LEFT_EARLY.label),
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


class TimeInput(forms.TimeInput):
    input_type = "time"


class MarkForm(forms.Form):
    """The trainer's record of one participant for the half-day: a status, and what they
    saw for a partial presence — the arrival time of a late person, the departure time of
    one who left early, or the minutes missed. Times are the session's local time; the
    inputs' bounds are the rule's (strictly inside the half-day)."""

    status = forms.ChoiceField(
        label=_("Statut"),
        # No default: an unmarked row must not be one tap away from "present".
        choices=[("", _("— Choisir —")), *MARK_STATUSES],
        error_messages={"required": _("Choisissez un statut.")},
    )
    arrival = forms.TimeField(
        label=_("Heure d'arrivée"),
        required=False,
        widget=TimeInput(format="%H:%M"),
    )
    departure = forms.TimeField(
        label=_("Heure de départ"),
        required=False,
        widget=TimeInput(format="%H:%M"),
    )
    minutes_missed = forms.IntegerField(
        label=_("ou minutes manquées"),
        required=False,
        min_value=1,
        help_text=_("À la place d'une heure, pour un retard ou un départ anticipé."),
    )

    def __init__(self, *args, slot, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot = slot
        planned = slot.planned_minutes
        first = timezone.localtime(slot.starts_at + dt.timedelta(minutes=1), slot.session.tzinfo)
        last = timezone.localtime(slot.ends_at - dt.timedelta(minutes=1), slot.session.tzinfo)
        for name in ("arrival", "departure"):
            self.fields[name].widget.attrs.update(
                {"min": f"{first:%H:%M}", "max": f"{last:%H:%M}", "step": 60}
            )
        minutes = self.fields["minutes_missed"]
        minutes.max_value = max(planned - 1, 1)
        minutes.validators.append(MaxValueValidator(max(planned - 1, 1)))
        minutes.widget.attrs.update({"min": 1, "max": max(planned - 1, 1), "inputmode": "numeric"})

    @classmethod
    def initial_for(cls, attendance: Attendance | None, slot) -> dict:
        if attendance is None:
            return {}
        tz = slot.session.tzinfo
        return {
            "status": attendance.status,
            "arrival": timezone.localtime(attendance.arrived_at, tz).time()
            if attendance.arrived_at
            else None,
            "departure": timezone.localtime(attendance.left_at, tz).time()
            if attendance.left_at
            else None,
        }

    def presence_kwargs(self) -> dict:
        """What the service takes: aware arrival / departure, or the minutes missed. Nothing
        is dropped: a time given with « Présent·e » is refused by the service, not lost."""
        data = self.cleaned_data
        return {
            "status": data["status"],
            "arrived_at": local_moment(self.slot, data["arrival"]) if data.get("arrival") else None,
            "left_at": local_moment(self.slot, data["departure"])
            if data.get("departure")
            else None,
            "minutes_missed": data.get("minutes_missed"),
        }

    # Service error codes → the field that shows them.
    ERROR_FIELDS = {
        "invalid_minutes": "minutes_missed",
        "invalid_time": None,
        "time_required": None,
    }

    def add_service_error(self, exc) -> None:
        self.add_error(self.ERROR_FIELDS.get(exc.code), exc.message)


class RectifyForm(MarkForm):
    reason = forms.CharField(
        label=_("Motif de la rectification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        error_messages={
            "required": _("Le motif est obligatoire pour rectifier une demi-journée scellée.")
        },
    )

    ERROR_FIELDS = {**MarkForm.ERROR_FIELDS, "reason_required": "reason"}

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
