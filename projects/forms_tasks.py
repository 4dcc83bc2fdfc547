"""Forms of the intersession tasks pages. Choices come from the programme's selectors; the
rules (due date not past, a road-map step for one structure and one of its actions…) are
the services' (`projects.services_tasks`), whose refusals the views put beside the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.forms import FieldsetsMixin
from projects.forms_fields import BoundedDateField, LongTextField
from projects.models import IntersessionTask
from projects.once import once_token_field
from projects.selectors import partner_structures
from projects.selectors_tasks import (
    offered_campaigns,
    programme_roadmap_actions,
)


class CampaignChoice(forms.ModelChoiceField):
    def label_from_instance(self, campaign):
        target = campaign.session.code if campaign.session_id else campaign.formation.title
        return f"{campaign.version.questionnaire} — {target}"


class RoadmapActionChoice(forms.ModelChoiceField):
    def label_from_instance(self, action):
        return _("%(structure)s — axe %(axis)s : %(action)s") % {
            "structure": action.axis.fiche.structure.name,
            "axis": action.axis.position,
            "action": action.title,
        }


class TaskForm(FieldsetsMixin, forms.Form):
    token = once_token_field()
    kind = forms.ChoiceField(
        label=_("Type de travail"),
        choices=IntersessionTask.Kind.choices,
        widget=forms.RadioSelect,
        initial=IntersessionTask.Kind.DOCUMENT,
    )
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    instructions = LongTextField(
        label=_("Consignes"),
        required=False,
        help_text=_("Ce qui est attendu de l'équipe projet, les outils à utiliser…"),
    )
    due_on = BoundedDateField(label=_("À rendre le"))
    structures = forms.ModelMultipleChoiceField(
        label=_("Structures concernées"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Un travail est créé pour chaque structure cochée (toutes par défaut)."),
        error_messages={"required": _("Cochez au moins une structure.")},
    )
    campaign = CampaignChoice(
        label=_("Quiz : évaluation à remplir"),
        queryset=None,
        required=False,
        help_text=_("Pour un quiz seulement : une évaluation des formations du programme."),
    )
    roadmap_action = RoadmapActionChoice(
        label=_("Étape de la feuille de route"),
        queryset=None,
        required=False,
        help_text=_(
            "Pour une étape de la feuille de route seulement : cochez alors une seule "
            "structure, celle de l'étape."
        ),
    )

    fieldsets = [
        ("", ("kind", "title", "instructions", "due_on")),
        (_("Pour qui"), ("structures",)),
        (_("Lien (selon le type)"), ("campaign", "roadmap_action")),
    ]

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        structures = partner_structures(programme=programme)
        self.fields["structures"].queryset = structures
        self.fields["structures"].initial = list(structures.values_list("pk", flat=True))
        self.fields["campaign"].queryset = offered_campaigns(programme=programme)
        self.fields["roadmap_action"].queryset = programme_roadmap_actions(programme=programme)
        if not self.fields["campaign"].queryset.exists():
            del self.fields["campaign"]
        if not self.fields["roadmap_action"].queryset.exists():
            del self.fields["roadmap_action"]

    def grouped_fields(self):
        """Without a campaign nor a road-map action to offer, no empty « Lien » group."""
        return [(legend, fields) for legend, fields in super().grouped_fields() if fields]


class TaskBatchForm(FieldsetsMixin, forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    instructions = LongTextField(label=_("Consignes"), required=False)
    due_on = BoundedDateField(
        label=_("À rendre le"),
        help_text=_(
            "Reportée plus tard, la date réarme le rappel des structures qui n'ont pas fini."
        ),
    )


class DeleteForm(forms.Form):
    confirm_documents = forms.BooleanField(
        label=_("Je confirme la suppression des documents déposés avec le travail."),
        required=False,
    )


class DoneForm(FieldsetsMixin, forms.Form):
    note = LongTextField(label=_("Commentaire (facultatif)"), required=False, rows=3)
    document = forms.FileField(
        label=_("Document (facultatif)"),
        required=False,
        help_text=_(
            "PDF, image JPEG ou PNG, document ODT, DOCX, ODS, XLSX, ODP ou PPTX ; "
            "le contenu du fichier est vérifié, pas seulement son nom."
        ),
    )
