"""Forms of the fiche projet pages. Each fiche form carries the `revision` of the fiche it
was drawn from, so a save made on an older state is refused by `services.fiche_edit`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.forms import FieldsetsMixin
from projects.forms_fields import LongTextField
from projects.models import Project, ProjectFiche, ProjectStage, Theme
from projects.selectors import programme_themes

# Bounds of the numbers typed in (or sent) so that absurd input is a form error, never a
# number the database cannot store.
MAX_STAFF_SIZE = 100_000
MAX_REVISION = 1_000_000_000


def _field(model, name):
    return model._meta.get_field(name)


class ThemeForm(forms.Form):
    label = forms.CharField(label=_("Intitulé de la thématique"), max_length=150)


class RevisionForm(forms.Form):
    """The fiche's `revision` the form was drawn from (every form that edits a fiche: its
    parts here, its team and road map in `forms_team`)."""

    revision = forms.IntegerField(min_value=0, max_value=MAX_REVISION, widget=forms.HiddenInput)


class FicheForm(FieldsetsMixin, RevisionForm):
    def __init__(self, *args, fiche: ProjectFiche | None, **kwargs):
        self.fiche = fiche
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("revision", fiche.revision if fiche else 0)
        super().__init__(*args, **kwargs)


def _text(model, name, *, rows=4, required=False, **kwargs):
    model_field = _field(model, name)
    return LongTextField(
        label=str(model_field.verbose_name).capitalize(),
        required=required,
        rows=rows,
        help_text=model_field.help_text,
        **kwargs,
    )


class DataSheetForm(FicheForm):
    territory = forms.CharField(label=_("Territoire"), max_length=200, required=False)
    staff_size = forms.IntegerField(
        label=_("Taille de l'équipe de la structure"),
        required=False,
        min_value=0,
        max_value=MAX_STAFF_SIZE,
        help_text=_("Nombre d'agents de la structure."),
    )
    public_served = _text(ProjectFiche, "public_served")
    partners = _text(ProjectFiche, "partners")

    def __init__(self, *args, fiche, structure, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if fiche is not None:
            for name in ("territory", "staff_size", "public_served", "partners"):
                initial.setdefault(name, getattr(fiche, name))
        else:
            initial.setdefault("territory", structure.territory)
        super().__init__(*args, fiche=fiche, **kwargs)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "territory": data["territory"],
            "staff_size": data["staff_size"],
            "public_served": data["public_served"],
            "partners": data["partners"],
        }


class ThemesForm(FicheForm):
    priority_theme = forms.ModelChoiceField(
        label=_("Thématique prioritaire"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("— pas encore choisie —"),
        help_text=_("La thématique sur laquelle porte le projet expérimenté."),
    )
    secondary_theme = forms.ModelChoiceField(
        label=_("Thématique secondaire"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("— pas encore choisie —"),
        help_text=_("La thématique sur laquelle porte le projet proposé."),
    )

    def __init__(self, *args, fiche, programme, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if fiche is not None:
            initial.setdefault("priority_theme", fiche.priority_theme_id)
            initial.setdefault("secondary_theme", fiche.secondary_theme_id)
        super().__init__(*args, fiche=fiche, **kwargs)
        for name in ("priority_theme", "secondary_theme"):
            self.fields[name].queryset = programme_themes(programme=programme)

    def clean(self):
        data = super().clean()
        priority, secondary = data.get("priority_theme"), data.get("secondary_theme")
        if priority is not None and priority == secondary:
            self.add_error(
                "secondary_theme",
                _("La thématique secondaire doit différer de la thématique prioritaire."),
            )
        return data

    def service_fields(self) -> dict:
        return {
            "priority_theme": self.cleaned_data["priority_theme"],
            "secondary_theme": self.cleaned_data["secondary_theme"],
        }


PROJECT_TEXTS = ("problem", "public", "partners", "means")


class ProjectForm(FicheForm):
    title = forms.CharField(label=_("Intitulé"), max_length=255, required=False)
    problem = _text(Project, "problem")
    public = _text(Project, "public", rows=3)
    partners = _text(Project, "partners", rows=3)
    means = _text(Project, "means", rows=3)
    stage = forms.ChoiceField(label=_("Stade"), choices=ProjectStage.choices)

    def __init__(self, *args, fiche, project: Project | None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if project is not None:
            for name in ("title", *PROJECT_TEXTS, "stage"):
                initial.setdefault(name, getattr(project, name))
        super().__init__(*args, fiche=fiche, **kwargs)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("title", *PROJECT_TEXTS, "stage")}


class LessonsForm(FicheForm):
    lessons_learned = LongTextField(
        label=_("Enseignements"),
        required=False,
        rows=10,
        help_text=_(
            "Ce que l'équipe retient de l'expérimentation : ce qui a marché, ce qui a freiné, "
            "ce qu'elle conseillerait à une autre structure."
        ),
    )

    def __init__(self, *args, fiche, **kwargs):
        if fiche is not None:
            kwargs.setdefault("initial", {}).setdefault("lessons_learned", fiche.lessons_learned)
        super().__init__(*args, fiche=fiche, **kwargs)

    def service_fields(self) -> dict:
        return {"lessons_learned": self.cleaned_data["lessons_learned"]}
