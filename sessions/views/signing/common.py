"""What the three ways of signing share: the client's address and browser, the refusal and
"done" pages, the signature form's handling, and the participant's signing page that the QR
code and the remote link specialise."""

from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from formations.client_ip import client_ip
from sessions.exceptions import AttendanceError, SessionsError
from sessions.models import Attendance, Enrolment, Slot
from sessions.selectors.visibility import slots_run_by
from sessions.services.attendance import attendance_sign, ensure_signing_window

# HTTP status of the public refusal page, by error code.
REFUSAL_STATUS = {
    "qr_expired": 410,
    "ticket_expired": 410,
    "slot_sealed": 410,
    "already_signed": 409,
    "nonce_reused": 409,
    "device_already_used": 409,
}

REFUSAL_TITLES = {
    "qr_expired": gettext_lazy("QR code expiré"),
    "ticket_expired": gettext_lazy("Délai dépassé"),
    "qr_invalid": gettext_lazy("QR code non valide"),
    "qr_wrong_slot": gettext_lazy("QR code d'une autre demi-journée"),
    "link_invalid": gettext_lazy("Lien non valide"),
    "outside_window": gettext_lazy("Émargement fermé"),
    "slot_sealed": gettext_lazy("Demi-journée close"),
    "already_signed": gettext_lazy("Émargement déjà enregistré"),
    "nonce_reused": gettext_lazy("Signature déjà envoyée"),
    "device_already_used": gettext_lazy("Téléphone déjà utilisé"),
}


def client_user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:500]


def blocks_signing(attendance: Attendance | None) -> bool:
    """Whether the participant can no longer sign (`attendance_sign` would refuse with
    already_signed): signed already, or recorded absent by the trainer."""
    if attendance is None:
        return False
    return attendance.is_signed or attendance.status in Attendance.ABSENT_STATUSES


def sealed_error() -> AttendanceError:
    return AttendanceError(
        _("Cette demi-journée est close et scellée : il n'est plus possible de signer."),
        code="slot_sealed",
    )


def window_problem(slot: Slot) -> str | None:
    try:
        ensure_signing_window(slot=slot)
    except AttendanceError as exc:
        return exc.message
    return None


def trainer_slot(request, pk: int) -> Slot:
    """The slot if the user runs its session (trainers of the session, coordinators)."""
    return get_object_or_404(
        slots_run_by(user=request.user).select_related("countersigned_by", "seal__sealed_by"),
        pk=pk,
    )


def render_uncached(request, template_name: str, context: dict, *, status: int = 200):
    # Signing pages carry one-time tokens, nonces and live state (who signed, QR codes that
    # rotate): a cached copy, in the browser's history or a proxy, would be stale or replayed.
    response = render(request, template_name, context, status=status)
    add_never_cache_headers(response)
    return response


# Refusals of an address that proves nothing (a forged or damaged token, or one made for
# another half-day): the public page then says nothing of the half-day in the address, or
# anyone could list the schedule by trying ids.
UNPROVEN_CODES = frozenset({"qr_invalid", "qr_wrong_slot", "link_invalid"})


def render_refusal(request, error: SessionsError, *, slot: Slot | None = None, hint: str = ""):
    if error.code in UNPROVEN_CODES:
        slot = None
    return render_uncached(
        request,
        "sessions/signing/refused.html",
        {
            "title": REFUSAL_TITLES.get(error.code, _("Émargement refusé")),
            "message": error.message,
            "code": error.code,
            "hint": hint,
            "slot": slot,
        },
        status=REFUSAL_STATUS.get(error.code, 403),
    )


def render_done(request, attendance: Attendance, slot: Slot):
    return render_uncached(
        request,
        "sessions/signing/done.html",
        {
            "attendance": attendance,
            "slot": slot,
            "session": slot.session,
            "participant": attendance.enrolment.participant,
        },
    )


def sign_from_form(
    request, form, *, enrolment: Enrolment, slot: Slot, method: str, **extra
) -> Attendance:
    """The participant's own signature from a valid signature form (tablet, QR code, remote
    link), through `attendance_sign` like every other entry point (`extra`: the QR code's
    scan ticket and phone ids). Raises `AttendanceError`."""
    return attendance_sign(
        enrolment=enrolment,
        slot=slot,
        signature=form.cleaned_data["signature"],
        method=method,
        ip=client_ip(request),
        user_agent=client_user_agent(request),
        nonce=form.cleaned_data["nonce"],
        device_signed_at=form.cleaned_data["device_time"],
        **extra,
    )


class SignatureFormMixin:
    """The page with a signature pad for one half-day (tablet, QR code, remote link)."""

    template_name = ""

    def form_context(self) -> dict:
        return {}

    def render_form(self, form, status=200):
        return render_uncached(
            self.request,
            self.template_name,
            {"slot": self.slot, "session": self.slot.session, **self.form_context(), "form": form},
            status=status,
        )


class ParticipantSignView(SignatureFormMixin, View):
    """A participant signs on their own device: a refusal gets the public refusal page
    (with `hint`), a signature the service cannot read is asked again on the form."""

    method = ""
    hint = ""

    def signing_enrolment(self, form) -> Enrolment:
        raise NotImplementedError

    def sign_kwargs(self) -> dict:
        return {}

    def refusal_hint(self, code: str) -> str:
        return self.hint

    def sign(self, form):
        if form.is_valid():
            try:
                attendance = sign_from_form(
                    self.request,
                    form,
                    enrolment=self.signing_enrolment(form),
                    slot=self.slot,
                    method=self.method,
                    **self.sign_kwargs(),
                )
            except AttendanceError as exc:
                if exc.code != "invalid_signature":
                    return render_refusal(
                        self.request, exc, slot=self.slot, hint=self.refusal_hint(exc.code)
                    )
                form.add_error("signature", exc.message)
            else:
                return render_done(self.request, attendance, self.slot)
        return self.render_form(form, status=400)
