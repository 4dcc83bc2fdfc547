from django.urls import include, path

app_name = "sessions"

# One module per area (planning, signing, enrolment and calendars, paper fallback, audit),
# all under the "sessions" namespace.
urlpatterns = [
    path("", include("sessions.urls_manage")),
    path("", include("sessions.urls_signing")),
    path("", include("sessions.urls_enrolment")),
    path("", include("sessions.urls_paper")),
    path("", include("sessions.urls_audit")),
]
