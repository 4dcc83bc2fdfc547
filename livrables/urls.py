from django.urls import path

from livrables import views

app_name = "livrables"

urlpatterns = [
    path("sessions/<int:pk>/feuille-emargement.pdf", views.session_sheet, name="session_sheet"),
    path(
        "sessions/<int:pk>/extrait-emargement.pdf",
        views.session_sheet_extract,
        name="session_sheet_extract",
    ),
    path(
        "sessions/<int:pk>/feuille-vierge.pdf",
        views.session_blank_sheet,
        name="session_blank_sheet",
    ),
    # Public: the address printed (and QR-coded) on every issued document. Keep it in step
    # with `livrables.data.verification_url()`.
    path("verifier/", views.verify_lookup, name="verify_lookup"),
    path("verifier/<str:number>/", views.verify_document, name="verify_document"),
]
