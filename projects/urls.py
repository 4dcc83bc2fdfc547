"""The projects pages, one module per part: fiches projet (and themes, history), the
follow-up of structures, intersession tasks, and the journal de bord."""

from projects import urls_fiches, urls_followup, urls_journal, urls_tasks

app_name = "projects"

urlpatterns = [
    *urls_fiches.urlpatterns,
    *urls_followup.urlpatterns,
    *urls_tasks.urlpatterns,
    *urls_journal.urlpatterns,
]
