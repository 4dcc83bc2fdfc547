"""The trainer's page of a half-day: the room's list, marks, countersignature, closing and
rectifications."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from sessions.exceptions import AttendanceError
from sessions.forms_signing import CloseSlotForm, MarkForm, RectifyForm, SignatureForm
from sessions.models import Attendance, Enrolment
from sessions.permissions import trains_session
from sessions.presence import attendance_text, values_text
from sessions.selectors.risks import shared_device_signatures
from sessions.selectors.signing import (
    slot_attendance,
    slot_attendances,
    slot_enrolment,
    slot_enrolments,
    slot_rectifications,
)
from sessions.services.attendance import (
    attendance_mark,
    attendance_rectify,
    signing_window,
    slot_close,
    slot_countersign,
)
from sessions.signatures import signature_svg
from sessions.states import countersign_opens_at, opens_at, state_of
from sessions.views.signing.common import trainer_slot, window_problem

ROW_STATE_TO_SIGN = gettext_lazy("À signer")


@dataclass
class SlotRow:
    enrolment: Enrolment
    attendance: Attendance | None
    presence: str
    signature: dict | None
    # The mark or rectify form, only for the row the trainer opened (forms on demand: a
    # page of 200 rows would otherwise render 200 forms).
    mark_form: MarkForm | None = None
    rectify_form: RectifyForm | None = None
    # Names of the people whose signature came from the same phone (QR code).
    shared_device_with: list[str] = field(default_factory=list)

    @property
    def participant(self):
        return self.enrolment.participant

    @property
    def state(self) -> str:
        if self.attendance is None:
            return ROW_STATE_TO_SIGN
        return self.attendance.get_status_display()

    @property
    def badge(self) -> str:
        if self.attendance is None:
            return "warning"
        status = self.attendance.status
        if status == Attendance.Status.PRESENT:
            return "ok"
        if status in Attendance.ABSENT_STATUSES:
            return "error"
        return "warning"

    @property
    def unsigned_presence(self) -> bool:
        """Recorded present / late / left early by the trainer, not (yet) signed: does not
        count until the participant signs."""
        a = self.attendance
        return a is not None and not a.is_signed and a.status not in Attendance.ABSENT_STATUSES


class SlotDetailView(View):
    template_name = "sessions/signing/slot_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.slot = trainer_slot(request, kwargs["pk"])
        self.session = self.slot.session
        self.sealed = self.slot.is_sealed
        self.bound_forms = {}
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render_page()

    def post(self, request, pk):
        action = request.POST.get("action")
        handler = {
            "mark": self.post_mark,
            "countersign": self.post_countersign,
            "close": self.post_close,
            "rectify": self.post_rectify,
        }.get(action)
        if handler is None:
            return self.back()
        return handler()

    def back(self, anchor: str = ""):
        url = reverse("sessions:slot_detail", args=[self.slot.pk])
        return redirect(url + (f"#{anchor}" if anchor else ""))

    def posted_pk(self, name: str) -> int | None:
        try:
            return int(self.request.POST.get(name, ""))
        except ValueError:
            return None

    def opened_pk(self, name: str) -> int | None:
        try:
            return int(self.request.GET.get(name, ""))
        except ValueError:
            return None

    # -- actions

    def post_mark(self):
        enrolment = slot_enrolment(slot=self.slot, pk=self.posted_pk("enrolment"))
        if enrolment is None:
            messages.error(self.request, _("Cette personne n'est pas inscrite à cette session."))
            return self.back()
        form = MarkForm(self.request.POST, prefix=f"mark-{enrolment.pk}", slot=self.slot)
        if form.is_valid():
            try:
                attendance = attendance_mark(
                    enrolment=enrolment,
                    slot=self.slot,
                    actor=self.request.user,
                    **form.presence_kwargs(),
                )
            except AttendanceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    self.request,
                    _("%(name)s : %(presence)s — enregistré.")
                    % {
                        "name": enrolment.participant.full_name,
                        "presence": attendance_text(attendance, self.slot),
                    },
                )
                return self.back(f"ligne-{enrolment.pk}")
        messages.error(
            self.request,
            _("%(name)s : le relevé n'a pas été enregistré, voyez l'erreur sur sa ligne.")
            % {"name": enrolment.participant.full_name},
        )
        self.bound_forms[("mark", enrolment.pk)] = form
        return self.render_page(status=400)

    def post_countersign(self):
        form = SignatureForm(self.request.POST, prefix="contresignature")
        if form.is_valid():
            try:
                slot_countersign(
                    slot=self.slot,
                    trainer=self.request.user,
                    signature=form.cleaned_data["signature"],
                )
            except AttendanceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(self.request, _("Demi-journée contresignée."))
                return self.back("contresignature")
        self.bound_forms["countersign"] = form
        return self.render_page(status=400)

    def post_close(self):
        form = CloseSlotForm(self.request.POST, prefix="cloture")
        if form.is_valid():
            try:
                seal = slot_close(slot=self.slot, actor=self.request.user)
            except AttendanceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    self.request,
                    _("Demi-journée close et scellée. Empreinte : %(digest)s")
                    % {"digest": seal.digest},
                )
                return self.back("scellement")
        self.bound_forms["close"] = form
        return self.render_page(status=400)

    def post_rectify(self):
        attendance = slot_attendance(slot=self.slot, pk=self.posted_pk("attendance"))
        if attendance is None:
            messages.error(self.request, _("Émargement introuvable pour cette demi-journée."))
            return self.back()
        form = RectifyForm(self.request.POST, prefix=f"rectify-{attendance.pk}", slot=self.slot)
        if form.is_valid():
            try:
                attendance_rectify(
                    attendance=attendance,
                    reason=form.cleaned_data["reason"],
                    author=self.request.user,
                    **form.presence_kwargs(),
                )
            except AttendanceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    self.request,
                    _("Rectification enregistrée pour %(name)s : %(presence)s.")
                    % {
                        "name": attendance.enrolment.participant.full_name,
                        "presence": attendance_text(attendance, self.slot),
                    },
                )
                return self.back("rectifications")
        messages.error(
            self.request,
            _("%(name)s : la rectification n'a pas été enregistrée, voyez l'erreur sur sa ligne.")
            % {"name": attendance.enrolment.participant.full_name},
        )
        self.bound_forms[("rectify", attendance.enrolment_id)] = form
        return self.render_page(status=400)

    # -- page

    def rows(self) -> list[SlotRow]:
        attendances = slot_attendances(slot=self.slot)
        opened = self.opened_pk("relever")
        rows = []
        for enrolment in slot_enrolments(slot=self.slot):
            attendance = attendances.get(enrolment.pk)
            row = SlotRow(
                enrolment=enrolment,
                attendance=attendance,
                presence=attendance_text(attendance, self.slot) if attendance else "",
                signature=signature_svg(attendance.signature) if attendance else None,
            )
            bound_mark = self.bound_forms.get(("mark", enrolment.pk))
            bound_rectify = self.bound_forms.get(("rectify", enrolment.pk))
            if not self.sealed and (bound_mark or opened == enrolment.pk):
                row.mark_form = bound_mark or MarkForm(
                    prefix=f"mark-{enrolment.pk}",
                    initial=MarkForm.initial_for(attendance, self.slot),
                    slot=self.slot,
                )
            elif self.sealed and attendance and (bound_rectify or opened == enrolment.pk):
                row.rectify_form = bound_rectify or RectifyForm(
                    prefix=f"rectify-{attendance.pk}",
                    initial=MarkForm.initial_for(attendance, self.slot),
                    slot=self.slot,
                )
            rows.append(row)
        return rows

    def rectifications(self):
        return [
            {
                "rectification": r,
                "old": values_text(r.old_values, self.slot),
                "new": values_text(r.new_values, self.slot),
            }
            for r in slot_rectifications(slot=self.slot)
        ]

    def render_page(self, status: int = 200):
        slot = self.slot
        rows = self.rows()
        shared = {
            s.attendance.pk: s.shared_with_names
            for s in shared_device_signatures(session=self.session, slot=slot)
        }
        for row in rows:
            if row.attendance is not None:
                row.shared_device_with = shared.get(row.attendance.pk, [])
        # Who `slot_countersign` accepts: no pad offered to anyone it would refuse.
        is_session_trainer = trains_session(self.request.user, self.session)
        now = timezone.now()
        countersign_from = countersign_opens_at(slot.ends_at)
        signed = sum(1 for row in rows if row.attendance is not None and row.attendance.is_signed)
        context = {
            "slot": slot,
            "session": self.session,
            "sealed": self.sealed,
            "seal": slot.seal if self.sealed else None,
            "state": state_of(slot, now=now, sealed=self.sealed),
            "rows": rows,
            "signed_count": signed,
            "planned_minutes": slot.planned_minutes,
            "window_problem": window_problem(slot) if not self.sealed else None,
            "signing_window": signing_window(slot=slot),
            "countersignature": signature_svg(slot.countersignature),
            "countersign_form": self.bound_forms.get("countersign")
            or SignatureForm(prefix="contresignature"),
            "can_countersign": not self.sealed and is_session_trainer,
            # The same limits as the services (`_ensure_open_for_marks`, `_ensure_ending`):
            # no form offered that would be refused.
            "marks_open": now >= opens_at(slot.starts_at),
            "countersign_from": countersign_from,
            "countersign_open": now >= countersign_from,
            "close_form": self.bound_forms.get("close") or CloseSlotForm(prefix="cloture"),
            "rectifications": self.rectifications() if self.sealed else [],
        }
        return render(self.request, self.template_name, context, status=status)
