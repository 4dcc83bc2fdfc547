from django.urls import path

from evaluations import views_campaigns

app_name = "evaluations"

# Filled by the pages of questionnaires, campaigns, answers and results.
urlpatterns: list = [
    # Campaigns (views_campaigns).
    path(
        "evaluations/sessions/<int:pk>/campagnes/nouvelle/",
        views_campaigns.campaign_create_session,
        name="campaign_create_session",
    ),
    path(
        "evaluations/sessions/<int:pk>/campagnes/a-chaud-et-a-froid/",
        views_campaigns.session_schedule_defaults,
        name="session_schedule_defaults",
    ),
    path(
        "evaluations/formations/<int:pk>/campagnes/nouvelle/",
        views_campaigns.campaign_create_formation,
        name="campaign_create_formation",
    ),
    path(
        "evaluations/campagnes/<int:pk>/", views_campaigns.campaign_detail, name="campaign_detail"
    ),
    path(
        "evaluations/campagnes/<int:pk>/modifier/",
        views_campaigns.campaign_edit,
        name="campaign_edit",
    ),
    path(
        "evaluations/campagnes/<int:pk>/annuler/",
        views_campaigns.campaign_cancel_view,
        name="campaign_cancel",
    ),
]
