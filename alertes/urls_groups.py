from django.urls import path

from alertes import views_groups

urlpatterns = [
    path("alertes/<int:structure>/groupes/", views_groups.group_list, name="group_list"),
    path(
        "alertes/<int:structure>/groupes/nouveau/",
        views_groups.group_create_view,
        name="group_create",
    ),
    path(
        "alertes/<int:structure>/groupes/<int:group>/modifier/",
        views_groups.group_edit,
        name="group_edit",
    ),
    path(
        "alertes/<int:structure>/groupes/<int:group>/supprimer/",
        views_groups.group_delete_view,
        name="group_delete",
    ),
]
