"""Admin for the sessions app.

Sessions, half-days and enrolments can be edited here. Émargements, seals,
rectifications and paper scans are evidence: they are written only through
`sessions.services` (which validate, lock, seal and log), so the admin shows them
read-only. A sealed half-day is read-only too: changing its times would break its seal.
"""

from django.contrib import admin

from sessions.models import (
    Attendance,
    Enrolment,
    PaperSheetScan,
    Rectification,
    Seal,
    Slot,
    TrainingSession,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    fields = ["starts_at", "ends_at", "countersigned_by", "countersigned_at"]
    readonly_fields = ["countersigned_by", "countersigned_at"]
    show_change_link = True

    # Existing half-days are edited on their own page, which locks sealed ones.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["code", "formation", "place", "time_zone", "modality", "status"]
    list_filter = ["status", "modality", "time_zone"]
    search_fields = ["code", "place", "formation__contract_reference", "formation__title"]
    list_select_related = ["formation"]
    filter_horizontal = ["trainers"]
    inlines = [SlotInline]
    # Changed from the QR page only, through session_set_shared_devices (logged).
    readonly_fields = ["allow_shared_devices"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "starts_at", "ends_at", "countersigned_at"]
    list_filter = ["session__formation"]
    search_fields = ["session__code"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    exclude = ["countersignature"]
    readonly_fields = ["countersigned_by", "countersigned_at"]

    def get_readonly_fields(self, request, obj=None):
        # The countersignature is written by slot_countersign only; a sealed slot never
        # changes in place.
        if obj is not None and obj.is_sealed:
            return ["session", "starts_at", "ends_at", "countersigned_by", "countersigned_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_sealed:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["participant", "session", "enrolled_at", "convocation_sent_at"]
    search_fields = ["participant__last_name", "participant__first_name", "session__code"]
    list_select_related = ["participant", "session"]
    raw_id_fields = ["participant", "session", "enrolled_by"]

    def get_readonly_fields(self, request, obj=None):
        # Sealed émargements hash the participant of their enrolment.
        if obj is not None and obj.attendances.exists():
            return ["participant", "session"]
        return []


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "slot", "status", "minutes_attended", "method", "signed_at"]
    list_filter = ["status", "method"]
    search_fields = ["enrolment__participant__last_name", "slot__session__code"]
    list_select_related = ["enrolment__participant", "enrolment__session", "slot__session"]
    exclude = ["signature"]


@admin.register(Seal)
class SealAdmin(ReadOnlyAdmin):
    list_display = ["slot", "sequence", "digest", "sealed_at", "sealed_by"]
    search_fields = ["session__code", "digest"]
    list_select_related = ["slot__session", "sealed_by"]


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ["attendance", "created_at", "author", "reason"]
    search_fields = ["attendance__enrolment__participant__last_name", "reason"]
    list_select_related = [
        "attendance__enrolment__participant",
        "attendance__slot__session",
        "author",
    ]


@admin.register(PaperSheetScan)
class PaperSheetScanAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "slot", "sha256", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "sha256", "slot__session__code"]
    list_select_related = ["slot__session", "uploaded_by"]
