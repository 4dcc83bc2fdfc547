from evaluations.urls_questionnaires import urlpatterns as questionnaire_urls

app_name = "evaluations"

# Filled by the pages of questionnaires, campaigns, answers and results.
urlpatterns: list = []
urlpatterns += questionnaire_urls
