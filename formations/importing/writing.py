"""The only writer: builds the report and, when it has no error, creates the structures,
participants and consents in one transaction with one audit entry."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from formations.audit import log_action
from formations.consent import current_wording
from formations.importing.reading import CONSENT_COLUMNS
from formations.importing.report import ImportReport, Outcome
from formations.importing.resolving import known_records_for, validate_table
from formations.models import ContactConsent, Participant, Purpose, Structure
from formations.permissions import ensure_manager
from formations.tabular import (
    Table,
    TableError,
    read_table,
    read_table_cached,
)

AUDIT_ACTION = "participants_imported"

# --- Service -----------------------------------------------------------------------------


def build_report(
    *, file_name: str, content: bytes, cache_key: str | None = None
) -> tuple[ImportReport, Table | None]:
    """Read and validate against the current database. Writes nothing. With `cache_key`
    (an upload's token), the file is parsed once for that key: the preview and the
    confirmation of one upload share the parsed table (`read_table_cached`); the
    validation against the database is done again each time."""
    try:
        if cache_key is None:
            table = read_table(file_name=file_name, content=content)
        else:
            table = read_table_cached(key=cache_key, file_name=file_name, content=content)
    except TableError as exc:
        return ImportReport(file_name=file_name, file_errors=[exc.message]), None
    return validate_table(table, known=known_records_for(table), file_name=file_name), table


RACE_MESSAGE = gettext_noop(
    "Les données ont changé pendant l'import (une personne ou une structure du fichier vient "
    "d'être enregistrée par ailleurs). Rien n'a été importé : relancez l'import."
)


def import_participants(
    *,
    file_name: str,
    content: bytes,
    actor,
    dry_run: bool = False,
    cache_key: str | None = None,
) -> ImportReport:
    """Import participants from a CSV or XLSX file, all or nothing.

    Returns the `ImportReport`. If it holds any error (file or line), or `dry_run` is set,
    nothing is written; warnings do not stop the import. Otherwise, in one transaction: the
    structures the file names but the database lacks are created (an unknown type gives
    kind `other` and keeps the type as written in `kind_label`), then every new participant,
    once per person (a line repeating an earlier one creates nothing); people already known
    (same e-mail, or same name + first name + structure) are left untouched; one audit entry
    `participants_imported` is logged. Existence is checked again inside the transaction;
    if another writer wins a race anyway, the unique constraints raise and the report
    carries `RACE_MESSAGE` as a file error (nothing written). Coordinators only: another
    signed-in user gets `PermissionDenied` (`actor=None` is the command, run by whoever
    operates the server). `cache_key`: see `build_report` (the import pages pass the
    upload's token, so that confirming does not parse the file again).
    """
    ensure_manager(actor)
    report, table = build_report(file_name=file_name, content=content, cache_key=cache_key)
    report.dry_run = dry_run
    if report.has_errors or dry_run or table is None:
        return report

    try:
        with transaction.atomic():
            # Why a lock: two imports naming the same structure serialise here, so the
            # second one re-reads the people the first one created (PostgreSQL; SQLite
            # already serialises writers with BEGIN IMMEDIATE).
            structure_ids = sorted(
                {line.structure.pk for line in report.lines if line.structure is not None}
            )
            list(Structure.objects.select_for_update().filter(pk__in=structure_ids).order_by("pk"))
            report = validate_table(table, known=known_records_for(table), file_name=file_name)
            if report.has_errors:
                return report
            _write(report, actor=actor, content=content)
    except IntegrityError:
        return ImportReport(file_name=file_name, file_errors=[_(RACE_MESSAGE)])
    except ValidationError as exc:  # should not happen: validate_table checks the same rules
        return ImportReport(file_name=file_name, file_errors=[" ".join(exc.messages)])
    return report


def _write(report: ImportReport, *, actor, content: bytes) -> None:
    for planned in report.structures_to_create:
        structure = Structure(
            name=planned.name,
            kind=planned.kind,
            kind_label=planned.kind_label,
            commune=planned.commune,
        )
        # Uniqueness is left to the database constraint (see the race note above).
        structure.full_clean(validate_unique=False, validate_constraints=False)
        structure.save()
        planned.structure = structure

    to_create: list[Participant] = []
    for line in report.lines:
        if line.outcome != Outcome.CREATE:
            continue
        values = line.values
        structure = line.structure or line.new_structure.structure
        participant = Participant(
            last_name=values["nom"],
            first_name=values["prenom"],
            email=values["email"],
            phone=values["telephone"],
            job_title=values["fonction"],
            structure=structure,
            post_taken_on=values["date_prise_de_poste"],
        )
        # The structure was just loaded or created: skip the foreign key's query per row.
        participant.full_clean(
            exclude=["structure"], validate_unique=False, validate_constraints=False
        )
        line.participant = participant
        to_create.append(participant)
    Participant.objects.bulk_create(to_create, batch_size=500)
    consents = _consents_given(report, actor=actor)
    ContactConsent.objects.bulk_create(consents, batch_size=500)
    report.applied = True

    log_action(
        actor=actor,
        action=AUDIT_ACTION,
        summary=_("Import de « %(file)s » : %(created)s créé·es, %(existing)s déjà connu·es.")
        % {
            "file": report.file_name,
            "created": report.created_count,
            "existing": report.existing_count,
        },
        data={
            "file_name": report.file_name,
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
            "created_participant_ids": [p.pk for p in to_create],
            "existing_participant_ids": [
                line.existing.pk for line in report.lines if line.existing is not None
            ],
            "created_structure_ids": [s.structure.pk for s in report.structures_to_create],
            # [line, earlier line of the same person]: repeated lines created nobody.
            "same_person_lines": [
                [line.line_number, line.same_as.line_number]
                for line in report.lines
                if line.outcome == Outcome.SAME
            ],
            "warning_count": report.warning_count,
            "consent_ids": [consent.pk for consent in consents],
        },
        mentions=to_create,
    )


def _consents_given(report: ImportReport, *, actor) -> list[ContactConsent]:
    """A consent row (method import, current wording) for each « oui » of a created
    person; people already known keep their consents as recorded."""
    rows = []
    for line in report.lines:
        if line.outcome != Outcome.CREATE or line.participant is None:
            continue
        for key, channel in CONSENT_COLUMNS.items():
            if line.values[key] != "oui":
                continue
            purpose = Purpose.EVALUATION_FOLLOW_UP
            rows.append(
                ContactConsent(
                    participant=line.participant,
                    channel=channel,
                    purpose=purpose,
                    action=ContactConsent.Action.GIVEN,
                    wording_version=current_wording(channel, purpose).version,
                    collected_by=actor if getattr(actor, "is_authenticated", False) else None,
                    method=ContactConsent.Method.IMPORT,
                    note=_("« %(file)s », ligne %(line)s")
                    % {"file": report.file_name[:200], "line": line.line_number},
                )
            )
    return rows
