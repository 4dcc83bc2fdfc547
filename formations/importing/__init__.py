"""Participant import from a CSV or XLSX file, all or nothing.

Three steps, kept apart so each can be tested alone (`reading`: columns and spellings;
`report`: the outcome of each line; `resolving`: step 2; `writing`: step 3):

1. `formations.tabular.read_table()` (shared with the attendance and enrolment imports)
   turns bytes into a `Table`, or raises `TableError` with a French message.
2. `validate_table(table, known=)` is pure: from the rows and a `KnownRecords` snapshot of
   the database it decides each line's outcome — create, existing (already in the
   database), same (the same person as an earlier line of the file) or error — and
   returns an `ImportReport` whose errors and warnings are kept apart.
3. `import_participants(*, file_name, content, actor, dry_run=False)` is the only writer
   (command and page both call it): if the report has any error it writes nothing,
   otherwise it creates the new structures and participants in one transaction and logs
   one audit entry. Warnings never stop it.

Files are assembled by hand from several partners, so the import refuses only what would
write wrong data: a missing name or structure, an invalid e-mail, an impossible date, a
value too long, a structure it cannot identify, a conflicting duplicate (the same e-mail
with another name or structure, the same name and structure with another e-mail). What it
can still write rightly is a warning: a person written twice with the same details (one
person, « même personne que la ligne N »), a structure type it does not know (the structure
is created with the type « Autre » and keeps the type as written, to be reclassified), a
type that contradicts the structure's, an unknown column.
"""

from formations.importing.reading import (
    COLUMNS,
    KIND_SPELLINGS,
    TEMPLATE_HEADER,
    kinds_with_spellings,
    match_name,
    match_person_name,
    parse_kind,
)
from formations.importing.report import ImportReport, Outcome
from formations.importing.resolving import KnownRecords, known_records_for, validate_table
from formations.importing.writing import RACE_MESSAGE, import_participants

__all__ = [
    "COLUMNS",
    "KIND_SPELLINGS",
    "RACE_MESSAGE",
    "TEMPLATE_HEADER",
    "ImportReport",
    "KnownRecords",
    "Outcome",
    "import_participants",
    "kinds_with_spellings",
    "known_records_for",
    "match_name",
    "match_person_name",
    "parse_kind",
    "validate_table",
]
