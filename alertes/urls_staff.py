from django.urls import path

from alertes import views_staff

urlpatterns = [
    path("alertes/<int:structure>/equipe/", views_staff.staff_list, name="staff_list"),
    path("alertes/<int:structure>/equipe/nouveau/", views_staff.staff_create, name="staff_create"),
    path(
        "alertes/<int:structure>/equipe/<int:account>/desactiver/",
        views_staff.staff_deactivate,
        name="staff_deactivate",
    ),
    path(
        "alertes/<int:structure>/equipe/<int:account>/reactiver/",
        views_staff.staff_reactivate,
        name="staff_reactivate",
    ),
]
