from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import (
    CreateView,
    DetailView,
    FormView,
    TemplateView,
    UpdateView,
)
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from formations import exports, filters, forms, selectors, services, tables
from formations.consent import (
    ConsentError,
    annotate_current_consents,
    consent_history,
    consent_rows,
)
from formations.exporting import ExportMixin
from formations.french import de_structure, hours_label
from formations.history import PER_PAGE as HISTORY_PER_PAGE
from formations.history import history_entries, history_lines, history_summary
from formations.models import ProviderIdentity, User
from formations.panels import (
    DASHBOARD_PANELS,
    FORMATION_PANELS,
    PARTICIPANT_PANELS,
    PROGRAMME_PANELS,
    STRUCTURE_PANELS,
    collect_panels,
)
from formations.permissions import (
    ManagerRequiredMixin,
    RoleRequiredMixin,
    can_manage,
    can_see_contact_details,
    is_funder_auditor,
)
from formations.views_workspace import AuditorWorkspaceView

PER_PAGE = 25


class DashboardView(TemplateView):
    template_name = "formations/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        # A funder auditor's home page is their workspace (formations.views_workspace).
        if is_funder_auditor(request.user):
            return AuditorWorkspaceView.as_view()(request, *args, **kwargs)
        # A structure's team has nothing on the training side: their home is Alertes.
        user = request.user
        if user.is_authenticated and user.role == User.Role.STRUCTURE_STAFF and user.structure_id:
            return redirect("alertes:structure_home", structure=user.structure_id)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            programme_count=selectors.programmes_visible_to(user=user).count(),
            formation_count=selectors.formations_visible_to(user=user).count(),
            structure_count=selectors.structures_visible_to(user=user).count(),
            participant_count=selectors.participants_visible_to(user=user).count(),
            panels=collect_panels(DASHBOARD_PANELS, self.request, None),
            **kwargs,
        )


# --- Lists -----------------------------------------------------------------------------


