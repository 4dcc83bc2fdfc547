"""Forms of the session planning pages: the session itself, its half-days (a formset, in
the session's local time) and the « day template » that pre-fills them."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.models import User
from formations.selectors import formations_visible_to
from sessions.models import TrainingSession
from sessions.services.planning import AFTERNOON, MORNING, SlotSpec

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input(**attrs):
    return forms.TimeInput(attrs={"type": "time", "step": 300, **attrs}, format="%H:%M")


class TrainingSessionForm(forms.ModelForm):
    """The session's own fields. Formations are limited to those the user may see,
    trainers to active users with the trainer role. ``locked`` (a half-day is locked, see
    `sessions.selectors.locks`) disables the formation and the time zone."""

    class Meta:
        model = TrainingSession
        fields = [
            "formation",
            "code",
            "place",
            "address",
            "postal_code",
            "holiday_subdivision",
            "room_capacity",
            "time_zone",
            "modality",
            "remote_url",
            "trainers",
            "status",
            "notes",
        ]
        widgets = {
            "trainers": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "time_zone": _(
                "Les horaires des demi-journées se saisissent dans ce fuseau (Mayotte : "
                "Indian/Mayotte)."
            ),
            "remote_url": _("Obligatoire à distance ou en hybride."),
            "postal_code": _(
                "Donne les jours fériés du lieu (97600 : Mayotte, 57000 : Moselle…), "
                "signalés dans les risques d'audit."
            ),
        }

    LOCKED_FIELDS = ("formation", "time_zone")

    def __init__(self, *args, user, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["formation"].queryset = formations_visible_to(user=user).order_by(
            "contract_reference"
        )
        if locked:
            # Printed on the signed sheet: fixed once a half-day is signed, countersigned
            # or sealed (`session_save` refuses the change anyway: formation_locked,
            # time_zone_locked). A disabled field keeps its initial value whatever is posted.
            for name in self.LOCKED_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Ne peut plus changer : la session a des demi-journées émargées, "
                    "contresignées ou scellées."
                )
        self.fields["trainers"].queryset = User.objects.filter(
            role=User.Role.TRAINER, is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["trainers"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        cleaned = super().clean()
        modality = cleaned.get("modality")
        if modality in (TrainingSession.Modality.REMOTE, TrainingSession.Modality.HYBRID) and not (
            cleaned.get("remote_url")
        ):
            self.add_error("remote_url", _("Indiquez le lien de visioconférence."))
        return cleaned

    def session_data(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name != "trainers" and name in self.cleaned_data
        }


class SlotForm(forms.Form):
    """One half-day row. Rows of a locked slot (attended, countersigned or sealed) are
    disabled: their values come from the initial data and cannot be posted over."""

    slot_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    day = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    start = forms.TimeField(label=_("Début"), widget=_time_input())
    end = forms.TimeField(label=_("Fin"), widget=_time_input())

    def __init__(self, *args, locked_reason: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.locked_reason = locked_reason
        if locked_reason:
            for name in ("day", "start", "end"):
                self.fields[name].disabled = True

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("La fin doit suivre le début."))
        return cleaned


class BaseSlotFormSet(forms.BaseFormSet):
    def __init__(self, *args, locks: dict | None = None, **kwargs):
        self.locks = locks or {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        reason = ""
        if index is not None and index < len(self.initial or []):
            reason = self.locks.get(self.initial[index].get("slot_id"), "")
        kwargs["locked_reason"] = reason
        return kwargs

    def clean(self):
        super().clean()
        # Rows are matched to slots by position: if the slots changed since the page was
        # shown (another coordinator's edit), refuse rather than mix them up.
        for form, initial in zip(self.forms, self.initial or [], strict=False):
            if form.cleaned_data.get("slot_id") != initial.get("slot_id"):
                raise forms.ValidationError(
                    _("Les demi-journées ont changé entre-temps : rechargez la page.")
                )

    def _should_delete_form(self, form):
        # A locked row cannot be deleted from the form (the service would refuse anyway).
        return super()._should_delete_form(form) and not form.locked_reason

    def specs(self) -> list[SlotSpec]:
        """The half-days kept: filled rows not marked for deletion."""
        specs = []
        for form in self.forms:
            if self._should_delete_form(form) or not form.has_changed() and not form.initial:
                continue
            data = form.cleaned_data
            if not data.get("day"):
                continue
            specs.append(SlotSpec(data["day"], data["start"], data["end"], data.get("slot_id")))
        return specs


SlotFormSet = forms.formset_factory(
    SlotForm, formset=BaseSlotFormSet, extra=2, can_delete=True, max_num=200, validate_max=True
)


class DayTemplateForm(forms.Form):
    """« Modèle de journée »: generates the half-day rows of consecutive days."""

    first_day = forms.DateField(label=_("Premier jour"), widget=DATE_INPUT)
    days = forms.IntegerField(
        label=_("Nombre de jours consécutifs"),
        min_value=1,
        max_value=30,
        initial=3,
        help_text=_("Ex. : 3 pour un labo de trois jours."),
    )
    morning = forms.BooleanField(label=_("Matin"), required=False, initial=True)
    morning_start = forms.TimeField(
        label=_("Début du matin"), initial=MORNING[0], widget=_time_input()
    )
    morning_end = forms.TimeField(label=_("Fin du matin"), initial=MORNING[1], widget=_time_input())
    afternoon = forms.BooleanField(label=_("Après-midi"), required=False, initial=True)
    afternoon_start = forms.TimeField(
        label=_("Début de l'après-midi"), initial=AFTERNOON[0], widget=_time_input()
    )
    afternoon_end = forms.TimeField(
        label=_("Fin de l'après-midi"), initial=AFTERNOON[1], widget=_time_input()
    )
    skip_weekends = forms.BooleanField(
        label=_("Sauter les samedis et dimanches"), required=False, initial=False
    )

    prefix = "tpl"

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("morning") and not cleaned.get("afternoon"):
            raise forms.ValidationError(_("Choisissez le matin, l'après-midi ou les deux."))
        for half in ("morning", "afternoon"):
            start, end = cleaned.get(f"{half}_start"), cleaned.get(f"{half}_end")
            if cleaned.get(half) and start and end and end <= start:
                self.add_error(f"{half}_end", _("La fin doit suivre le début."))
        if (
            cleaned.get("morning")
            and cleaned.get("afternoon")
            and cleaned.get("morning_end")
            and cleaned.get("afternoon_start")
            and cleaned["afternoon_start"] < cleaned["morning_end"]
        ):
            self.add_error("afternoon_start", _("L'après-midi commence avant la fin du matin."))
        return cleaned

    def halves(self) -> dict:
        data = self.cleaned_data
        return {
            "morning": (data["morning_start"], data["morning_end"]) if data["morning"] else None,
            "afternoon": (data["afternoon_start"], data["afternoon_end"])
            if data["afternoon"]
            else None,
        }


def slot_initial(specs: list[SlotSpec]) -> list[dict]:
    return [
        {"slot_id": s.slot_id, "day": s.day, "start": s.start, "end": s.end}
        for s in sorted(specs, key=lambda s: (s.day, s.start))
    ]


def default_first_day(today: dt.date) -> dt.date:
    """Next Monday: sessions are usually planned ahead."""
    return today + dt.timedelta(days=(7 - today.weekday()) or 7)
