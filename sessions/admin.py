"""Admin for the sessions app, with the same locks as the services.

Émargements, seals, rectifications and paper scans are evidence: they are written only
through `sessions.services` (which validate, lock, seal and log), so the admin shows them
read-only and never deletes them. Sessions, half-days and enrolments can be edited here
until they hold evidence; from then on `sessions.selectors.locks` (the predicates
`session_save` uses) decides:

- a half-day with an émargement, a paper scan, a countersignature or a seal is read-only
  and cannot be deleted (codes slot_has_attendance, slot_countersigned, slot_sealed);
- its session keeps its formation and time zone and cannot be deleted;
- an enrolment with émargements keeps its participant and session and cannot be deleted.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from formations.admin import LockedDeleteMixin, ReadOnlyAdmin
from sessions.models import (
    Attendance,
    Enrolment,
    PaperSheetScan,
    Rectification,
    Seal,
    Slot,
    TrainingSession,
)
from sessions.selectors.locks import (
    LOCK_LABELS,
    session_is_locked,
    slot_lock,
)


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    fields = ["starts_at", "ends_at", "countersigned_by", "countersigned_at"]
    readonly_fields = ["countersigned_by", "countersigned_at"]
    show_change_link = True

    # Existing half-days are edited on their own page, which locks signed ones.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(LockedDeleteMixin, admin.ModelAdmin):
    list_display = ["code", "formation", "place", "time_zone", "modality", "status"]
    list_filter = ["status", "modality", "time_zone"]
    search_fields = ["code", "place", "formation__contract_reference", "formation__title"]
    list_select_related = ["formation"]
    filter_horizontal = ["trainers"]
    inlines = [SlotInline]
    # Changed from the QR page only, through session_set_shared_devices (logged).
    readonly_fields = ["allow_shared_devices"]

    def get_readonly_fields(self, request, obj=None):
        # Printed on the signed sheet (session_save: formation_locked, time_zone_locked).
        # A read-only field is left out of the admin's form: a posted value is ignored.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and session_is_locked(session=obj):
            fields += ["formation", "time_zone"]
        return fields

    def locked_reason(self, obj):
        if session_is_locked(session=obj):
            return gettext("a des demi-journées émargées, contresignées ou scellées")
        return None


@admin.register(Slot)
class SlotAdmin(LockedDeleteMixin, admin.ModelAdmin):
    list_display = ["__str__", "starts_at", "ends_at", "countersigned_at"]
    list_filter = ["session__formation"]
    search_fields = ["session__code"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    exclude = ["countersignature"]

    def get_readonly_fields(self, request, obj=None):
        # The countersignature is written by slot_countersign only; a half-day never
        # changes session; a locked one never moves (session_save refuses the same).
        if obj is None:
            return ["countersigned_by", "countersigned_at"]
        if slot_lock(slot=obj):
            return ["session", "starts_at", "ends_at", "countersigned_by", "countersigned_at"]
        return ["session", "countersigned_by", "countersigned_at"]

    def locked_reason(self, obj):
        code = slot_lock(slot=obj)
        if not code:
            return None
        return gettext("demi-journée : %(lock)s") % {"lock": LOCK_LABELS[code]}


@admin.register(Enrolment)
class EnrolmentAdmin(LockedDeleteMixin, admin.ModelAdmin):
    list_display = ["participant", "session", "enrolled_at", "convocation_sent_at"]
    search_fields = ["participant__last_name", "participant__first_name", "session__code"]
    list_select_related = ["participant", "session"]
    raw_id_fields = ["participant", "session", "enrolled_by"]

    def get_readonly_fields(self, request, obj=None):
        # Sealed émargements hash the participant of their enrolment.
        if obj is not None and obj.attendances.exists():
            return ["participant", "session"]
        return []

    def locked_reason(self, obj):
        # unenrol refuses the same (has_attendance).
        if obj.attendances.exists():
            return gettext("a des émargements")
        return None


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
    # The file is in the private documents storage, which has no URL: the admin links to
    # the page that checks the user's right to the half-day instead.
    exclude = ["file"]
    readonly_fields = ["scan_page"]

    @admin.display(description=_("fichier"))
    def scan_page(self, obj):
        url = reverse("sessions:slot_paper_scan", kwargs={"pk": obj.slot_id, "scan_pk": obj.pk})
        return format_html('<a href="{}">{}</a>', url, obj.original_name)
