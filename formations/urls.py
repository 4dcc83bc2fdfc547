from django.urls import include, path

from formations import views, views_media
from formations.sms import webhook as sms_webhook

app_name = "formations"

urlpatterns = [
    path("", include("formations.urls_import")),
    path("", include("formations.urls_accounts")),
    path("", include("formations.urls_outbox")),
    path("programmes/", views.ProgrammeListView.as_view(), name="programme_list"),
    path("programmes/nouveau/", views.ProgrammeCreateView.as_view(), name="programme_create"),
    path("programmes/<int:pk>/", views.ProgrammeDetailView.as_view(), name="programme_detail"),
    path(
        "programmes/<int:pk>/modifier/", views.ProgrammeUpdateView.as_view(), name="programme_edit"
    ),
    path("formations/", views.FormationListView.as_view(), name="formation_list"),
    path("formations/nouvelle/", views.FormationCreateView.as_view(), name="formation_create"),
    path("formations/<int:pk>/", views.FormationDetailView.as_view(), name="formation_detail"),
    path(
        "formations/<int:pk>/modifier/", views.FormationUpdateView.as_view(), name="formation_edit"
    ),
    path(
        "formations/<int:pk>/historique/",
        views.FormationHistoryView.as_view(),
        name="formation_history",
    ),
    path("structures/", views.StructureListView.as_view(), name="structure_list"),
    path("structures/nouvelle/", views.StructureCreateView.as_view(), name="structure_create"),
    path("structures/<int:pk>/", views.StructureDetailView.as_view(), name="structure_detail"),
    path(
        "structures/<int:pk>/modifier/", views.StructureUpdateView.as_view(), name="structure_edit"
    ),
    path("participants/", views.ParticipantListView.as_view(), name="participant_list"),
    path("participants/nouveau/", views.ParticipantCreateView.as_view(), name="participant_create"),
    path(
        "participants/<int:pk>/", views.ParticipantDetailView.as_view(), name="participant_detail"
    ),
    path(
        "participants/<int:pk>/modifier/",
        views.ParticipantUpdateView.as_view(),
        name="participant_edit",
    ),
    path(
        "participants/<int:pk>/accords/",
        views.ParticipantConsentView.as_view(),
        name="participant_consents",
    ),
    path(
        "participants/<int:pk>/historique/",
        views.ParticipantHistoryView.as_view(),
        name="participant_history",
    ),
    path("organisme/", views.ProviderIdentityView.as_view(), name="provider_identity"),
    path("financeurs/", views.FunderListView.as_view(), name="funder_list"),
    path("financeurs/nouveau/", views.FunderCreateView.as_view(), name="funder_create"),
    path("financeurs/<int:pk>/", views.FunderDetailView.as_view(), name="funder_detail"),
    path("financeurs/<int:pk>/modifier/", views.FunderUpdateView.as_view(), name="funder_edit"),
    # Public: MEDIA_URL + "funders/…", the URL of Funder.emblem (see views_media).
    path("media/funders/<path:name>", views_media.funder_emblem, name="funder_emblem"),
    # Public, authenticated by a shared secret: receipts and replies from the SMS provider.
    path("webhooks/sms/<slug:provider>/", sms_webhook.sms_webhook, name="sms_webhook"),
]
