from django.urls import path

from sessions.views import signing, tablet

urlpatterns = [
    path("demi-journees/<int:pk>/", signing.SlotDetailView.as_view(), name="slot_detail"),
    path("demi-journees/<int:pk>/tablette/", signing.SlotTabletView.as_view(), name="slot_tablet"),
    path(
        "demi-journees/<int:pk>/tablette/<int:enrolment_pk>/",
        signing.SlotTabletSignView.as_view(),
        name="slot_tablet_sign",
    ),
    path("tablette/deverrouiller/", tablet.TabletUnlockView.as_view(), name="tablet_unlock"),
    path("demi-journees/<int:pk>/qr/", signing.SlotQrView.as_view(), name="slot_qr"),
    path(
        "demi-journees/<int:pk>/qr/image/", signing.SlotQrImageView.as_view(), name="slot_qr_image"
    ),
    path(
        "demi-journees/<int:pk>/liens/",
        signing.SlotRemoteLinksView.as_view(),
        name="slot_remote_links",
    ),
    # Public pages (no account): the token is the credential.
    path("emargement/qr/<int:slot_pk>/<str:token>/", signing.SignQrView.as_view(), name="sign_qr"),
    path("emargement/lien/<str:token>/", signing.SignRemoteView.as_view(), name="sign_remote"),
]
