"""Signing on the trainer's tablet: the names, then each person's signature pad; and the
lock that keeps a tablet on its half-day until the trainer's password unlocks it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from sessions.exceptions import AttendanceError, SessionsError
from sessions.forms_signing import SignatureForm, TabletUnlockForm
from sessions.models import Attendance
from sessions.selectors.signing import attendance_of, slot_attendances, slot_enrolments
from sessions.services.tablet import TABLET_SCOPES, locked_scope, tablet_lock, tablet_unlock
from sessions.views.signing.common import (
    SignatureFormMixin,
    blocks_signing,
    render_uncached,
    sign_from_form,
    trainer_slot,
    window_problem,
)


class SlotTabletView(View):
    template_name = "sessions/signing/tablet.html"

    def get(self, request, pk):
        slot = trainer_slot(request, pk)
        # From here on, only this slot's tablet pages open without the trainer's password.
        tablet_lock(store=request.session, slot=slot, actor=request.user)
        attendances = slot_attendances(slot=slot)
        entries = [
            {
                "enrolment": enrolment,
                "attendance": attendances.get(enrolment.pk),
                "done": blocks_signing(attendances.get(enrolment.pk)),
            }
            for enrolment in slot_enrolments(slot=slot)
        ]
        return render_uncached(
            request,
            self.template_name,
            {
                "slot": slot,
                "session": slot.session,
                "sealed": slot.is_sealed,
                "entries": entries,
                "signed_count": sum(1 for e in entries if e["done"]),
                "window_problem": None if slot.is_sealed else window_problem(slot),
            },
        )


class SlotTabletSignView(SignatureFormMixin, View):
    template_name = "sessions/signing/tablet_sign.html"

    def dispatch(self, request, *args, **kwargs):
        self.slot = trainer_slot(request, kwargs["pk"])
        self.enrolment = get_object_or_404(
            slot_enrolments(slot=self.slot), pk=kwargs["enrolment_pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def back(self):
        return redirect("sessions:slot_tablet", pk=self.slot.pk)

    def get(self, request, pk, enrolment_pk):
        tablet_lock(store=request.session, slot=self.slot, actor=request.user)
        if self.slot.is_sealed:
            messages.error(
                request, _("Cette demi-journée est close et scellée : plus aucune signature.")
            )
            return self.back()
        if blocks_signing(attendance_of(enrolment=self.enrolment, slot=self.slot)):
            messages.info(
                request,
                _("L'émargement de %(name)s est déjà enregistré.")
                % {"name": self.enrolment.participant.full_name},
            )
            return self.back()
        return self.render_form(SignatureForm())

    def post(self, request, pk, enrolment_pk):
        form = SignatureForm(request.POST)
        if form.is_valid():
            try:
                sign_from_form(
                    request,
                    form,
                    enrolment=self.enrolment,
                    slot=self.slot,
                    method=Attendance.Method.TABLET,
                )
            except AttendanceError as exc:
                if exc.code != "invalid_signature":
                    messages.error(request, exc.message)
                    return self.back()
                form.add_error("signature", exc.message)
            else:
                messages.success(
                    request,
                    _("Merci %(name)s, votre signature est enregistrée.")
                    % {"name": self.enrolment.participant.full_name},
                )
                return self.back()
        return self.render_form(form, status=400)

    def form_context(self) -> dict:
        return {"enrolment": self.enrolment, "participant": self.enrolment.participant}


NEXT_MAX_LENGTH = 2000


def safe_next(request, value: str | None) -> str | None:
    """`value` if it is a path of this site (relative, no host, no scheme), else None. A
    path longer than the form carries is dropped: unlocking then leads to the half-day."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if len(value) > NEXT_MAX_LENGTH:
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts=None, require_https=request.is_secure()
    ):
        return None
    return value


class TabletUnlockView(View):
    """Leaving tablet mode: asks the signed-in trainer's password, then goes on to the
    page that was asked for (`next`, a path of this site) or to the half-day's page."""

    template_name = "sessions/signing/tablet_unlock.html"

    def dispatch(self, request, *args, **kwargs):
        self.lock = locked_scope(request.session)
        self.slot_id = self.lock[1] if self.lock and self.lock[0] == "slot" else None
        return super().dispatch(request, *args, **kwargs)

    def onward(self, next_url: str | None, slot_id: int | None, lock=None):
        if next_url:
            return redirect(next_url)
        if slot_id is not None:
            return redirect("sessions:slot_detail", pk=slot_id)
        if lock is not None and lock[0] in TABLET_SCOPES:
            return redirect(TABLET_SCOPES[lock[0]].leave_url(lock[1]))
        return redirect("dashboard")

    def get(self, request):
        next_url = safe_next(request, request.GET.get("next"))
        if self.lock is None:
            return self.onward(next_url, None)
        return self.render_page(TabletUnlockForm(initial={"next": next_url or ""}))

    def post(self, request):
        form = TabletUnlockForm(request.POST)
        next_url = safe_next(request, request.POST.get("next"))
        if self.lock is None:
            return self.onward(next_url, None)
        if form.is_valid():
            try:
                slot_id = tablet_unlock(
                    store=request.session,
                    actor=request.user,
                    password=form.cleaned_data["password"],
                )
            except SessionsError as exc:
                form.add_error("password", exc.message)
                status = 429 if exc.code == "unlock_paused" else 400
                return self.render_page(form, status=status)
            messages.success(request, _("Mode tablette quitté."))
            return self.onward(next_url, slot_id, self.lock)
        return self.render_page(form, status=400)

    def render_page(self, form, status: int = 200):
        scope, pk = self.lock
        if scope == "slot":
            tablet_url = reverse("sessions:slot_tablet", args=[pk])
            list_label = _("la liste d'émargement")
        else:
            tablet_url = TABLET_SCOPES[scope].list_url(pk)
            list_label = TABLET_SCOPES[scope].list_label
        return render_uncached(
            self.request,
            self.template_name,
            {"form": form, "tablet_url": tablet_url, "list_label": list_label},
            status=status,
        )
