from django.urls import path, re_path

from sessions.views import calendar, enrolment, space

# Calendar tokens are `secrets.token_urlsafe(24)`: 32 URL-safe characters. Anything else
# cannot be a token and never reaches the database.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{16,64})"

urlpatterns = [
    path(
        "sessions/<int:pk>/inscriptions/",
        enrolment.SessionEnrolmentsView.as_view(),
        name="session_enrolments",
    ),
    path(
        "sessions/<int:pk>/inscriptions/ajouter/",
        enrolment.EnrolParticipantsView.as_view(),
        name="session_enrol_participants",
    ),
    path(
        "sessions/<int:pk>/inscriptions/structure/",
        enrolment.EnrolStructureView.as_view(),
        name="session_enrol_structure",
    ),
    path(
        "sessions/<int:pk>/inscriptions/import/",
        enrolment.EnrolImportView.as_view(),
        name="session_enrol_import",
    ),
    path(
        "sessions/<int:pk>/inscriptions/<int:enrolment_pk>/retirer/",
        enrolment.UnenrolView.as_view(),
        name="session_unenrol",
    ),
    path(
        "sessions/<int:pk>/convocations/",
        enrolment.ConvocationsView.as_view(),
        name="session_convocations",
    ),
    path("sessions/<int:pk>/calendrier.ics", calendar.session_ics, name="session_ics"),
    re_path(
        rf"^calendrier/formateur/{TOKEN}\.ics$",
        calendar.calendar_feed_trainer,
        name="calendar_feed_trainer",
    ),
    re_path(
        rf"^calendrier/participant/{TOKEN}\.ics$",
        calendar.calendar_feed_participant,
        name="calendar_feed_participant",
    ),
    path("mon-calendrier/", calendar.MyCalendarView.as_view(), name="my_calendar"),
    # The participant's own space (formations.views_space): one of their convocations.
    path(
        "mon-espace/sessions/<int:pk>/convocation.ics",
        space.space_session_ics,
        name="space_session_ics",
    ),
    path(
        "mon-calendrier/nouveau-lien/",
        calendar.RegenerateCalendarTokenView.as_view(),
        name="my_calendar_regenerate",
    ),
]
