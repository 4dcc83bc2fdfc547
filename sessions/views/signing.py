import contextlib
import io
import secrets
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from formations.jobs import job_state, jobs_visible_to
from sessions.devices import device_id_from, new_device_id, remember_device
from sessions.exceptions import AttendanceError, SessionsError
from sessions.forms_signing import (
    CloseSlotForm,
    MarkForm,
    QrSignatureForm,
    RectifyForm,
    SignatureForm,
)
from sessions.models import Attendance, Enrolment, Slot
from sessions.permissions import trains_session
from sessions.presence import attendance_text, values_text
from sessions.selectors.risks import device_signed_in_slot, shared_device_signatures
from sessions.selectors.signing import (
    attendance_of,
    slot_attendance,
    slot_attendances,
    slot_enrolment,
    slot_enrolments,
    slot_for_qr_code,
    slot_rectifications,
)
from sessions.selectors.visibility import slots_run_by
from sessions.services.attendance import (
    attendance_mark,
    attendance_rectify,
    attendance_sign,
    ensure_signing_window,
    signing_window,
    slot_close,
    slot_countersign,
)
from sessions.services.devices import session_set_shared_devices
from sessions.services.remote_links import remote_links, send_remote_links
from sessions.services.tablet import tablet_lock
from sessions.signatures import signature_svg
from sessions.states import countersign_opens_at, opens_at, state_of
from sessions.tokens import (
    check_qr_token,
    check_remote_link_token,
    qr_seconds_until_rotation,
    qr_token,
)

# The QR code shown in the room rotates every minute; drawing a signature on a phone takes
# longer than the one period of grace the token allows. At scan time the page hands out a
# signed "scan ticket" that stays good for this long.
SCAN_TICKET_SALT = "sessions.qr-scan-ticket"
SCAN_TICKET_MAX_AGE = 5 * 60

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

ROW_STATE_TO_SIGN = gettext_lazy("À signer")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


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


# --------------------------------------------------------------------------- trainer's page


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


# --------------------------------------------------------------------------- tablet mode


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


# --------------------------------------------------------------------------- QR code mode


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


# --------------------------------------------------------------------------- remote links


class SlotRemoteLinksView(View):
    template_name = "sessions/signing/remote_links.html"

    def url_for(self, token: str) -> str:
        return self.request.build_absolute_uri(reverse("sessions:sign_remote", args=[token]))

    def get(self, request, pk):
        slot = trainer_slot(request, pk)
        links = remote_links(slot=slot, url_for=self.url_for)
        job = None
        with contextlib.suppress(ValueError):
            job_id = uuid.UUID(request.GET.get("envoi", ""))
            job = jobs_visible_to(user=request.user).filter(pk=job_id).first()
        return render_uncached(
            request,
            self.template_name,
            {
                "slot": slot,
                "session": slot.session,
                "sealed": slot.is_sealed,
                "links": links,
                "without_email": [link for link in links if not link.enrolment.participant.email],
                "window": signing_window(slot=slot),
                "job": job,
                "job_state": job_state(job) if job else None,
            },
        )

    def post(self, request, pk):
        slot = trainer_slot(request, pk)
        try:
            result = send_remote_links(slot=slot, actor=request.user, url_for=self.url_for)
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            if result.sent:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s lien personnel en file d'envoi par e-mail.",
                        "%(count)s liens personnels en file d'envoi par e-mail.",
                        len(result.sent),
                    )
                    % {"count": len(result.sent)},
                )
            else:
                messages.info(request, _("Aucun e-mail envoyé."))
            if result.without_email:
                messages.warning(
                    request,
                    _("Sans adresse e-mail (à transmettre autrement) : %(names)s.")
                    % {"names": ", ".join(e.participant.full_name for e in result.without_email)},
                )
            if result.already_done:
                messages.info(
                    request,
                    _("Déjà émargé·es ou noté·es absent·es, non relancé·es : %(names)s.")
                    % {"names": ", ".join(e.participant.full_name for e in result.already_done)},
                )
            if result.job is not None:
                url = reverse("sessions:slot_remote_links", args=[slot.pk])
                return redirect(f"{url}?{urlencode({'envoi': result.job.pk})}")
        return redirect("sessions:slot_remote_links", pk=slot.pk)


@method_decorator(login_not_required, name="dispatch")
class SignRemoteView(ParticipantSignView):
    """Public: a remote participant signs with their personal link for one half-day."""

    template_name = "sessions/signing/sign_remote.html"
    method = Attendance.Method.REMOTE_LINK
    hint = gettext_lazy(
        "En cas de difficulté, contactez votre formateur ou votre formatrice : "
        "il ou elle peut relever votre présence."
    )

    def dispatch(self, request, *args, **kwargs):
        try:
            self.enrolment, self.slot = check_remote_link_token(token=kwargs["token"])
            self.check_open()
        except AttendanceError as exc:
            return render_refusal(request, exc, slot=getattr(self, "slot", None), hint=self.hint)
        return super().dispatch(request, *args, **kwargs)

    def check_open(self):
        if self.slot.is_sealed:
            raise sealed_error()
        attendance = attendance_of(enrolment=self.enrolment, slot=self.slot)
        if attendance is not None and attendance.is_signed and self.request.method == "GET":
            # On POST the service answers instead: a retry with the same nonce gets the
            # row already written, another signature gets already_signed.
            message = _(
                "Votre émargement pour cette demi-journée est déjà enregistré. "
                "Ce lien ne sert qu'une fois."
            )
            if attendance.signed_at:
                local = timezone.localtime(attendance.signed_at, self.slot.session.tzinfo)
                message = _(
                    "Votre émargement pour cette demi-journée est déjà enregistré "
                    "(le %(day)s à %(time)s). Ce lien ne sert qu'une fois."
                ) % {"day": local.strftime("%d/%m/%Y"), "time": local.strftime("%H:%M")}
            raise AttendanceError(message, code="already_signed")
        if attendance is not None and attendance.status in Attendance.ABSENT_STATUSES:
            raise AttendanceError(
                _(
                    "Vous avez été noté·e absent·e pour cette demi-journée : "
                    "voyez avec le formateur ou la formatrice pour corriger."
                ),
                code="already_signed",
            )

    def get(self, request, token):
        return self.render_form(SignatureForm())

    def post(self, request, token):
        return self.sign(SignatureForm(request.POST))

    def signing_enrolment(self, form) -> Enrolment:
        return self.enrolment

    def form_context(self) -> dict:
        return {"participant": self.enrolment.participant}
