"""URLs of the follow-up of structures: the overview of a programme, the log of each
structure, its entries, and the reminder sent from the overview."""

from django.urls import path

from projects import views_followup as views

urlpatterns = [
    path("programmes/<int:programme>/suivi/", views.follow_up, name="follow_up"),
    path(
        "programmes/<int:programme>/suivi/relance/",
        views.follow_up_remind_view,
        name="follow_up_remind",
    ),
    path(
        "programmes/<int:programme>/suivi/<int:structure>/",
        views.follow_up_log,
        name="follow_up_log",
    ),
    path(
        "programmes/<int:programme>/suivi/<int:structure>/entrees/<int:entry>/modifier/",
        views.follow_up_entry_edit,
        name="follow_up_entry_edit",
    ),
    path(
        "programmes/<int:programme>/suivi/<int:structure>/entrees/<int:entry>/supprimer/",
        views.follow_up_entry_delete,
        name="follow_up_entry_delete",
    ),
    path(
        "programmes/<int:programme>/suivi/<int:structure>/entrees/<int:entry>/repondre/",
        views.follow_up_entry_answer,
        name="follow_up_entry_answer",
    ),
]
