"""Forms of the team and road map pages: they shape the input; the services decide
(`projects.services_team`, `projects.services_roadmap`). Each form carries the fiche's
`revision` it was drawn from, so an edit made on an older state is refused."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.forms import FieldsetsMixin
from projects.forms_fiches import RevisionForm
from projects.forms_fields import BoundedDateField, LongTextField
from projects.models import ActionStatus, TeamMember


class MemberForm(FieldsetsMixin, RevisionForm):
    kind = forms.ChoiceField(
        label=_("Qualité"),
        choices=TeamMember.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Seuls les agents de la structure comptent dans le nombre de personnes prévu par "
            "le marché ; élu·es et partenaires s'y ajoutent."
        ),
    )
    participant = forms.ModelChoiceField(
        label=_("Agent parmi les participant·es de la structure"),
        queryset=None,
        required=False,
        empty_label=_("— Saisir le nom ci-dessous —"),
        help_text=_("Pour un agent seulement. Sinon, saisissez le nom ci-dessous."),
    )
    full_name = forms.CharField(
        label=_("Nom et prénom"),
        max_length=250,
        required=False,
        help_text=_("Pour un·e élu·e, un·e partenaire ou un agent absent de la liste."),
    )
    role = forms.CharField(
        label=_("Fonction ou organisme"),
        max_length=250,
        required=False,
        help_text=_("Ex. : directrice du CCAS, adjoint aux affaires sociales, association X."),
    )

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = agents

    def clean(self):
        data = super().clean()
        if data.get("participant") and data.get("kind") != TeamMember.Kind.AGENT:
            self.add_error(
                "participant",
                _("Un·e élu·e ou un·e partenaire se saisit par son nom : videz ce choix."),
            )
        elif not data.get("participant") and not (data.get("full_name") or "").strip():
            self.add_error("full_name", _("Choisissez un agent dans la liste ou saisissez un nom."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "participant": data["participant"],
            "full_name": data["full_name"],
            "role": data["role"],
        }


class AxisForm(FieldsetsMixin, RevisionForm):
    title = forms.CharField(label=_("Axe de travail"), max_length=255)
    description = LongTextField(label=_("Description"), required=False, rows=3)

    def service_fields(self) -> dict:
        return {
            "title": self.cleaned_data["title"],
            "description": self.cleaned_data["description"],
        }


class ActionForm(FieldsetsMixin, RevisionForm):
    title = forms.CharField(label=_("Action"), max_length=255)
    owner = forms.CharField(
        label=_("Porteur·se"),
        max_length=200,
        required=False,
        help_text=_("La personne ou le service qui la mène."),
    )
    due_on = BoundedDateField(label=_("Échéance"), required=False)
    status = forms.ChoiceField(label=_("État"), choices=ActionStatus.choices)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "owner": data["owner"],
            "due_on": data["due_on"],
            "status": data["status"],
        }


class StatusForm(RevisionForm):
    status = forms.ChoiceField(label=_("État"), choices=ActionStatus.choices)
