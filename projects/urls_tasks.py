"""URLs of the intersession tasks pages (`projects.views_tasks`)."""

from django.urls import path

from projects import views_tasks

PROGRAMME = "programmes/<int:programme>/intersession/"
STRUCTURE = PROGRAMME + "<int:structure>/"

urlpatterns = [
    path(PROGRAMME, views_tasks.task_list, name="task_list"),
    path(PROGRAMME + "nouveau/", views_tasks.task_add, name="task_add"),
    path(
        PROGRAMME + "lot/<uuid:batch>/modifier/",
        views_tasks.task_batch_edit,
        name="task_batch_edit",
    ),
    path(
        PROGRAMME + "lot/<uuid:batch>/supprimer/",
        views_tasks.task_batch_remove,
        name="task_batch_remove",
    ),
    path(PROGRAMME + "travail/<int:task>/supprimer/", views_tasks.task_remove, name="task_remove"),
    path(STRUCTURE, views_tasks.structure_tasks, name="structure_tasks"),
    path(STRUCTURE + "<int:task>/fait/", views_tasks.task_done, name="task_done"),
    path(STRUCTURE + "<int:task>/a-refaire/", views_tasks.task_undo, name="task_undo"),
    path(STRUCTURE + "<int:task>/document/", views_tasks.task_document, name="task_document"),
]