class ListPageView(RoleRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Filtered, sorted, paginated list with CSV / XLSX export of the filtered rows.

    `get_queryset()` starts from a scoped selector; the export (`exporter_class`, streamed)
    writes the page's own table, so a file never holds a row the page would not show.
    """

    allowed_roles = None
    template_name = "formations/list.html"
    page_title = ""
    create_url_name = ""

    def get_table_pagination(self, table):
        if self.is_export():
            return False
        return {"per_page": PER_PAGE}

    def get_table_kwargs(self):
        if can_manage(self.request.user):
            return {}
        return {"exclude": ("actions",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title
        if self.create_url_name and can_manage(self.request.user):
            context["create_url"] = reverse(self.create_url_name)
        context["export_formats"] = [(fmt, fmt.upper()) for fmt in self.export_formats]
        return context


class ProgrammeListView(ListPageView):
    page_title = gettext_lazy("Programmes")
    exporter_class = exports.ProgrammeExporter
    table_class = tables.ProgrammeTable
    filterset_class = filters.ProgrammeFilter
    create_url_name = "formations:programme_create"

    def get_queryset(self):
        return selectors.programmes_with_funders(user=self.request.user)


class FormationListView(ListPageView):
    page_title = gettext_lazy("Formations")
    exporter_class = exports.FormationExporter
    table_class = tables.FormationTable
    filterset_class = filters.FormationFilter
    create_url_name = "formations:formation_create"

    def get_queryset(self):
        return selectors.formations_visible_to(user=self.request.user).select_related("programme")


class StructureListView(ListPageView):
    page_title = gettext_lazy("Structures")
    exporter_class = exports.StructureExporter
    table_class = tables.StructureTable
    filterset_class = filters.StructureFilter
    create_url_name = "formations:structure_create"

    def get_queryset(self):
        return selectors.structures_with_counts(user=self.request.user)


class ParticipantListView(ListPageView):
    page_title = gettext_lazy("Participant·es")
    exporter_class = exports.ParticipantExporter
    table_class = tables.ParticipantTable
    filterset_class = filters.ParticipantFilter
    create_url_name = "formations:participant_create"

    def get_queryset(self):
        return annotate_current_consents(
            selectors.participants_visible_to(user=self.request.user).select_related("structure")
        )

    def get_table_kwargs(self):
        # The export builds its table from these too: no e-mail or phone in the file either.
        kwargs = super().get_table_kwargs()
        if not can_see_contact_details(self.request.user):
            kwargs["exclude"] = (*kwargs.get("exclude", ()), *tables.CONTACT_COLUMNS)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if can_manage(self.request.user):
            context["import_url"] = reverse("formations:participant_import")
        return context


class FunderListView(ListPageView):
    allowed_roles = ()
    page_title = gettext_lazy("Financeurs")
    exporter_class = exports.FunderExporter
    table_class = tables.FunderTable
    filterset_class = filters.FunderFilter
    create_url_name = "formations:funder_create"

    def get_queryset(self):
        return selectors.funders_with_counts()


# --- Detail pages ----------------------------------------------------------------------


class ScopedQuerysetMixin:
    """Fetches through a scoped selector, `selector(user=…)`: an object the user may not
    see is a 404."""

    selector = None

    def get_queryset(self):
        return type(self).selector(user=self.request.user)


class ScopedDetailView(RoleRequiredMixin, ScopedQuerysetMixin, DetailView):
    allowed_roles = None


class ProgrammeDetailView(ScopedDetailView):
    template_name = "formations/programme_detail.html"
    selector = staticmethod(selectors.programmes_visible_to)

    def get_context_data(self, **kwargs):
        user = self.request.user
        programme = self.object
        return super().get_context_data(
            funders=selectors.programme_funders(programme=programme),
            structures=selectors.programme_structures(programme=programme, user=user),
            formations=selectors.programme_formations(programme=programme, user=user),
            panels=collect_panels(PROGRAMME_PANELS, self.request, programme),
            **kwargs,
        )


class FormationDetailView(ScopedDetailView):
    template_name = "formations/formation_detail.html"
    selector = staticmethod(selectors.formations_visible_to)

    def get_context_data(self, **kwargs):
        formation = self.object
        return super().get_context_data(
            rules=contract_rules(formation),
            panels=collect_panels(FORMATION_PANELS, self.request, formation),
            history=history_summary(
                obj=formation,
                user=self.request.user,
                full_url=reverse("formations:formation_history", args=[formation.pk]),
            ),
            **kwargs,
        )


def _range(low, high, unit: str = "") -> str:
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        if low == high:
            return f"{low}{suffix}"
        return _("de %(low)s à %(high)s") % {"low": low, "high": high} + suffix
    if low is not None:
        return _("au moins %(low)s") % {"low": low} + suffix
    if high is not None:
        return _("au plus %(high)s") % {"high": high} + suffix
    return ""


def _hours(value) -> str:
    return _("%(hours)s au moins") % {"hours": hours_label(value * 60)}


def contract_rules(formation) -> list[tuple[str, str]]:
    """The contract rules of a formation as (label, French text), « non précisé » when unset."""
    unset = _("non précisé")
    f = formation
    return [
        (
            _("Taille de groupe"),
            _range(f.group_size_min, f.group_size_max, _("stagiaires")) or unset,
        ),
        (
            _("Heures de formation par jour"),
            _hours(f.min_hours_per_day) if f.min_hours_per_day is not None else unset,
        ),
        (_("Nombre de sessions"), _range(f.sessions_min, f.sessions_max) or unset),
        (
            _("Stagiaires visés"),
            _range(f.trainees_target_min, f.trainees_target_max, _("stagiaires")) or unset,
        ),
        (
            _("Participant·es par structure et par session"),
            _range(f.attendees_per_structure_min, f.attendees_per_structure_max) or unset,
        ),
        (_("Sessions dans une année"), _sessions_in_year(f) or unset),
        (_("Durée des sessions"), _session_days(f.session_days) or unset),
        (
            _("Rythme"),
            _("au moins une demi-journée chaque mois de la période d'exécution")
            if f.monthly_rhythm
            else unset,
        ),
    ]


def _sessions_in_year(formation) -> str:
    count, year = formation.sessions_min_in_year, formation.sessions_min_year
    if count is None or year is None:
        return ""
    return ngettext(
        "au moins %(n)s session en %(year)s", "au moins %(n)s sessions en %(year)s", count
    ) % {"n": count, "year": year}


def _session_days(days) -> str:
    if days is None:
        return ""
    if days == 1:
        return _("1 journée")
    return _("%(n)s jours consécutifs") % {"n": days}


class StructureDetailView(ScopedDetailView):
    template_name = "formations/structure_detail.html"
    selector = staticmethod(selectors.structures_visible_to)

    def get_context_data(self, **kwargs):
        user = self.request.user
        structure = self.object
        participants = selectors.structure_participants(structure=structure, user=user)
        table = tables.ParticipantTable(
            annotate_current_consents(participants.select_related("structure")),
            exclude=("structure", "structure_kind", "commune")
            + (() if can_manage(user) else ("actions",))
            + (() if can_see_contact_details(user) else tables.CONTACT_COLUMNS),
        )
        table.caption = _("Participant·es %(of_structure)s") % {
            "of_structure": de_structure(structure.name)
        }
        RequestConfig(self.request, paginate={"per_page": PER_PAGE}).configure(table)
        return super().get_context_data(
            table=table,
            programmes=selectors.structure_programmes(structure=structure, user=user),
            panels=collect_panels(STRUCTURE_PANELS, self.request, structure),
            **kwargs,
        )


class ParticipantDetailView(ScopedDetailView):
    template_name = "formations/participant_detail.html"
    selector = staticmethod(selectors.participants_visible_to)

    def get_context_data(self, **kwargs):
        participant = self.object
        show_contact = can_see_contact_details(self.request.user)
        if show_contact:
            kwargs["consents"] = consent_rows(participant)
            # Outside coordinators, the programmes' rows only: a structure's rows would tell
            # which other structures follow a merged member (issue 12, review finding 1).
            kwargs["consent_history"] = list(
                consent_history(participant, programme_only=not can_manage(self.request.user))[:50]
            )
        return super().get_context_data(
            structure_visible=selectors.structure_is_visible(
                structure_id=participant.structure_id, user=self.request.user
            ),
            show_contact=show_contact,
            panels=collect_panels(PARTICIPANT_PANELS, self.request, participant),
            history=history_summary(
                obj=participant,
                user=self.request.user,
                full_url=reverse("formations:participant_history", args=[participant.pk]),
            ),
            **kwargs,
        )


# --- History of an object ------------------------------------------------------------------


class ObjectHistoryView(RoleRequiredMixin, View):
    """Every journal entry that concerns one object (`formations.history`), newest first,
    `PER_PAGE` a page. Coordinators and funder auditors only; the object is fetched through
    the scoped `selector`, so one out of the user's scope is a 404."""

    allowed_roles = (User.Role.FUNDER_AUDITOR,)
    template_name = "formations/history.html"
    selector = None

    def describe(self, obj) -> tuple[str, str]:
        """(name of the object, its page's URL)."""
        return str(obj), obj.get_absolute_url()

    def get(self, request, pk):
        obj = get_object_or_404(type(self).selector(user=request.user), pk=pk)
        page = Paginator(history_entries(obj=obj, user=request.user), HISTORY_PER_PAGE).get_page(
            request.GET.get("page")
        )
        name, url = self.describe(obj)
        return render(
            request,
            self.template_name,
            {
                "object_name": name,
                "object_url": url,
                "page_obj": page,
                "lines": history_lines(page.object_list),
            },
        )


class FormationHistoryView(ObjectHistoryView):
    selector = staticmethod(selectors.formations_visible_to)

    def describe(self, obj):
        return f"{obj.contract_reference} — {obj.title}", obj.get_absolute_url()


class ParticipantHistoryView(ObjectHistoryView):
    selector = staticmethod(selectors.participants_visible_to)

    def describe(self, obj):
        return obj.full_name, obj.get_absolute_url()


class FunderDetailView(ManagerRequiredMixin, DetailView):
    template_name = "formations/funder_detail.html"

    def get_queryset(self):
        return selectors.all_funders()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            programmes=selectors.funder_programmes(funder=self.object, user=self.request.user),
            **kwargs,
        )


