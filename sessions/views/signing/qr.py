"""Signing by QR code on each participant's phone: the rotating code shown in the room, the
scan ticket that outlives one rotation, and the public signing page."""

import io
import secrets

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from sessions.devices import device_id_from, new_device_id, remember_device
from sessions.exceptions import AttendanceError, SessionsError
from sessions.forms_signing import QrSignatureForm
from sessions.models import Attendance, Enrolment, Slot
from sessions.selectors.risks import device_signed_in_slot
from sessions.selectors.signing import slot_attendances, slot_enrolments, slot_for_qr_code
from sessions.services.devices import session_set_shared_devices
from sessions.tokens import check_qr_token, qr_seconds_until_rotation, qr_token
from sessions.views.signing.common import (
    ParticipantSignView,
    blocks_signing,
    render_refusal,
    render_uncached,
    sealed_error,
    trainer_slot,
    window_problem,
)

# The QR code shown in the room rotates every minute; drawing a signature on a phone takes
# longer than the one period of grace the token allows. At scan time the page hands out a
# signed "scan ticket" that stays good for this long.
SCAN_TICKET_SALT = "sessions.qr-scan-ticket"
SCAN_TICKET_MAX_AGE = 5 * 60


def qr_sign_url(request, slot: Slot, token: str) -> str:
    return request.build_absolute_uri(reverse("sessions:sign_qr", args=[slot.pk, token]))


class SlotQrView(View):
    template_name = "sessions/signing/qr.html"

    def get(self, request, pk):
        slot = trainer_slot(request, pk)
        now = timezone.now()
        token = qr_token(slot=slot, at=now)
        return render_uncached(
            request,
            self.template_name,
            {
                "slot": slot,
                "session": slot.session,
                "sealed": slot.is_sealed,
                "sign_url": qr_sign_url(request, slot, token),
                "image_url": reverse("sessions:slot_qr_image", args=[slot.pk]),
                "rotation_seconds": settings.SUIVI_QR_ROTATION_SECONDS,
                "seconds_left": qr_seconds_until_rotation(at=now),
                "window_problem": None if slot.is_sealed else window_problem(slot),
                "allow_shared_devices": slot.session.allow_shared_devices,
            },
        )

    def post(self, request, pk):
        """The session's shared-phones setting, changed from the QR page."""
        slot = trainer_slot(request, pk)
        allowed = request.POST.get("allow_shared_devices") == "1"
        try:
            session_set_shared_devices(session=slot.session, allowed=allowed, actor=request.user)
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Plusieurs signatures depuis un même téléphone sont maintenant acceptées "
                    "pour cette session ; elles sont signalées sur la page de la demi-journée."
                )
                if allowed
                else _("Un téléphone ne signe plus que pour une personne par demi-journée."),
            )
        return redirect("sessions:slot_qr", pk=slot.pk)


class SlotQrImageView(View):
    """The current QR code as SVG. `qr-rotate.js` reads the URL it encodes and the seconds
    before the next one from the X-Qr-Url and X-Qr-Seconds-Left headers."""

    def get(self, request, pk):
        slot = trainer_slot(request, pk)
        if slot.is_sealed:
            response = HttpResponse(
                _("Demi-journée close et scellée."),
                status=410,
                content_type="text/plain; charset=utf-8",
            )
            add_never_cache_headers(response)
            return response
        now = timezone.now()
        url = qr_sign_url(request, slot, qr_token(slot=slot, at=now))
        buffer = io.BytesIO()
        segno.make(url, error="m").save(
            buffer,
            kind="svg",
            scale=1,
            border=2,
            light="#fff",
            xmldecl=False,
            omitsize=True,
            svgclass="qr-svg",
            title=_("QR code d'émargement"),
        )
        svg = buffer.getvalue()
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["X-Qr-Url"] = url
        response["X-Qr-Seconds-Left"] = str(qr_seconds_until_rotation(at=now))
        response["X-Content-Type-Options"] = "nosniff"
        add_never_cache_headers(response)
        return response


def scan_ticket(slot: Slot, token: str, ticket_id: str | None = None) -> str:
    """A signed `"<slot id>:<QR token>:<ticket id>"`; the random ticket id names this one
    visit of the QR page, so that it signs for one person only (`attendance_sign`)."""
    ticket_id = ticket_id or secrets.token_urlsafe(16)
    return signing.TimestampSigner(salt=SCAN_TICKET_SALT).sign(f"{slot.pk}:{token}:{ticket_id}")


