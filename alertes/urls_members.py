from django.urls import path

from alertes import views_members, views_members_import, views_merge

urlpatterns = [
    path("alertes/<int:structure>/adherents/", views_members.member_list, name="member_list"),
    path(
        "alertes/<int:structure>/adherents/inscrire/",
        views_members.member_register_view,
        name="member_register",
    ),
    path(
        "alertes/<int:structure>/adherents/<int:membership>/",
        views_members.member_detail,
        name="member_detail",
    ),
    path(
        "alertes/<int:structure>/adherents/<int:membership>/modifier/",
        views_members.member_edit,
        name="member_edit",
    ),
    path(
        "alertes/<int:structure>/adherents/<int:membership>/accords/",
        views_members.member_consents,
        name="member_consents",
    ),
    path(
        "alertes/<int:structure>/adherents/<int:membership>/fin-du-suivi/",
        views_members.member_end_view,
        name="member_end",
    ),
    path(
        "alertes/<int:structure>/adherents/<int:membership>/reprendre/",
        views_members.member_resume_view,
        name="member_resume",
    ),
    # Mass import of members (CSV, XLSX): upload, model file, preview, confirmation.
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
    # Duplicates across structures and their merge: coordinators only.
    path("alertes/doublons/", views_merge.duplicates, name="duplicates"),
    path(
        "alertes/doublons/<int:keep>/<int:other>/fusionner/",
        views_merge.merge,
        name="merge",
    ),
]
