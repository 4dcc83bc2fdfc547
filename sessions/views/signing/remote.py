"""Signing remotely through a personal link: the links page for trainers and the public
signing page."""

import contextlib
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from formations.jobs import job_state, jobs_visible_to
from sessions.exceptions import AttendanceError, SessionsError
from sessions.forms_signing import SignatureForm
from sessions.models import Attendance, Enrolment
from sessions.selectors.signing import attendance_of
from sessions.services.attendance import signing_window
from sessions.services.remote_links import remote_links, send_remote_links
from sessions.tokens import check_remote_link_token
from sessions.views.signing.common import (
    ParticipantSignView,
    render_refusal,
    render_uncached,
    sealed_error,
    trainer_slot,
)


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
