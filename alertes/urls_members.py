from django.urls import path

from alertes import views_members

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
    # The import, duplicates and merge pages (another part) come here.
]
