from django.urls import path

from formations import views_import

urlpatterns = [
    path(
        "participants/import/",
        views_import.ParticipantImportView.as_view(),
        name="participant_import",
    ),
    path(
        "participants/import/modele_participants.csv",
        views_import.ParticipantImportTemplateView.as_view(),
        name="participant_import_template",
    ),
    path(
        "participants/import/<slug:token>/",
        views_import.ParticipantImportPreviewView.as_view(),
        name="participant_import_preview",
    ),
    path(
        "participants/import/<slug:token>/confirmer/",
        views_import.ParticipantImportConfirmView.as_view(),
        name="participant_import_confirm",
    ),
]
