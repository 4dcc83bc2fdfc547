from django.urls import path

from alertes import views_campaigns as views
from alertes import views_unsubscribe

urlpatterns = [
    path("alertes/<int:structure>/campagnes/", views.campaign_list, name="campaign_list"),
    path(
        "alertes/<int:structure>/campagnes/nouvelle/",
        views.campaign_create_view,
        name="campaign_create",
    ),
    path(
        "alertes/<int:structure>/campagnes/<int:campaign>/",
        views.campaign_detail,
        name="campaign_detail",
    ),
    path(
        "alertes/<int:structure>/campagnes/<int:campaign>/modifier/",
        views.campaign_edit,
        name="campaign_edit",
    ),
    path(
        "alertes/<int:structure>/campagnes/<int:campaign>/annuler/",
        views.campaign_cancel_view,
        name="campaign_cancel",
    ),
    path(
        "alertes/<int:structure>/campagnes/<int:campaign>/reutiliser/",
        views.campaign_reuse_view,
        name="campaign_reuse",
    ),
    path("alertes/desinscription/<str:token>/", views_unsubscribe.unsubscribe, name="unsubscribe"),
]