# --- Create / edit (coordinators) ------------------------------------------------------


class RecordFormMixin(ManagerRequiredMixin, ScopedQuerysetMixin):
    """Coordinators only (403 for others, GET and POST); the save goes through
    `services.record_save`, which writes the audit entry."""

    template_name = "formations/form.html"
    created_message = ""
    updated_message = ""
    cancel_url_name = ""
    # A GET parameter holding the pk of the parent record to pre-select on a new record
    # ("Nouvelle formation" from a programme's page: ?programme=<pk>).
    parent_param = ""

    def get_initial(self):
        initial = super().get_initial()
        parent = self.request.GET.get(self.parent_param) if self.parent_param else None
        if parent and parent.isdigit():
            initial[self.parent_param] = parent
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_success_url(self):
        return self.object.get_absolute_url()

    def save_record(self, form):
        return services.record_save(form=form, actor=self.request.user)

    def form_valid(self, form):
        creating = form.instance._state.adding
        try:
            self.object = self.save_record(form)
        except (services.RecordConflict, ConsentError) as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        message = self.created_message if creating else self.updated_message
        messages.success(self.request, message % {"name": self.object})
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = getattr(self, "object", None)
        if obj is not None and obj.pk:
            context["page_title"] = _("Modifier « %(name)s »") % {"name": obj}
            context["cancel_url"] = self.get_success_url()
        else:
            context["page_title"] = self.create_title
            context["cancel_url"] = reverse(self.cancel_url_name)
        return context


