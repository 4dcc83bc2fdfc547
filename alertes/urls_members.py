urlpatterns = []

# --- Mass import of members (helper « importmerge ») -----------------------------------
from django.urls import path  # noqa: E402

from alertes import views_members_import  # noqa: E402

urlpatterns += [
    path(
        "alertes/<int:structure>/adherents/importer/",
        views_members_import.member_import,
        name="member_import",
    ),
    path(
        "alertes/<int:structure>/adherents/importer/modele.csv",
        views_members_import.member_import_template,
        name="member_import_template",
    ),
    path(
        "alertes/<int:structure>/adherents/importer/<str:token>/",
        views_members_import.member_import_preview,
        name="member_import_preview",
    ),
    path(
        "alertes/<int:structure>/adherents/importer/<str:token>/confirmer/",
        views_members_import.member_import_confirm,
        name="member_import_confirm",
    ),
]

# --- Duplicates and merge, coordinators only (helper « importmerge ») ------------------
from alertes import views_merge  # noqa: E402

urlpatterns += [
    path("alertes/doublons/", views_merge.duplicates, name="duplicates"),
    path(
        "alertes/doublons/<int:keep>/<int:other>/fusionner/",
        views_merge.merge,
        name="merge",
    ),
]
