"""Admin of the formations app, for a technical administrator (a superuser made with
`createsuperuser`): coordinators work in the application's own pages.

The admin never bypasses a rule of the services. Evidence is read-only there, and what
the evidence points at cannot be deleted: foreign keys to it are PROTECT, and
`LockedDeleteMixin` refuses the rest (a user named in the audit journal, a funder of a
programme) with the reason shown instead of a server error.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from formations.forms import PARTICIPANT_FIELDS
from formations.locks import locked_fields
from formations.models import (
    AuditEntry,
    ContactConsent,
    Formation,
    Funder,
    OutboxMessage,
    Participant,
    Programme,
    SmsEvent,
    Structure,
    User,
)
from formations.phones import PhoneError, normalize_phone, region_for_structure


class LockedDeleteMixin:
    """Refuses to delete an object for which `locked_reason(obj)` gives a reason.

    The delete page of such an object answers 403 (its « Supprimer » link is gone), and the
    « Supprimer les … sélectionnés » action lists it among the protected objects, with its
    reason, and deletes nothing.
    """

    def locked_reason(self, obj) -> str | None:
        raise NotImplementedError

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.locked_reason(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        locked = [f"{obj} — {reason}" for obj in objs if (reason := self.locked_reason(obj))]
        if locked:
            # The collector asked has_delete_permission() of each object, so the locked
            # ones also appear as "permission needed", a page that would hide the reasons.
            # Nothing is deleted while `protected` is not empty.
            perms_needed = set()
        return to_delete, model_count, perms_needed, [*protected, *locked]


@admin.register(Funder)
class FunderAdmin(LockedDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def locked_reason(self, obj):
        # Deleting it would silently drop its emblem from the programmes' documents.
        if obj.programmes.exists():
            return gettext("financeur d'au moins un programme")
        return None


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

    def get_readonly_fields(self, request, obj=None):
        # The same lock as the app's form and `record_save`: signed sheets print these.
        return (*super().get_readonly_fields(request, obj), *locked_fields(obj))


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "kind_label", "commune", "territory"]
    list_filter = ["kind", "territory"]
    search_fields = ["name", "commune", "kind_label"]


class ParticipantAdminForm(forms.ModelForm):
    """The phone typed as in the application's form (« 0639 … »), stored in E.164."""

    class Meta:
        model = Participant
        fields = PARTICIPANT_FIELDS

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("phone"):
            try:
                cleaned["phone"] = normalize_phone(
                    cleaned["phone"], region=region_for_structure(cleaned.get("structure"))
                )
            except PhoneError as exc:
                self.add_error("phone", exc.message)
        return cleaned


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    form = ParticipantAdminForm
    list_display = ["last_name", "first_name", "email", "structure", "job_title"]
    list_filter = ["structure__kind"]
    search_fields = ["last_name", "first_name", "email"]
    list_select_related = ["structure"]


@admin.register(User)
class UserAdmin(LockedDeleteMixin, BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "structure"]
    list_filter = ["role", "is_staff"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Rôle dans Suivi Formations"), {"fields": ["role", "funders", "structure"]}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Rôle"), {"fields": ["role", "structure"]}),)
    filter_horizontal = ["funders", "groups", "user_permissions"]

    def locked_reason(self, obj):
        # The journal would lose its author (SET_NULL): deactivate the account instead.
        if AuditEntry.objects.filter(actor=obj).exists():
            return gettext("nommé·e dans le journal d'audit : désactivez le compte")
        return None


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "summary", "ip_address"]
    list_filter = ["action"]
    search_fields = ["summary", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: written by their services, read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: messages are written by the services and delivered by the worker; the
    coordinators' page « Envois » shows them and retries one."""

    list_display = ["created_at", "channel", "recipient", "purpose", "status", "attempts"]
    list_filter = ["channel", "status", "purpose"]
    search_fields = ["recipient", "subject"]


@admin.register(ContactConsent)
class ContactConsentAdmin(ReadOnlyAdmin):
    list_display = ["at", "participant", "channel", "purpose", "action", "method"]
    list_filter = ["channel", "purpose", "action", "method"]
    list_select_related = ["participant"]
    search_fields = ["participant__last_name", "participant__email"]


@admin.register(SmsEvent)
class SmsEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "status", "message_id", "phone"]
    list_filter = ["provider", "status"]
    search_fields = ["message_id", "phone"]
