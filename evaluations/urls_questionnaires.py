"""The coordinators' questionnaire pages (evaluations.views_questionnaires)."""

from django.urls import path

from evaluations import views_questionnaires as views

urlpatterns = [
    path("questionnaires/", views.questionnaire_list, name="questionnaire_list"),
    path("questionnaires/nouveau/", views.questionnaire_create_view, name="questionnaire_create"),
    path("questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire_detail"),
    path("questionnaires/<int:pk>/modifier/", views.questionnaire_edit, name="questionnaire_edit"),
    path(
        "questionnaires/<int:pk>/archiver/",
        views.questionnaire_archive,
        name="questionnaire_archive",
    ),
    path(
        "questionnaires/<int:pk>/supprimer/",
        views.questionnaire_delete_view,
        name="questionnaire_delete",
    ),
    path(
        "questionnaires/<int:pk>/versions/",
        views.questionnaire_versions,
        name="questionnaire_versions",
    ),
    path(
        "questionnaires/<int:pk>/versions/<int:number>/",
        views.questionnaire_version,
        name="questionnaire_version",
    ),
    path(
        "questionnaires/<int:pk>/parties/ajouter/",
        views.section_add_view,
        name="questionnaire_section_add",
    ),
    path(
        "questionnaires/<int:pk>/parties/<int:section_pk>/modifier/",
        views.section_edit,
        name="questionnaire_section_edit",
    ),
    path(
        "questionnaires/<int:pk>/parties/<int:section_pk>/supprimer/",
        views.section_delete_view,
        name="questionnaire_section_delete",
    ),
    path(
        "questionnaires/<int:pk>/parties/<int:section_pk>/deplacer/",
        views.section_move_view,
        name="questionnaire_section_move",
    ),
    path(
        "questionnaires/<int:pk>/parties/<int:section_pk>/ajouter-une-question/",
        views.question_add_view,
        name="questionnaire_question_add",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:question_pk>/modifier/",
        views.question_edit,
        name="questionnaire_question_edit",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:question_pk>/supprimer/",
        views.question_delete_view,
        name="questionnaire_question_delete",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:question_pk>/deplacer/",
        views.question_move_view,
        name="questionnaire_question_move",
    ),
]
