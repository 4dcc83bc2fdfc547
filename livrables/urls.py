from django.urls import path

from livrables import views

app_name = "livrables"

urlpatterns = [
    path("sessions/<int:pk>/feuille-emargement.pdf", views.session_sheet, name="session_sheet"),
    path(
        "sessions/<int:pk>/feuille-vierge.pdf",
        views.session_blank_sheet,
        name="session_blank_sheet",
    ),
]
