app_name = "evaluations"

# Filled by the pages of questionnaires, campaigns, answers and results.
urlpatterns: list = []