class ProgrammeFormMixin(RecordFormMixin):
    form_class = forms.ProgrammeForm
    selector = staticmethod(selectors.programmes_visible_to)
    create_title = gettext_lazy("Nouveau programme")
    created_message = gettext_lazy("Le programme « %(name)s » a été créé.")
    updated_message = gettext_lazy("Le programme « %(name)s » a été modifié.")
    cancel_url_name = "formations:programme_list"


class ProgrammeCreateView(ProgrammeFormMixin, CreateView):
    pass


class ProgrammeUpdateView(ProgrammeFormMixin, UpdateView):
    pass


class FormationFormMixin(RecordFormMixin):
    form_class = forms.FormationForm
    selector = staticmethod(selectors.formations_visible_to)
    create_title = gettext_lazy("Nouvelle formation")
    created_message = gettext_lazy("La formation « %(name)s » a été créée.")
    updated_message = gettext_lazy("La formation « %(name)s » a été modifiée.")
    cancel_url_name = "formations:formation_list"
    parent_param = "programme"


class FormationCreateView(FormationFormMixin, CreateView):
    pass


class FormationUpdateView(FormationFormMixin, UpdateView):
    pass


class StructureFormMixin(RecordFormMixin):
    form_class = forms.StructureForm
    selector = staticmethod(selectors.structures_visible_to)
    create_title = gettext_lazy("Nouvelle structure")
    created_message = gettext_lazy("La structure « %(name)s » a été créée.")
    updated_message = gettext_lazy("La structure « %(name)s » a été modifiée.")
    cancel_url_name = "formations:structure_list"


class StructureCreateView(StructureFormMixin, CreateView):
    pass


class StructureUpdateView(StructureFormMixin, UpdateView):
    pass


class ParticipantFormMixin(RecordFormMixin):
    form_class = forms.ParticipantForm
    selector = staticmethod(selectors.participants_visible_to)
    create_title = gettext_lazy("Nouveau ou nouvelle participant·e")
    created_message = gettext_lazy("La fiche de « %(name)s » a été créée.")
    updated_message = gettext_lazy("La fiche de « %(name)s » a été modifiée.")
    cancel_url_name = "formations:participant_list"
    parent_param = "structure"

    def save_record(self, form):
        return services.participant_save(form=form, actor=self.request.user)


class ParticipantCreateView(ParticipantFormMixin, CreateView):
    pass


class ParticipantUpdateView(ParticipantFormMixin, UpdateView):
    pass


class ParticipantConsentView(
    ManagerRequiredMixin, ScopedQuerysetMixin, SingleObjectMixin, FormView
):
    """Record or withdraw a participant's consents, from their page (coordinators)."""

    template_name = "formations/participant_consents.html"
    form_class = forms.ParticipantConsentForm
    selector = staticmethod(selectors.participants_visible_to)
    context_object_name = "participant"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "participant": self.object, "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(consents=consent_rows(self.object), **kwargs)

    def form_valid(self, form):
        try:
            rows = services.participant_consents_record(
                participant=self.object, actor=self.request.user, **form.consent_collection()
            )
        except ConsentError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            ngettext(
                "%(count)d changement enregistré pour « %(name)s ».",
                "%(count)d changements enregistrés pour « %(name)s ».",
                len(rows),
            )
            % {"count": len(rows), "name": self.object},
        )
        return redirect(self.object.get_absolute_url() + "#participant-consents")


def _all_funders(*, user):
    return selectors.all_funders()


class FunderFormMixin(RecordFormMixin):
    form_class = forms.FunderForm
    upload_field = "emblem"  # the logo printed on every document
    selector = staticmethod(_all_funders)
    create_title = gettext_lazy("Nouveau financeur")
    created_message = gettext_lazy("Le financeur « %(name)s » a été créé.")
    updated_message = gettext_lazy("Le financeur « %(name)s » a été modifié.")
    cancel_url_name = "formations:funder_list"

    def get_success_url(self):
        return reverse("formations:funder_detail", args=[self.object.pk])


class ProviderIdentityView(ManagerRequiredMixin, UpdateView):
    """The training organisation's identity, one record edited in place (coordinators;
    403 for others). Saved through `services.provider_identity_save`, which journals it."""

    form_class = forms.ProviderIdentityForm
    template_name = "formations/form.html"
    upload_field = "signature_image"

    def get_object(self, queryset=None):
        return selectors.provider_identity() or ProviderIdentity()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            self.object = services.provider_identity_save(form=form, actor=self.request.user)
        except services.ProviderError as exc:
            form.add_error("signature_image", exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("L'identité de l'organisme de formation est enregistrée."))
        return redirect("formations:provider_identity")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Organisme de formation"),
            cancel_url=reverse("dashboard"),
            **kwargs,
        )


class FunderCreateView(FunderFormMixin, CreateView):
    pass


class FunderUpdateView(FunderFormMixin, UpdateView):
    pass
