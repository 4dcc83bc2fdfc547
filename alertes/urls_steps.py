from django.urls import path

from alertes import views_steps

urlpatterns = [
    path(
        "alertes/<int:structure>/adherents/<int:membership>/demarches/ajouter/",
        views_steps.step_add_view,
        name="step_add",
    ),
    path(
        "alertes/<int:structure>/demarches/<int:step>/modifier/",
        views_steps.step_edit_view,
        name="step_edit",
    ),
    path(
        "alertes/<int:structure>/demarches/<int:step>/arreter/",
        views_steps.step_end_view,
        name="step_end",
    ),
    path("alertes/<int:structure>/semaine/", views_steps.week_view, name="week"),
]
