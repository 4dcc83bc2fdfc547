from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from formations.admin import ReadOnlyAdmin
from livrables.models import (
    DeliverableDue,
    DeliverableVersion,
    ExpectedDeliverable,
    Expense,
    IssuedDocument,
    Mission,
)


def _private_file(url: str, name: str, sha256: str):
    return format_html('<a href="{}">{}</a> (SHA-256 {})', url, name, sha256)


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
    # The receipt lives in the private documents storage, which has no URL: the admin's
    # file widget would ask for one. Shown by name and digest, with the permission-checked
    # download link.
    exclude = ["receipt"]
    readonly_fields = ["receipt_file"]

    @admin.display(description=_("justificatif"))
    def receipt_file(self, obj):
        return _private_file(
            reverse("livrables:expense_receipt", args=[obj.formation_id, obj.number]),
            obj.receipt_original_name,
            obj.receipt_sha256,
        )


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
    # Files live in the private documents storage, which has no URL: the admin's file
    # widget would ask for one (server error). Shown by name and digest, with the
    # permission-checked download links.
    exclude = ["file", "message_file"]
    readonly_fields = ["version_file", "funder_message_file"]

    @admin.display(description=_("fichier"))
    def version_file(self, obj):
        return _private_file(
            reverse(
                "livrables:deliverable_version_file",
                args=[obj.due.deliverable.formation_id, obj.pk],
            ),
            obj.original_name,
            obj.sha256,
        )

    @admin.display(description=_("message du financeur (fichier)"))
    def funder_message_file(self, obj):
        if not obj.message_file:
            return "—"
        return _private_file(
            reverse(
                "livrables:deliverable_version_message",
                args=[obj.due.deliverable.formation_id, obj.pk],
            ),
            obj.message_original_name,
            obj.message_sha256,
        )
