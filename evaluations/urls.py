from django.urls import path

from evaluations import views_results

app_name = "evaluations"

# Filled by the pages of questionnaires, campaigns, answers and results.
urlpatterns: list = []

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
