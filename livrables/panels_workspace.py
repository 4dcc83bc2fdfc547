"""Livrables' blocks in the auditor's workspace (`formations.panels.WORKSPACE_FORMATION_PANELS`):
per formation, the service-fait statement (the newest standing one to download, and the
formation page's « Service fait » section for any period and its XLSX), the expected
deliverables awaiting the auditor's decision with the link to decide and, where
certificates stand, the ZIP of them. Each panel is called once with every formation of the
page and answers in one query for them all: a function
`(request, formations) -> {formation_pk: (template, context)}` appended to the registry in
`livrables.panels.register`."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse

from formations.permissions import is_funder_auditor
from livrables.bulk import BULK_KINDS
from livrables.models import IssuedDocument, Payment, ServiceFaitClaim
from livrables.models_claims import ACTIVE
from livrables.pack.jobs import download_url
from livrables.pack.registry import PackScope
from livrables.pack.services import period_label
from livrables.selectors import document_states, standing
from livrables.selectors_deliverables import deliverables_awaiting_validation


def workspace_service_fait_panel(request, formations) -> dict:
    """The newest standing service-fait statement of each formation (by the end of the
    period it covers), downloadable by the auditor (`documents_visible_to`), and the link
    to the formation's « Service fait » section, with its « à rééditer » flag
    (`document_states`, once for all the statements found), and what was claimed (TTC),
    received and is still due (or overpaid), from the standing claims and payments.
    Five queries."""
    if not is_funder_auditor(request.user):
        return {}
    pks = [f.pk for f in formations]
    claimed = _totals(ServiceFaitClaim, "amount_ttc", pks)
    received = _totals(Payment, "amount", pks)
    newest = {}
    statements = standing(
        IssuedDocument.objects.filter(
            kind=IssuedDocument.Kind.SERVICE_FAIT_STATEMENT,
            formation_id__in=[f.pk for f in formations],
        )
    ).order_by("formation_id", "-covers_to", "-issued_at", "-pk")
    for statement in statements:
        newest.setdefault(statement.formation_id, statement)
    states = document_states(newest.values())
    blocks = {}
    for formation in formations:
        statement = newest.get(formation.pk)
        blocks[formation.pk] = (
            "livrables/panels/workspace_service_fait.html",
            {
                "ws_sf": {
                    "formation": formation,
                    "statement": statement,
                    "needs_reissue": statement is not None and states[statement.pk].needs_reissue,
                    "download_url": reverse("livrables:document_download", args=[statement.number])
                    if statement is not None
                    else "",
                    "section_url": reverse("formations:formation_detail", args=[formation.pk])
                    + "#service-fait",
                    **_money(claimed.get(formation.pk, ZERO), received.get(formation.pk, ZERO)),
                }
            },
        )
    return blocks


ZERO = Decimal("0")


def _money(claimed: Decimal, received: Decimal) -> dict:
    # As the formation page (`ClaimsSummary`): an overpayment shown, not a zero still due.
    return {
        "claimed": claimed,
        "received": received,
        "still_due": max(ZERO, claimed - received),
        "overpaid": max(ZERO, received - claimed),
    }


def _totals(model, field: str, formation_pks) -> dict:
    """{formation_pk: sum of `field`} over the standing rows of `model`. One query."""
    return dict(
        model.objects.filter(ACTIVE, formation_id__in=formation_pks)
        .order_by()
        .values_list("formation_id")
        .annotate(total=Sum(field))
    )


def workspace_certificates_panel(request, formations) -> dict:
    """The ZIP of the formation's standing certificates (the people's two kinds and the
    structures' certificats d'assiduité), shown only where one stands. One query."""
    if not is_funder_auditor(request.user):
        return {}
    counts = dict(
        standing(
            IssuedDocument.objects.filter(
                kind__in=[entry.kind for entry in BULK_KINDS.values()],
                formation_id__in=[f.pk for f in formations],
            )
        )
        .exclude(storage_name="")
        .order_by()
        .values_list("formation_id")
        .annotate(n=Count("pk"))
    )
    return {
        formation.pk: (
            "livrables/panels/workspace_certificates.html",
            {
                "ws_certificates": {
                    "formation": formation,
                    "count": counts[formation.pk],
                    "zip_url": reverse("livrables:formation_certificates_zip", args=[formation.pk]),
                }
            },
        )
        for formation in formations
        if counts.get(formation.pk)
    }


def workspace_deliverables_panel(request, formations) -> dict:
    """The expected deliverables submitted and awaiting the funder's decision, each with
    the link where the auditor validates it or asks for it to be reworked (the one write
    an auditor may make). Shown only where something awaits. One query."""
    if not is_funder_auditor(request.user):
        return {}
    awaiting = defaultdict(list)
    for due in deliverables_awaiting_validation(user=request.user).filter(
        deliverable__formation_id__in=[f.pk for f in formations]
    ):
        awaiting[due.deliverable.formation_id].append(due)
    return {
        formation.pk: (
            "livrables/panels/workspace_deliverables.html",
            {"ws_deliverables": {"formation": formation, "dues": awaiting[formation.pk]}},
        )
        for formation in formations
        if awaiting.get(formation.pk)
    }


# Packs listed per formation in the auditor's workspace (all on the formation page).
WS_PACKS_SHOWN = 3


def workspace_pack_panel(request, formations) -> dict:
    """The audit pack of each formation: the button that builds it in the background (the
    progress and the period fields are on the formation page, where it leads) and the
    standing packs to download: the whole formation's first (what an auditor asks for),
    then those of a period, newest first, up to `WS_PACKS_SHOWN` (the formation page lists
    them all). One query."""
    if not is_funder_auditor(request.user):
        return {}
    by_formation: dict[int, list] = {}
    packs = standing(
        IssuedDocument.objects.filter(
            kind=IssuedDocument.Kind.AUDIT_PACK, formation_id__in=[f.pk for f in formations]
        )
    ).exclude(storage_name="")
    for pack in packs.order_by("formation_id", "-issued_at", "-pk"):
        by_formation.setdefault(pack.formation_id, []).append(pack)
    blocks = {}
    for formation in formations:
        found = sorted(
            by_formation.get(formation.pk, []),
            key=lambda pack: pack.covers_from is not None or pack.covers_to is not None,
        )
        for pack in found:
            scope = PackScope(
                formation=formation, date_from=pack.covers_from, date_to=pack.covers_to
            )
            pack.download_url = download_url(scope)
            pack.period_label = period_label(pack.covers_from, pack.covers_to)
        blocks[formation.pk] = (
            "livrables/panels/workspace_pack.html",
            {
                "ws_pack": {
                    "formation": formation,
                    "packs": found[:WS_PACKS_SHOWN],
                    "more": len(found) > WS_PACKS_SHOWN,
                    "build_url": reverse("livrables:audit_pack_build", args=[formation.pk]),
                    "section_url": reverse("formations:formation_detail", args=[formation.pk])
                    + "#audit-pack",
                }
            },
        )
    return blocks
