from django.contrib import admin

from formations.admin import ReadOnlyAdmin
from livrables.models import IssuedDocument


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """Read-only: the register of issued documents is append-only."""

    list_display = ["number", "kind", "title", "issued_at", "issued_by", "size", "retention_until"]
    list_filter = ["kind"]
    search_fields = ["number", "sha256"]
    list_select_related = ["issued_by"]
    date_hierarchy = "issued_at"
