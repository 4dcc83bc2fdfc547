"""The funder's follow-up file of a formation's expenses (« fichier de suivi des
dépenses »), through the export layer (`formations.exporting`): one line per expense,
read in chunks, with the receipt's name as it stands in the audit pack (a link, relative
to the file: it opens the receipt when the file sits at the pack's root), then the totals by
category, by mission and overall."""

from collections.abc import Iterator, Sequence
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.exporting import Column, FileLink, ListExporter
from livrables.selectors_expenses import expense_totals, formation_expenses, mission_label


def _attached(expense) -> str:
    return mission_label(
        session_code=expense.session.code if expense.session_id else "",
        mission_name=expense.mission.name if expense.mission_id else "",
    )


class ExpenseExporter(ListExporter):
    identifier = "frais-engages"
    verbose_name = gettext_lazy("Frais engagés")
    columns = (
        Column(gettext_lazy("N°"), lambda e: e.number),
        Column(gettext_lazy("Date"), lambda e: e.date),
        Column(gettext_lazy("Catégorie"), lambda e: e.get_category_display()),
        Column(gettext_lazy("Description"), lambda e: e.description),
        Column(gettext_lazy("Session ou mission"), _attached),
        Column(gettext_lazy("Montant HT (€)"), lambda e: e.amount_ht),
        Column(gettext_lazy("TVA (€)"), lambda e: e.vat),
        Column(gettext_lazy("Montant TTC (€)"), lambda e: e.amount_ttc),
        Column(gettext_lazy("Payé par"), lambda e: e.paid_by),
        Column(gettext_lazy("Justificatif (fichier du dossier)"), lambda e: FileLink(e.pack_name)),
        Column(gettext_lazy("Empreinte SHA-256 du justificatif"), lambda e: e.receipt_sha256),
    )

    def __init__(self, *, formation, date_from=None, date_to=None):
        """`date_from`, `date_to`: only the expenses dated within (the audit pack of a
        period), totals included."""
        expenses = formation_expenses(formation=formation)
        if date_from is not None:
            expenses = expenses.filter(date__gte=date_from)
        if date_to is not None:
            expenses = expenses.filter(date__lte=date_to)
        super().__init__(queryset=expenses)
        self.formation = formation
        self.date_from, self.date_to = date_from, date_to

    def get_filename(self) -> str:
        reference = slugify(self.formation.contract_reference or "") or str(self.formation.pk)
        return f"{self.identifier}-{reference}"

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        yield from super().iterate_rows()
        totals = expense_totals(
            formation=self.formation, date_from=self.date_from, date_to=self.date_to
        )
        width = len(self.columns)

        def line(kind: str, total) -> list:
            row = [None] * width
            row[2] = kind
            row[3] = total.label
            row[4] = ngettext("%(count)s dépense", "%(count)s dépenses", total.count) % {
                "count": total.count
            }
            row[5], row[6], row[7] = total.amount_ht, total.vat, total.amount_ttc
            return row

        yield [None] * width
        for total in totals.by_category:
            yield line(_("Total par catégorie"), total)
        for total in totals.by_mission:
            yield line(_("Total par mission"), total)
        yield line(_("Total général"), totals.overall)
