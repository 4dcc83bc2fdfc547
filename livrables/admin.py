from django.contrib import admin

from livrables.models import IssuedDocument


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(admin.ModelAdmin):
    """Read-only: the register of issued documents is append-only."""

    list_display = ["number", "kind", "title", "issued_at", "issued_by", "size", "retention_until"]
    list_filter = ["kind"]
    search_fields = ["number", "sha256"]
    list_select_related = ["issued_by"]
    date_hierarchy = "issued_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
