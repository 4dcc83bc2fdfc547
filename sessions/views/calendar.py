"""Calendar downloads and private subscription feeds (.ics)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import FormView

from formations.models import User
from formations.permissions import RoleRequiredMixin
from sessions import ical
from sessions.forms_enrolment import ConfirmForm
from sessions.selectors.calendar import (
    participant_by_calendar_token,
    participant_feed_sessions,
    trainer_by_calendar_token,
    trainer_feed_sessions,
)
from sessions.selectors.visibility import sessions_visible_to
from sessions.services.enrolment import regenerate_calendar_token, trainer_feed_url

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(content: bytes, *, filename: str, attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=CALENDAR_CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _feed_response(sessions, *, name: str, uid: str) -> HttpResponse:
    content = ical.feed_calendar(((s, list(s.slots.all())) for s in sessions), name=name, uid=uid)
    response = _calendar_response(content, filename="agenda.ics", attachment=False)
    # A private URL: keep it out of shared caches and search engines.
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def session_ics(request, pk):
    session = get_object_or_404(
        sessions_visible_to(user=request.user).prefetch_related("slots"), pk=pk
    )
    content = ical.session_calendar(session, slots=list(session.slots.all()))
    return _calendar_response(content, filename=f"session-{session.code}.ics", attachment=True)


@login_not_required
@require_safe
def calendar_feed_trainer(request, token):
    user = trainer_by_calendar_token(token=token)
    if user is None:
        raise Http404
    return _feed_response(
        trainer_feed_sessions(user=user),
        name=_("Suivi Formations — mes sessions à animer"),
        uid=f"feed-trainer-{user.pk}@{ical.calendar_host()}",
    )


@login_not_required
@require_safe
def calendar_feed_participant(request, token):
    participant = participant_by_calendar_token(token=token)
    if participant is None:
        raise Http404
    return _feed_response(
        participant_feed_sessions(participant=participant),
        name=_("Suivi Formations — mes formations"),
        uid=f"feed-participant-{participant.pk}@{ical.calendar_host()}",
    )


class MyCalendarView(RoleRequiredMixin, FormView):
    allowed_roles = (User.Role.TRAINER,)
    template_name = "sessions/enrolment/my_calendar.html"
    form_class = ConfirmForm

    def get_context_data(self, **kwargs):
        user = self.request.user
        feed_url = trainer_feed_url(user)
        return super().get_context_data(
            feed_url=feed_url,
            webcal_url="webcal://" + feed_url.split("://", 1)[-1],
            session_count=trainer_feed_sessions(user=user).count(),
            **kwargs,
        )


class RegenerateCalendarTokenView(MyCalendarView):
    http_method_names = ["post"]

    def form_valid(self, form):
        regenerate_calendar_token(user=self.request.user)
        messages.success(
            self.request,
            _("Nouveau lien créé. L'ancien ne fonctionne plus : abonnez de nouveau votre agenda."),
        )
        return redirect("sessions:my_calendar")
