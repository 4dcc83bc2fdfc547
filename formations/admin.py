from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from formations.models import (
    AuditEntry,
    DemoEmail,
    Formation,
    Funder,
    Participant,
    Programme,
    Structure,
    User,
)


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "carrier", "start_date", "end_date"]
    search_fields = ["reference", "title", "carrier"]
    filter_horizontal = ["funders", "structures"]


@admin.register(Formation)
class FormationAdmin(admin.ModelAdmin):
    list_display = ["contract_reference", "title", "programme", "pricing_mode", "amount"]
    list_filter = ["pricing_mode", "programme"]
    search_fields = ["contract_reference", "title"]
    list_select_related = ["programme"]


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "kind_label", "commune", "territory"]
    list_filter = ["kind", "territory"]
    search_fields = ["name", "commune", "kind_label"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "email", "structure", "job_title"]
    list_filter = ["structure__kind"]
    search_fields = ["last_name", "first_name", "email"]
    list_select_related = ["structure"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "structure"]
    list_filter = ["role", "is_staff"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Rôle dans Suivi Formations"), {"fields": ["role", "funders", "structure"]}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Rôle"), {"fields": ["role", "structure"]}),)
    filter_horizontal = ["funders", "groups", "user_permissions"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DemoEmail)
class DemoEmailAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "to", "subject"]
