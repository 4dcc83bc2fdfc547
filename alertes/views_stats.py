"""A structure's statistics page (`alertes:stats`) and its tables as one CSV file
(`?format=csv`). Coordinators and the structure's administrator and staff; another
structure: 404 (`alertes_structure`)."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alertes.selectors import alertes_structure
from alertes.selectors_stats import StructureStats, structure_stats
from alertes.stats_charts import consent_label, stats_charts
from formations.exporting import csv_cell


def stats_tables(stats: StructureStats) -> list[dict]:
    """The page's tables, the same for the page and the CSV: caption, headers, rows."""
    people = _("Personnes")
    # The outbox's own words, in its order.
    message_headers = [
        _("Messages"),
        _("En attente"),
        _("Envoyés"),
        _("Délivrés"),
        _("Échec"),
        _("Abandonnés"),
    ]

    def message_cells(row):
        return [row.written, row.pending, row.sent, row.delivered, row.failed, row.abandoned]

    return [
        {
            "id": "groups",
            "caption": _(
                "Adhérent·es actif·ves par groupe (une personne peut être dans plusieurs groupes)"
            ),
            "headers": [_("Groupe"), people],
            "rows": [[row.label, row.count] for row in stats.by_group],
        },
        {
            "id": "kinds",
            "caption": _("Adhérent·es actif·ves par type"),
            "headers": [_("Type"), people],
            "rows": [[row.label, row.count] for row in stats.by_kind],
        },
        {
            "id": "ages",
            "caption": _("Adhérent·es actif·ves par tranche d'âge (âge au %(day)s)")
            % {"day": stats.today.strftime("%d/%m/%Y")},
            "headers": [_("Tranche d'âge"), people],
            "rows": [[row.label, row.count] for row in stats.by_age],
        },
        {
            "id": "consents",
            "caption": _("Accords des adhérent·es actif·ves, par canal"),
            "headers": [_("Canal et finalité"), _("Donné"), _("Retiré"), _("Jamais demandé")],
            "rows": [
                [consent_label(row.channel, row.purpose), row.given, row.withdrawn, row.never]
                for row in stats.consents
            ],
        },
        {
            "id": "messages",
            "caption": _("Messages de la structure (campagnes et rappels) par mois d'écriture"),
            "headers": [_("Mois"), *message_headers],
            "rows": [[row.label, *message_cells(row)] for row in stats.messages_by_month],
        },
        {
            "id": "categories",
            "caption": _("Messages des campagnes par catégorie"),
            "headers": [_("Catégorie"), *message_headers, _("Non envoyés (sans accord…)")],
            "rows": [
                [row.label, *message_cells(row), row.skipped] for row in stats.messages_by_category
            ],
        },
        {
            "id": "message_groups",
            "caption": _("Messages des campagnes par groupe (groupes au moment de l'envoi)"),
            "headers": [_("Groupe"), *message_headers, _("Non envoyés (sans accord…)")],
            "rows": [
                [row.label, *message_cells(row), row.skipped] for row in stats.messages_by_group
            ],
        },
        {
            "id": "reminders",
            "caption": _("Rappels de démarches par mois"),
            "headers": [_("Mois"), _("Dus"), _("Envoyés"), _("Délivrés"), _("Non envoyés")],
            "rows": [
                [row.label, row.due, row.sent, row.delivered, row.failed]
                for row in stats.reminders_by_month
            ],
        },
    ]


@login_required
@require_GET
def stats_page(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    stats = structure_stats(structure=structure)
    tables = stats_tables(stats)
    if request.GET.get("format") == "csv":
        return _csv(structure, tables)
    return render(
        request,
        "alertes/stats.html",
        {
            "structure": structure,
            "current": "stats",
            "stats": stats,
            "tables": {table["id"]: table for table in tables},
            "charts": stats_charts(stats),
        },
    )


def _csv(structure, tables) -> HttpResponse:
    """Every table one under the other, a blank line between (UTF-8 with a BOM, « ; »)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    for table in tables:
        writer.writerow([csv_cell(table["caption"])])
        writer.writerow([csv_cell(header) for header in table["headers"]])
        for row in table["rows"]:
            writer.writerow([csv_cell(value) for value in row])
        writer.writerow([])
    response = HttpResponse(out.getvalue().encode(), content_type="text/csv; charset=utf-8")
    name = f"statistiques-alertes-{slugify(structure.name)}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
