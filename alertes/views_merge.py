"""The coordinators' duplicates page and the merge of two member records (see
`alertes.services_merge`). Anyone else: 403 (the pages name people of every structure)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from alertes.selectors_merge import likely_duplicates
from alertes.services_merge import FILLED_FIELDS, members_merge, merge_refusal, stale_consents
from formations.members import MemberError
from formations.models import Membership, Participant
from formations.permissions import can_manage

FIELD_LABELS = {
    "name": gettext_lazy("Nom et prénom"),
    "kind": gettext_lazy("Type"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Téléphone"),
    "date_of_birth": gettext_lazy("Date de naissance"),
    "address": gettext_lazy("Adresse"),
    "postal_code": gettext_lazy("Code postal"),
    "commune": gettext_lazy("Commune"),
}


def _ensure_coordinator(user) -> None:
    if not can_manage(user):
        raise PermissionDenied


@login_required
@require_GET
def duplicates(request):
    _ensure_coordinator(request.user)
    return render(request, "alertes/merge/duplicates.html", {"pairs": likely_duplicates()})


def _display(person: Participant, name: str) -> str:
    if name == "name":
        return str(person)
    if name == "kind":
        return person.get_kind_display()
    value = getattr(person, name)
    if name == "date_of_birth" and value:
        return value.strftime("%d/%m/%Y")
    return value or ""


def _rows(keep: Participant, other: Participant) -> list[dict]:
    rows = []
    for name, label in FIELD_LABELS.items():
        kept, dropped = _display(keep, name), _display(other, name)
        filled = name in FILLED_FIELDS and not kept and dropped
        rows.append(
            {
                "label": label,
                "keep": kept,
                "other": dropped,
                "result": dropped if filled else kept,
                "from_other": filled,
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def merge(request, keep, other):
    _ensure_coordinator(request.user)
    keep = get_object_or_404(Participant, pk=keep)
    other = get_object_or_404(Participant, pk=other)
    if request.method == "POST":
        try:
            kept = members_merge(keep=keep, other=other, actor=request.user)
        except MemberError as exc:
            messages.error(request, exc.message)
            return redirect("alertes:duplicates")
        messages.success(
            request,
            _("Les deux fiches sont fusionnées : il reste la fiche de %(person)s.")
            % {"person": kept},
        )
        return redirect("alertes:duplicates")
    refusal = merge_refusal(keep, other)
    memberships = {
        person.pk: list(
            Membership.objects.filter(participant=person)
            .select_related("structure")
            .prefetch_related("groups")
            .order_by("structure__sort_key", "pk")
        )
        for person in (keep, other)
    }
    shared = {m.structure_id for m in memberships[keep.pk]} & {
        m.structure_id for m in memberships[other.pk]
    }
    return render(
        request,
        "alertes/merge/confirm.html",
        {
            "keep": keep,
            "other": other,
            "rows": _rows(keep, other),
            "keep_memberships": memberships[keep.pk],
            "other_memberships": memberships[other.pk],
            "shared_structures": shared,
            "refusal": refusal,
            "stale": [] if refusal else stale_consents(keep, other),
        },
    )
