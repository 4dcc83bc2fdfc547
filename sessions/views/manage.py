"""Session planning pages: list, detail, create and edit (with the half-days)."""

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from formations.exporting import ExportMixin
from formations.french import hours_label
from formations.history import history_summary
from formations.panels import SESSION_PANELS, collect_panels
from formations.permissions import (
    ManagerRequiredMixin,
    RoleRequiredMixin,
    can_manage,
    is_funder_auditor,
    is_structure_referent,
)
from formations.selectors import formations_visible_to
from formations.views import ObjectHistoryView
from sessions.exceptions import SessionsError
from sessions.exports import SessionExporter
from sessions.filters import SessionFilter
from sessions.forms import (
    DayTemplateForm,
    SlotFormSet,
    TrainingSessionForm,
    default_first_day,
    slot_initial,
)
from sessions.permissions import can_run_session
from sessions.selectors import locks
from sessions.selectors.contract import session_contract_warnings
from sessions.selectors.hours import hours_by_session
from sessions.selectors.planning import (
    session_enrolment_hours,
    session_slots,
    session_slots_with_signatures,
)
from sessions.selectors.visibility import sessions_visible_to
from sessions.services.planning import SlotSpec, generate_slots, session_save
from sessions.states import state_of
from sessions.tables import SessionTable, hours_totals, label_hours

SLOT_PREFIX = "slots"


def _referent_structure(user):
    return user.structure_id if is_structure_referent(user) else None