def check_scan_ticket(ticket: str, slot: Slot, token: str) -> str:
    """The ticket id of a genuine, recent scan ticket of this slot and QR token.

    Codes: ticket_expired, qr_invalid."""
    try:
        value = signing.TimestampSigner(salt=SCAN_TICKET_SALT).unsign(
            ticket or "", max_age=SCAN_TICKET_MAX_AGE
        )
    except signing.SignatureExpired:
        raise AttendanceError(
            _(
                "Plus de %(minutes)s minutes se sont écoulées depuis le scan : "
                "scannez à nouveau le QR code affiché dans la salle."
            )
            % {"minutes": SCAN_TICKET_MAX_AGE // 60},
            code="ticket_expired",
        ) from None
    except signing.BadSignature:
        value = None
    prefix = f"{slot.pk}:{token}:"
    ticket_id = value[len(prefix) :] if value and value.startswith(prefix) else ""
    if not ticket_id or ":" in ticket_id:
        raise AttendanceError(
            _("Ce QR code n'est pas valide. Scannez le QR code affiché dans la salle."),
            code="qr_invalid",
        )
    return ticket_id


@method_decorator(login_not_required, name="dispatch")
class SignQrView(ParticipantSignView):
    """Public: a participant signs on their own phone after scanning the room's QR code."""

    template_name = "sessions/signing/sign_qr.html"
    method = Attendance.Method.QR_CODE
    hint = gettext_lazy("Demandez au formateur ou à la formatrice d'afficher le QR code actuel.")

    def dispatch(self, request, *args, **kwargs):
        self.slot = slot_for_qr_code(pk=kwargs["slot_pk"])
        if self.slot is None:
            return render_refusal(
                request,
                AttendanceError(
                    _("Ce QR code n'est pas valide. Scannez le QR code affiché dans la salle."),
                    code="qr_invalid",
                ),
                hint=self.hint,
            )
        return super().dispatch(request, *args, **kwargs)

    def enrolments(self, *, exclude_done: bool):
        enrolments = slot_enrolments(slot=self.slot)
        if exclude_done:
            # Names already signed are not offered again; on POST every enrolment is
            # accepted so that a retry with the same nonce gets the same answer.
            done = [pk for pk, a in slot_attendances(slot=self.slot).items() if blocks_signing(a)]
            enrolments = enrolments.exclude(pk__in=done)
        return enrolments

    device_hint = gettext_lazy(
        "Sans téléphone à vous, demandez au formateur ou à la formatrice de signer sur sa tablette."
    )

    def dispatch_with_device(self, handler, *args, **kwargs):
        # The phone's id comes from its signed cookie; a phone without one (first visit,
        # cookie cleared, forged) gets a new id, remembered on whatever page answers.
        self.device_id = device_id_from(self.request)
        issued = self.device_id is None
        if issued:
            self.device_id = new_device_id()
        response = handler(*args, **kwargs)
        if issued:
            remember_device(self.request, response, self.device_id)
        return response

    def get(self, request, slot_pk, token):
        return self.dispatch_with_device(self.show_form, token)

    def post(self, request, slot_pk, token):
        return self.dispatch_with_device(self.post_signature, token)

    def show_form(self, token):
        try:
            check_qr_token(token=token, slot=self.slot)
            if self.slot.is_sealed:
                raise sealed_error()
            if not self.slot.session.allow_shared_devices and device_signed_in_slot(
                slot=self.slot, device_id=self.device_id
            ):
                # Said before anyone draws a signature the service would refuse.
                raise AttendanceError(
                    _(
                        "Ce téléphone a déjà servi à émarger pendant cette demi-journée. "
                        "Chaque personne signe sur son propre téléphone, ou sur la tablette "
                        "du formateur."
                    ),
                    code="device_already_used",
                )
        except AttendanceError as exc:
            return render_refusal(
                self.request, exc, slot=self.slot, hint=self.refusal_hint(exc.code)
            )
        form = QrSignatureForm(
            enrolments=self.enrolments(exclude_done=True),
            initial={"ticket": scan_ticket(self.slot, token)},
        )
        return self.render_form(form)

    def post_signature(self, token):
        try:
            self.ticket_id = check_scan_ticket(
                self.request.POST.get("ticket", ""), self.slot, token
            )
        except AttendanceError as exc:
            return render_refusal(self.request, exc, slot=self.slot, hint=self.hint)
        return self.sign(
            QrSignatureForm(self.request.POST, enrolments=self.enrolments(exclude_done=False))
        )

    def sign_kwargs(self) -> dict:
        return {"device_ticket": self.ticket_id, "device_id": self.device_id}

    def refusal_hint(self, code: str) -> str:
        return self.device_hint if code == "device_already_used" else self.hint

    def signing_enrolment(self, form) -> Enrolment:
        return form.cleaned_data["enrolment"]
