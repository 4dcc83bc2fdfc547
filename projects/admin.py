"""Fiches, logs, tasks and journals in the admin: read-only. Every change goes through
`projects.services*`, which checks the actor and records a revision; an admin form would
change a fiche behind its history. Journals are private and not shown at all."""

from django.contrib import admin

from formations.admin import ReadOnlyAdmin
from projects.models import FicheRevision, FollowUpEntry, IntersessionTask, ProjectFiche, Theme


@admin.register(Theme)
class ThemeAdmin(ReadOnlyAdmin):
    list_display = ["label", "programme", "position"]
    list_filter = ["programme"]


@admin.register(ProjectFiche)
class ProjectFicheAdmin(ReadOnlyAdmin):
    list_display = ["structure", "programme", "revision", "updated_at"]
    list_filter = ["programme"]
    search_fields = ["structure__name"]


@admin.register(FicheRevision)
class FicheRevisionAdmin(ReadOnlyAdmin):
    list_display = ["fiche", "number", "part", "author_name", "at"]
    list_filter = ["fiche__programme"]


@admin.register(FollowUpEntry)
class FollowUpEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "structure", "kind", "channel", "author"]
    list_filter = ["programme", "kind"]


@admin.register(IntersessionTask)
class IntersessionTaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "structure", "due_on", "done_at"]
    list_filter = ["programme", "kind"]
