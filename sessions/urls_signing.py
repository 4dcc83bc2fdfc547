from django.urls import path

from sessions.views.signing import qr, remote, tablet, trainer_page

urlpatterns = [
    path("demi-journees/<int:pk>/", trainer_page.SlotDetailView.as_view(), name="slot_detail"),
    path("demi-journees/<int:pk>/tablette/", tablet.SlotTabletView.as_view(), name="slot_tablet"),
    path(
        "demi-journees/<int:pk>/tablette/<int:enrolment_pk>/",
        tablet.SlotTabletSignView.as_view(),
        name="slot_tablet_sign",
    ),
    path("tablette/deverrouiller/", tablet.TabletUnlockView.as_view(), name="tablet_unlock"),
    path("demi-journees/<int:pk>/qr/", qr.SlotQrView.as_view(), name="slot_qr"),
    path("demi-journees/<int:pk>/qr/image/", qr.SlotQrImageView.as_view(), name="slot_qr_image"),
    path(
        "demi-journees/<int:pk>/liens/",
        remote.SlotRemoteLinksView.as_view(),
        name="slot_remote_links",
    ),
    # Public pages (no account): the token is the credential.
    path("emargement/qr/<int:slot_pk>/<str:token>/", qr.SignQrView.as_view(), name="sign_qr"),
    path("emargement/lien/<str:token>/", remote.SignRemoteView.as_view(), name="sign_remote"),
]
