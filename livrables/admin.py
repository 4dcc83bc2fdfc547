from django.contrib import admin

from formations.admin import ReadOnlyAdmin
from livrables.models import (
    DeliverableDue,
    DeliverableVersion,
    ExpectedDeliverable,
    Expense,
    IssuedDocument,
    Mission,
)


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """Read-only: the register of issued documents is append-only."""

    list_display = ["number", "kind", "title", "issued_at", "issued_by", "size", "retention_until"]
    list_filter = ["kind"]
    search_fields = ["number", "sha256"]
    list_select_related = ["issued_by"]
    date_hierarchy = "issued_at"


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdmin):
    """Read-only: expenses are written through the services (receipt checked, journaled)."""

    list_display = ["formation", "number", "date", "category", "description", "amount_ttc"]
    list_filter = ["category"]
    search_fields = ["description", "receipt_sha256", "formation__contract_reference"]
    list_select_related = ["formation"]


@admin.register(Mission)
class MissionAdmin(ReadOnlyAdmin):
    list_display = ["name", "formation", "start_date", "end_date", "place"]
    list_select_related = ["formation"]


@admin.register(ExpectedDeliverable)
class ExpectedDeliverableAdmin(ReadOnlyAdmin):
    """Read-only: deliverables, their due items and versions are written through
    `livrables.services_deliverables` (actor checked, files checked, journaled)."""

    list_display = ["title", "formation", "rhythm", "lead_days"]
    list_filter = ["rhythm"]
    list_select_related = ["formation"]


@admin.register(DeliverableDue)
class DeliverableDueAdmin(ReadOnlyAdmin):
    list_display = ["deliverable", "due_date", "status"]
    list_filter = ["status"]
    list_select_related = ["deliverable"]


@admin.register(DeliverableVersion)
class DeliverableVersionAdmin(ReadOnlyAdmin):
    list_display = ["due", "number", "status", "uploaded_at", "decided_at", "funder"]
    list_filter = ["status"]
    search_fields = ["sha256", "original_name"]
    list_select_related = ["due__deliverable", "funder"]
