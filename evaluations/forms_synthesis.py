"""Forms of the synthesis pages: the reason a comment is hidden, the conclusion."""

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluations.models import Questionnaire
from evaluations.selectors_synthesis import SynthesisScope, synthesis_questionnaires
from evaluations.services_synthesis import REASON_MAX
from formations.forms import DateInput
from sessions.models import TrainingSession


class CommentHideForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi masquer ce commentaire ?"),
        max_length=REASON_MAX,
        help_text=gettext_lazy(
            "Ex. : il nomme une collègue ; il permet de reconnaître son auteur. Le motif est "
            "gardé dans l'historique ; le commentaire reste visible de la coordination."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
    )


class CommentShowForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi le rétablir ? (facultatif)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}),
    )


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(
        label=gettext_lazy("Conclusion de la coordination"),
        required=False,
        max_length=10_000,
        help_text=gettext_lazy(
            "Imprimée à la fin de la synthèse, telle quelle. N'y nommez personne."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class SynthesisScopeForm(forms.Form):
    """What a synthesis or an export covers: a questionnaire the formation has campaigns
    of, optionally one of its sessions, optionally a period (campaigns opened within)."""

    questionnaire = forms.ModelChoiceField(
        label=gettext_lazy("Questionnaire"), queryset=Questionnaire.objects.none()
    )
    session = forms.ModelChoiceField(
        label=gettext_lazy("Session"),
        queryset=TrainingSession.objects.none(),
        required=False,
        empty_label=gettext_lazy("Toutes les sessions"),
    )
    du = forms.DateField(
        label=gettext_lazy("Campagnes ouvertes du"), required=False, widget=DateInput()
    )
    au = forms.DateField(label=gettext_lazy("au"), required=False, widget=DateInput())

    def __init__(self, *args, formation, **kwargs):
        super().__init__(*args, **kwargs)
        self.formation = formation
        self.fields["questionnaire"].queryset = synthesis_questionnaires(formation=formation)
        self.fields["session"].queryset = formation.sessions.order_by("code", "pk")

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError(
                _("La période est inversée : la date de début suit la date de fin.")
            )
        return data

    def scope(self) -> SynthesisScope:
        data = self.cleaned_data
        return SynthesisScope(
            formation=self.formation,
            questionnaire=data["questionnaire"],
            session=data.get("session"),
            date_from=data.get("du"),
            date_to=data.get("au"),
        )

    def query(self) -> str:
        """The scope as a query string (links to the exports and the synthesis page)."""
        scope = self.scope()
        params = {"questionnaire": scope.questionnaire.pk}
        if scope.session is not None:
            params["session"] = scope.session.pk
        if scope.date_from:
            params["du"] = scope.date_from.isoformat()
        if scope.date_to:
            params["au"] = scope.date_to.isoformat()
        return urlencode(params)
