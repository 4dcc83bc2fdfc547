from django.urls import path

from evaluations import views_results, views_synthesis

app_name = "evaluations"

# Filled by the pages of questionnaires, campaigns, answers and results.
urlpatterns: list = []

# Syntheses: hiding a comment from the funder's copy, the raw answers' exports.
urlpatterns += [
    path(
        "evaluations/commentaires/<int:pk>/masquer/",
        views_synthesis.comment_hide_view,
        name="comment_hide",
    ),
    path(
        "evaluations/formations/<int:pk>/reponses.<str:export_format>",
        views_synthesis.answers_export,
        name="answers_export",
    ),
]

# Results of a questionnaire on a session, on a formation (evaluations.views_results).
urlpatterns += [
    path(
        "sessions/<int:pk>/resultats/<int:questionnaire_pk>/",
        views_results.SessionResultsView.as_view(),
        name="session_results",
    ),
    path(
        "formations/<int:pk>/resultats/<int:questionnaire_pk>/",
        views_results.FormationResultsView.as_view(),
        name="formation_results",
    ),
]
