"""URLs of the project team and road map pages of a fiche (part A2)."""

from django.urls import path

from projects import views_roadmap, views_team

FICHE = "programmes/<int:programme>/fiches/<int:structure>/"
TEAM = FICHE + "equipe/"
ROADMAP = FICHE + "feuille-de-route/"

urlpatterns: list = [
    path(TEAM, views_team.fiche_team, name="fiche_team"),
    path(TEAM + "ajouter/", views_team.fiche_team_add, name="fiche_team_add"),
    path(TEAM + "<int:member>/modifier/", views_team.fiche_team_edit, name="fiche_team_edit"),
    path(TEAM + "<int:member>/retirer/", views_team.fiche_team_remove, name="fiche_team_remove"),
    path(TEAM + "<int:member>/deplacer/", views_team.fiche_team_move, name="fiche_team_move"),
    path(
        TEAM + "<int:member>/referent/",
        views_team.fiche_team_referent,
        name="fiche_team_referent",
    ),
    path(ROADMAP, views_roadmap.fiche_roadmap, name="fiche_roadmap"),
    path(ROADMAP + "axes/ajouter/", views_roadmap.roadmap_axis_add, name="roadmap_axis_add"),
    path(
        ROADMAP + "axes/<int:axis>/modifier/",
        views_roadmap.roadmap_axis_edit,
        name="roadmap_axis_edit",
    ),
    path(
        ROADMAP + "axes/<int:axis>/supprimer/",
        views_roadmap.roadmap_axis_delete,
        name="roadmap_axis_delete",
    ),
    path(
        ROADMAP + "axes/<int:axis>/deplacer/",
        views_roadmap.roadmap_axis_move,
        name="roadmap_axis_move",
    ),
    path(
        ROADMAP + "axes/<int:axis>/actions/ajouter/",
        views_roadmap.roadmap_action_add,
        name="roadmap_action_add",
    ),
    path(
        ROADMAP + "actions/<int:action>/modifier/",
        views_roadmap.roadmap_action_edit,
        name="roadmap_action_edit",
    ),
    path(
        ROADMAP + "actions/<int:action>/supprimer/",
        views_roadmap.roadmap_action_delete,
        name="roadmap_action_delete",
    ),
    path(
        ROADMAP + "actions/<int:action>/deplacer/",
        views_roadmap.roadmap_action_move,
        name="roadmap_action_move",
    ),
    path(
        ROADMAP + "actions/<int:action>/etat/",
        views_roadmap.roadmap_action_status,
        name="roadmap_action_status",
    ),
]
