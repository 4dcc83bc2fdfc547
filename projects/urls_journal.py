"""URLs of the journal de bord: the participant's own pages (in their space) and the
trainers' reading of what was shared with them."""

from django.urls import path

from projects import views_journal

urlpatterns: list = [
    path("mon-espace/journal/", views_journal.journal, name="journal"),
    path(
        "mon-espace/journal/<int:entry>/modifier/", views_journal.journal_edit, name="journal_edit"
    ),
    path(
        "mon-espace/journal/<int:entry>/supprimer/",
        views_journal.journal_delete,
        name="journal_delete",
    ),
    path(
        "mon-espace/journal/<int:entry>/partage/", views_journal.journal_share, name="journal_share"
    ),
    path(
        "programmes/<int:programme>/journaux/",
        views_journal.shared_journal,
        name="shared_journal",
    ),
]
