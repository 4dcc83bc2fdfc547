"""CSV / XLSX exports of the lists, shaped for French spreadsheets.

CSV: UTF-8 with a byte-order mark and `;` as separator, which is what a French Excel
expects when the file is opened by a double click. Both formats neutralise cells that a
spreadsheet would run as a formula (CSV injection): names and job titles come from
imported files and must never execute.
"""

import re
from decimal import Decimal

from django_tables2.export import TableExport
from tablib import Dataset

# A cell starting with one of these is read as a formula by Excel / LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Phone numbers (+262 639 12 34 56) and negative numbers are harmless: keep them as typed.
HARMLESS = re.compile(r"^[+-][\d\s().]*$")


def french_number(value):
    """A decimal written the French way in CSV (« 55,50 »), which a French Excel reads as a
    number; XLSX keeps real numbers."""
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return str(value).replace(".", ",")
    return value


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not HARMLESS.match(value):
        return "'" + value
    return value


class FrenchTableExport(TableExport):
    FORMATS = {
        TableExport.CSV: "text/csv; charset=utf-8",
        TableExport.XLSX: TableExport.FORMATS[TableExport.XLSX],
    }

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format in cls.FORMATS

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = Dataset(**(dataset_kwargs or {}))
        csv = self.format == self.CSV
        for index, row in enumerate(table.as_values(exclude_columns=exclude_columns)):
            if index == 0:
                dataset.headers = row
            else:
                dataset.append([neutralise(french_number(v) if csv else v) for v in row])
        return dataset

    def export(self):
        if self.format == self.CSV:
            return "\ufeff" + self.dataset.export("csv", delimiter=";")
        return self.dataset.export(self.format)