class SessionListView(RoleRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    allowed_roles = None
    table_class = SessionTable
    filterset_class = SessionFilter
    template_name = "sessions/manage/session_list.html"
    paginate_by = 25
    exporter_class = SessionExporter

    def get_queryset(self):
        user = self.request.user
        return hours_by_session(
            sessions_qs=sessions_visible_to(user=user), structure=_referent_structure(user)
        )


def _slot_locks(session) -> dict[int, str]:
    """Why each locked slot of ``session`` can no longer be moved (French), by slot pk."""
    return {
        pk: str(locks.LOCK_LABELS[code]) for pk, code in locks.slot_locks(session=session).items()
    }


def _existing_specs(session) -> list[SlotSpec]:
    tz = session.tzinfo
    return [
        SlotSpec(
            timezone.localtime(s.starts_at, tz).date(),
            timezone.localtime(s.starts_at, tz).time(),
            timezone.localtime(s.ends_at, tz).time(),
            s.pk,
        )
        for s in session_slots(session=session)
    ]


def _as_typed(data, *, session, user, locked: bool = False) -> TrainingSessionForm:
    """An unbound copy of the session form showing what was typed: used by the helper
    buttons (generate, add rows) so that no error is shown before saving."""
    fixed = TrainingSessionForm.LOCKED_FIELDS if locked else ()
    initial = {
        name: data.getlist(name) if name == "trainers" else data.get(name)
        for name in TrainingSessionForm.Meta.fields
        if name in data and name not in fixed
    }
    return TrainingSessionForm(instance=session, user=user, initial=initial, locked=locked)


class SessionFormView(ManagerRequiredMixin, View):
    """Create (no pk) or edit a session with its half-days, entered in the session's zone.

    Buttons: ``generate`` (day template → rows, nothing saved), ``add_rows`` (two more
    empty rows), ``save``. Contract rules are shown as warnings after saving, never block.
    """

    template_name = "sessions/manage/session_form.html"

    def get_session(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(sessions_visible_to(user=self.request.user), pk=self.kwargs["pk"])

    def get(self, request, pk=None):
        session = self.get_session()
        locks = _slot_locks(session)
        initial = slot_initial(_existing_specs(session)) if session else []
        initial_fields = {}
        formation_param = request.GET.get("formation", "")
        if session is None and formation_param.isascii() and formation_param.isdigit():
            # "Nouvelle session" from a formation page: that formation, if visible.
            initial_fields["formation"] = (
                formations_visible_to(user=request.user).filter(pk=int(formation_param)).first()
            )
        return self.render_page(
            session=session,
            form=TrainingSessionForm(
                instance=session, user=request.user, initial=initial_fields, locked=bool(locks)
            ),
            template_form=self._template_form(),
            formset=SlotFormSet(initial=initial, locks=locks, prefix=SLOT_PREFIX),
        )

    def _template_form(self, data=None):
        return DayTemplateForm(data, initial={"first_day": default_first_day(timezone.localdate())})

    def post(self, request, pk=None):
        session = self.get_session()
        locks = _slot_locks(session)
        initial = slot_initial(_existing_specs(session)) if session else []
        form = TrainingSessionForm(
            request.POST, instance=session, user=request.user, locked=bool(locks)
        )
        action = request.POST.get("action", "save")

        if action == "generate" and session is None:
            template_form = self._template_form(request.POST)
            formset = SlotFormSet(initial=initial, locks=locks, prefix=SLOT_PREFIX)
            if template_form.is_valid():
                tpl = template_form.cleaned_data
                specs = generate_slots(
                    first_day=tpl["first_day"],
                    days=tpl["days"],
                    skip_weekends=tpl["skip_weekends"],
                    **template_form.halves(),
                )
                formset = SlotFormSet(initial=slot_initial(specs), locks=locks, prefix=SLOT_PREFIX)
                messages.info(
                    request,
                    _("%(n)s demi-journées générées : vérifiez-les puis enregistrez.")
                    % {"n": len(specs)},
                )
            # The session form is shown as typed, without its error messages yet.
            return self.render_page(
                session=session,
                form=_as_typed(
                    request.POST, session=session, user=request.user, locked=bool(locks)
                ),
                template_form=template_form,
                formset=formset,
                quiet=True,
            )

        if action == "add_rows":
            data = request.POST.copy()
            total_key = f"{SLOT_PREFIX}-TOTAL_FORMS"
            try:
                data[total_key] = str(int(data.get(total_key, 0)) + 2)
            except ValueError:
                data[total_key] = "2"
            formset = SlotFormSet(data, initial=initial, locks=locks, prefix=SLOT_PREFIX)
            return self.render_page(
                session=session,
                form=_as_typed(
                    request.POST, session=session, user=request.user, locked=bool(locks)
                ),
                template_form=self._template_form(),
                formset=formset,
                quiet=True,
            )

        formset = SlotFormSet(request.POST, initial=initial, locks=locks, prefix=SLOT_PREFIX)
        error = None
        if form.is_valid() and formset.is_valid():
            try:
                saved = session_save(
                    actor=request.user,
                    session=session,
                    data=form.session_data(),
                    trainers=form.cleaned_data["trainers"],
                    slots=formset.specs(),
                )
            except SessionsError as exc:
                error = exc
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    (
                        _("Session %(code)s créée.")
                        if session is None
                        else _("Session %(code)s enregistrée.")
                    )
                    % {"code": saved.code},
                )
                for warning in session_contract_warnings(session=saved):
                    messages.warning(request, warning)
                return redirect("sessions:session_detail", pk=saved.pk)
        return self.render_page(
            session=session,
            form=form,
            template_form=self._template_form(),
            formset=formset,
            error=error,
        )

    def render_page(self, *, session, form, template_form, formset, error=None, quiet=False):
        return render(
            self.request,
            self.template_name,
            {
                "session": session,
                "form": form,
                "template_form": template_form,
                "formset": formset,
                "service_error": error,
                "quiet": quiet,
            },
        )


class SessionDetailView(RoleRequiredMixin, View):
    """Everything about one session: header, contract warnings, days and half-days with
    their signing state, enrolments with planned and realised hours. A referent sees only
    the rows (and counts) of their own structure's people."""

    allowed_roles = None
    template_name = "sessions/manage/session_detail.html"

    def get(self, request, pk):
        user = request.user
        session = get_object_or_404(
            sessions_visible_to(user=user).prefetch_related("trainers"), pk=pk
        )
        structure_id = _referent_structure(user)
        tz = session.tzinfo

        slots = session_slots_with_signatures(session=session, structure_id=structure_id)
        enrolments = session_enrolment_hours(session=session, structure_id=structure_id)

        now = timezone.now()
        for slot in slots:
            slot.local_start_at = timezone.localtime(slot.starts_at, tz)
            slot.local_end_at = timezone.localtime(slot.ends_at, tz)
            slot.sealed = slot.is_sealed
            slot.state = state_of(slot, now=now, sealed=slot.sealed)
            slot.day = slot.local_start_at.date()
        days = [
            {"day": day, "slots": list(day_slots), "minutes": 0}
            for day, day_slots in groupby(slots, key=lambda s: s.day)
        ]
        for day in days:
            day["minutes"] = sum(s.planned_minutes for s in day["slots"])
            day["hours"] = hours_label(day["minutes"])

        for enrolment in enrolments:
            label_hours(enrolment)

        context = {
            "session": session,
            "trainers": list(session.trainers.all()),
            "days": days,
            "slot_count": len(slots),
            "planned_minutes": sum(s.planned_minutes for s in slots),
            "planned_label": hours_label(sum(s.planned_minutes for s in slots)),
            "enrolments": enrolments,
            "enrolled_count": len(enrolments),
            "enrolment_total": hours_totals(enrolments),
            "is_referent": structure_id is not None,
            "warnings": session_contract_warnings(session=session) if structure_id is None else [],
            "can_run": can_run_session(user, session),
            # The read-only control page of each half-day (sessions:slot_audit).
            "can_audit": can_manage(user) or is_funder_auditor(user),
            "history": history_summary(
                obj=session,
                user=user,
                full_url=reverse("sessions:session_history", args=[session.pk]),
            ),
            "panels": collect_panels(SESSION_PANELS, request, session),
        }
        return render(request, self.template_name, context)


class SessionHistoryView(ObjectHistoryView):
    """Every journal entry of the session and of its half-days, attendances, seals,
    rectifications and scans (`sessions.selectors.history`)."""

    selector = staticmethod(sessions_visible_to)

    def describe(self, obj):
        return _("Session %(code)s") % {"code": obj.code}, obj.get_absolute_url()
