"""The projects pages, one module per part: fiches projet (and themes, history), the
team and road map, the follow-up of structures, intersession tasks, and the journal de bord."""

from projects import urls_fiches, urls_followup, urls_journal, urls_tasks, urls_team

app_name = "projects"

urlpatterns = [
    *urls_fiches.urlpatterns,
    *urls_team.urlpatterns,
    *urls_followup.urlpatterns,
    *urls_tasks.urlpatterns,
    *urls_journal.urlpatterns,
]
