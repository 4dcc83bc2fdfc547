"""Questionnaires in the admin: read-only. Every change goes through
`evaluations.services_questionnaires` (the coordinators' « Questionnaires » pages), which
copies a used version before changing it; an admin form would edit an answered version
in place, behind the answers' back."""

from django.contrib import admin

from evaluations.models import Question, Questionnaire, QuestionnaireVersion, Section
from formations.admin import ReadOnlyAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(ReadOnlyInline):
    model = QuestionnaireVersion
    fields = ["number", "created_at", "created_by"]
    readonly_fields = fields


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ["position", "title"]
    readonly_fields = fields


class QuestionInline(ReadOnlyInline):
    model = Question
    fields = ["position", "kind", "text", "required"]
    readonly_fields = fields


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "nominative", "code", "archived", "updated_at"]
    list_filter = ["kind", "nominative", "archived"]
    search_fields = ["title", "code"]
    inlines = [VersionInline]


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(ReadOnlyAdmin):
    list_display = ["questionnaire", "number", "created_at", "created_by"]
    list_select_related = ["questionnaire", "created_by"]
    search_fields = ["questionnaire__title"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(ReadOnlyAdmin):
    list_display = ["title", "version", "position"]
    list_select_related = ["version__questionnaire"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["text", "kind", "section", "position", "required"]
    list_filter = ["kind"]
    list_select_related = ["section"]
    search_fields = ["text"]
