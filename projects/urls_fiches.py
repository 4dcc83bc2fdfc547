"""URLs of the fiche projet pages: the programme's themes, its list of fiches, a fiche,
the forms of its parts, its history and an earlier state."""

from django.urls import path

from projects import views_fiches as views

FICHE = "programmes/<int:programme>/fiches/<int:structure>/"
THEMES = "programmes/<int:programme>/thematiques/"

urlpatterns: list = [
    path(THEMES, views.theme_list, name="theme_list"),
    path(f"{THEMES}<int:theme>/modifier/", views.theme_edit, name="theme_edit"),
    path(f"{THEMES}<int:theme>/deplacer/", views.theme_move_view, name="theme_move"),
    path(f"{THEMES}<int:theme>/supprimer/", views.theme_delete_view, name="theme_delete"),
    path("programmes/<int:programme>/fiches/", views.fiche_list, name="fiche_list"),
    path(FICHE, views.fiche_detail_view, name="fiche_detail"),
    path(f"{FICHE}modifier/donnees/", views.fiche_edit_data, name="fiche_edit_data"),
    path(f"{FICHE}modifier/thematiques/", views.fiche_edit_themes, name="fiche_edit_themes"),
    path(
        f"{FICHE}modifier/projet-<slug:kind>/",
        views.fiche_edit_project,
        name="fiche_edit_project",
    ),
    path(f"{FICHE}modifier/enseignements/", views.fiche_edit_lessons, name="fiche_edit_lessons"),
    path(f"{FICHE}historique/", views.fiche_history, name="fiche_history"),
    path(f"{FICHE}historique/<int:number>/", views.fiche_revision_view, name="fiche_revision"),
]
