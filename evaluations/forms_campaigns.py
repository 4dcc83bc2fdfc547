"""The campaign forms: create (on a session or a formation) and edit (dates, reminders).
Dates are typed in the session's time zone (the view activates it)."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign, Questionnaire, QuestionnaireVersion
from evaluations.services_campaigns import max_reminders_default, reminder_days_default
from formations.forms import FieldsetsMixin
from formations.models import Structure
from formations.text import french_sort_key
from sessions.models import TrainingSession


def _datetime_field(label, help_text):
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )


class CampaignDatesForm(FieldsetsMixin, forms.Form):
    opens_at = _datetime_field(
        _("Envoi des invitations le"),
        _(
            "Laissez vide pour la date par défaut : à chaud, à la fin de la dernière "
            "demi-journée ; à froid, trois mois après, à 9 h (heure de la session). "
            "Obligatoire pour les autres questionnaires."
        ),
    )
    closes_at = _datetime_field(
        _("Clôture des réponses le"), _("Facultatif : après cette date, le lien est refusé.")
    )
    reminder_delay_days = forms.IntegerField(
        label=_("Relancer après (jours)"),
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Délai depuis l'invitation, puis entre deux relances."),
    )
    max_reminders = forms.IntegerField(
        label=_("Nombre de relances au plus"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("0 : aucune relance. Qui a répondu ne reçoit plus de relance."),
    )

    fieldsets = [
        (_("Dates"), ("opens_at", "closes_at")),
        (_("Relances"), ("reminder_delay_days", "max_reminders")),
    ]

    def __init__(self, *args, campaign: Campaign | None = None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if campaign is not None:
            initial.setdefault(
                "opens_at", None if campaign.opens_at_follows_session else campaign.opens_at
            )
            initial.setdefault("closes_at", campaign.closes_at)
            initial.setdefault("reminder_delay_days", campaign.reminder_delay_days)
            initial.setdefault("max_reminders", campaign.max_reminders)
        else:
            initial.setdefault("reminder_delay_days", reminder_days_default())
            initial.setdefault("max_reminders", max_reminders_default())
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "reminder_delay_days": data["reminder_delay_days"],
            "max_reminders": data["max_reminders"],
        }


class CampaignCreateForm(CampaignDatesForm):
    questionnaire = forms.ModelChoiceField(
        label=_("Questionnaire"), queryset=Questionnaire.objects.none()
    )
    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=TrainingSession.objects.none(),
        required=False,
        empty_label=_("Toute la formation"),
        help_text=_(
            "Toute la formation : chaque participant·e une fois, pour sa dernière session."
        ),
    )
    audience = forms.ChoiceField(label=_("Public interrogé"), choices=Campaign.Audience.choices)
    structure = forms.ModelChoiceField(
        label=_("Structure"),
        queryset=Structure.objects.none(),
        required=False,
        help_text=_("Pour « Équipe d'une structure » : ses participant·es inscrit·es."),
    )
    funder = forms.ModelChoiceField(
        label=_("Financeur"),
        queryset=Structure.objects.none(),
        required=False,
        help_text=_("Pour « Financeur » : ses comptes d'auditeur·rice actifs."),
    )

    fieldsets = [
        (
            _("Questionnaire et public"),
            ("questionnaire", "session", "audience", "structure", "funder"),
        ),
        *CampaignDatesForm.fieldsets,
    ]

    def __init__(self, *args, formation, session=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_session = session
        questionnaires = self.fields["questionnaire"]
        questionnaires.queryset = Questionnaire.objects.filter(
            archived=False,
            pk__in=QuestionnaireVersion.objects.values("questionnaire_id"),
        )
        # In French order (« Évaluation… » among the E), as on the questionnaires list.
        questionnaires.choices = [("", questionnaires.empty_label)] + [
            (q.pk, questionnaires.label_from_instance(q))
            for q in sorted(questionnaires.queryset, key=lambda q: (french_sort_key(q.title), q.pk))
        ]
        if session is not None:
            del self.fields["session"]
        else:
            self.fields["session"].queryset = formation.sessions.exclude(
                status=TrainingSession.Status.CANCELLED
            ).order_by("code")
        self.fields["structure"].queryset = Structure.objects.filter(
            Exists(
                formation.sessions.model.objects.filter(
                    formation=formation, enrolments__participant__structure=OuterRef("pk")
                )
            )
        )
        self.fields["funder"].queryset = formation.programme.funders.order_by("name")

    def version(self) -> QuestionnaireVersion:
        return self.cleaned_data["questionnaire"].versions.order_by("-number").first()

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            **super().service_fields(),
            "version": self.version(),
            "session": self.fixed_session or data.get("session"),
            "audience": data["audience"],
            "structure": data.get("structure"),
            "funder": data.get("funder"),
        }


class CampaignCancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme : plus rien ne sera envoyé pour cette campagne."), required=True
    )
