"""The administrative step form: what the referent types, and the member's request for a
reminder on each channel, with the words of that request shown beside the box."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alertes.models import AdministrativeStep
from alertes.selectors_steps import followers
from formations.consent import WORDINGS
from formations.forms import DateInput, FieldsetsMixin
from formations.models import ContactConsent, Purpose, User

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
REQUEST_METHODS = [
    (ContactConsent.Method.ORAL, _("de vive voix (noté par l'équipe)")),
    (ContactConsent.Method.PAPER, _("sur un bulletin papier signé")),
    (ContactConsent.Method.WRITTEN, _("par écrit (e-mail, courrier)")),
]


class FollowerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.email
        if obj.role == User.Role.COORDINATOR:
            return _("%(name)s (coordination)") % {"name": name}
        return name


class StepForm(FieldsetsMixin, forms.Form):
    fieldsets = [
        (
            _("La démarche"),
            ("title", "category", "due_on", "recurrence", "until", "followed_by", "note"),
        ),
        (
            _("Rappel demandé par la personne"),
            ("remind_by_sms", "remind_by_email", "request_method", "remind_days_before"),
        ),
    ]

    title = forms.CharField(
        label=_("Démarche"),
        max_length=200,
        help_text=_("Par exemple : actualisation France Travail, rendez-vous CAF."),
    )
    category = forms.ChoiceField(label=_("Catégorie"), choices=AdministrativeStep.Category.choices)
    due_on = forms.DateField(label=_("Date"), widget=DateInput())
    recurrence = forms.ChoiceField(
        label=_("Répétition"),
        choices=AdministrativeStep.Recurrence.choices,
        help_text=_("Tous les mois : le même jour chaque mois (le 31 : le dernier jour du mois)."),
    )
    until = forms.DateField(
        label=_("Répéter jusqu'au (facultatif)"),
        required=False,
        widget=DateInput(),
        help_text=_("Pour une démarche qui se répète : la dernière date à rappeler."),
    )
    followed_by = FollowerChoiceField(label=_("Suivie par"), queryset=None, empty_label=None)
    note = forms.CharField(
        label=_("Précision (facultatif)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Visible de l'équipe seulement : n'est pas envoyée à la personne."),
    )
    remind_by_sms = forms.BooleanField(
        label=_("La personne demande un rappel par SMS"),
        required=False,
        help_text=WORDINGS[("sms", Purpose.ADMIN_REMINDERS)].text,
    )
    remind_by_email = forms.BooleanField(
        label=_("La personne demande un rappel par e-mail"),
        required=False,
        help_text=WORDINGS[("email", Purpose.ADMIN_REMINDERS)].text,
    )
    request_method = forms.ChoiceField(
        label=_("Demande faite"), choices=REQUEST_METHODS, initial=ContactConsent.Method.ORAL
    )
    remind_days_before = forms.IntegerField(
        label=_("Rappel (nombre de jours avant la date)"), min_value=0, max_value=60, initial=3
    )

    def __init__(self, *args, structure, membership=None, actor=None, follower_id=None, **kwargs):
        """`actor`: who fills the form (a structure's account is not offered the
        coordinators); `follower_id`: the step's current follower, kept in the choices."""
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["followed_by"].queryset = followers(structure, actor=actor, keep_id=follower_id)
        for name in ("remind_by_sms", "remind_by_email"):
            if membership is not None:
                channel = name.removeprefix("remind_by_")
                if channel == "sms" and not membership.participant.phone:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Aucun numéro de mobile enregistré.")
                if channel == "email" and not membership.participant.email:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Aucune adresse e-mail enregistrée.")

    def clean_due_on(self):
        return self._in_range(self.cleaned_data["due_on"])

    def clean_until(self):
        value = self.cleaned_data.get("until")
        return self._in_range(value) if value else value

    def _in_range(self, value):
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(_("Indiquez une date entre 2000 et 2100."))
        return value

    def clean(self):
        data = super().clean()
        due_on, until = data.get("due_on"), data.get("until")
        if data.get("recurrence") == AdministrativeStep.Recurrence.ONCE:
            data["until"] = None
        elif due_on and until and until < due_on:
            self.add_error("until", _("La fin de la répétition précède la première date."))
        return data

    def step_values(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "category": data["category"],
            "due_on": data["due_on"],
            "recurrence": data["recurrence"],
            "until": data["until"],
            "followed_by": data["followed_by"],
            "note": data["note"],
            "remind_by_sms": bool(data.get("remind_by_sms")),
            "remind_by_email": bool(data.get("remind_by_email")),
            "remind_days_before": data["remind_days_before"],
        }
