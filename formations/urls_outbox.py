from django.urls import path

from formations import views_outbox as views

urlpatterns = [
    path("envois/", views.OutboxListView.as_view(), name="outbox"),
    path("envois/<int:pk>/", views.OutboxMessageView.as_view(), name="outbox_message"),
    path("envois/<int:pk>/relancer/", views.OutboxRetryView.as_view(), name="outbox_retry"),
    path(
        "envois/<int:pk>/pieces-jointes/<int:index>/",
        views.OutboxAttachmentView.as_view(),
        name="outbox_attachment",
    ),
    path("taches/<uuid:pk>/", views.JobProgressView.as_view(), name="job_progress"),
]
