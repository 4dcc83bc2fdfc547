from django.urls import path

from sessions.views import manage

urlpatterns = [
    path("sessions/", manage.SessionListView.as_view(), name="session_list"),
    path("sessions/nouvelle/", manage.SessionFormView.as_view(), name="session_create"),
    path("sessions/<int:pk>/", manage.SessionDetailView.as_view(), name="session_detail"),
    path("sessions/<int:pk>/modifier/", manage.SessionFormView.as_view(), name="session_edit"),
    path(
        "sessions/<int:pk>/historique/", manage.SessionHistoryView.as_view(), name="session_history"
    ),
]
