"""Resolving each line against the file and the database: checks, duplicates within the
file, people and structures already known. Pure given a `KnownRecords` snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from formations.importing.reading import (
    COLUMNS,
    CONSENT_COLUMNS,
    MAX_LENGTHS,
    NO,
    PERSON_DETAILS,
    REQUIRED_LABELS,
    YES,
    match_name,
    match_person_name,
    parse_kind,
    same_kind,
)
from formations.importing.report import (
    ImportLine,
    ImportReport,
    NewStructure,
    Outcome,
    describe_participant,
)
from formations.models import Participant, Structure
from formations.phones import PhoneError, normalize_phone, region_for_structure
from formations.tabular import (
    Row,
    Table,
    cell_text,
    parse_date,
    strip_accents,
)

# --- Validation (pure) -------------------------------------------------------------------


@dataclass
class KnownRecords:
    """What the database already holds, as far as the file needs it. Built by
    `known_records_for()`; tests may build one by hand."""

    structures: dict[str, list[Structure]] = field(default_factory=dict)  # match_name → found
    participants_by_email: dict[str, Participant] = field(default_factory=dict)  # lower e-mail
    participants_by_name: dict[tuple[str, str, int], Participant] = field(default_factory=dict)

    def find_structure(self, name: str) -> tuple[Structure | None, list[Structure]]:
        """(structure, []) when one matches, (None, candidates) when several do."""
        candidates = self.structures.get(match_name(name), [])
        if len(candidates) == 1:
            return candidates[0], []
        exact = [s for s in candidates if s.name.casefold() == name.strip().casefold()]
        if len(exact) == 1:
            return exact[0], []
        return None, candidates


@dataclass(frozen=True)
class _DeclaredType:
    line_number: int
    kind: str
    label: str  # as written when the list does not know it, else ""


def _declared_types(rows: list[Row], known: KnownRecords) -> dict[str, _DeclaredType]:
    """For each structure the file names and the database lacks, the first type given for
    it anywhere in the file: a line may name the structure before the line that types it."""
    declared: dict[str, _DeclaredType] = {}
    for row in rows:
        name, value = row.text("structure"), row.text("type_structure")
        if not name or not value or len(value) > MAX_LENGTHS["type_structure"]:
            continue
        key = match_name(name)
        if key in declared:
            continue
        structure, ambiguous = known.find_structure(name)
        if structure is None and not ambiguous:
            kind = parse_kind(value)
            declared[key] = _DeclaredType(
                row.line, kind or Structure.Kind.OTHER, "" if kind else value
            )
    return declared


def _check_line(
    row: Row,
    *,
    known: KnownRecords,
    declared: dict[str, _DeclaredType],
    new_structures: dict[str, NewStructure],
) -> ImportLine:
    """The checks of one line on its own: values, e-mail, date, structure."""
    line = ImportLine(line_number=row.line)
    values: dict[str, Any] = {column.key: row.text(column.key) for column in COLUMNS}
    line.values = values
    errors = line.errors

    for key, label in REQUIRED_LABELS.items():
        if not values[key]:
            errors.append(_("Valeur obligatoire manquante : %(column)s.") % {"column": label})
    for key, limit in MAX_LENGTHS.items():
        if len(values[key]) > limit:
            errors.append(
                _("« %(column)s » dépasse %(max)s caractères.") % {"column": key, "max": limit}
            )

    email = values["email"]
    if email:
        try:
            validate_email(email)
            line.email_key = email.casefold()
        except ValidationError:
            errors.append(_("Adresse e-mail invalide : « %(value)s ».") % {"value": email})

    raw_date = row.raw("date_prise_de_poste")
    try:
        values["date_prise_de_poste"] = parse_date(raw_date)
    except (ValueError, OverflowError):
        values["date_prise_de_poste"] = None
        errors.append(
            _(
                "Date de prise de poste invalide : « %(value)s » "
                "(formats acceptés : JJ/MM/AAAA ou AAAA-MM-JJ)."
            )
            % {"value": cell_text(raw_date)}
        )

    name, kind_text = values["structure"], values["type_structure"]
    if not name:
        return line
    structure, ambiguous = known.find_structure(name)
    if structure is not None:
        line.structure = structure
        if kind_text and not same_kind(structure.kind, structure.kind_label, kind_text):
            line.warnings.append(
                _(
                    "La structure « %(name)s » existe déjà avec le type « %(kind)s » : "
                    "le type du fichier est ignoré (« %(value)s »)."
                )
                % {"name": structure.name, "kind": structure.get_kind_display(), "value": kind_text}
            )
        return line
    if ambiguous:
        errors.append(
            _(
                "Plusieurs structures correspondent à « %(value)s » : %(names)s. "
                "Écrivez le nom exact."
            )
            % {"value": name, "names": ", ".join(s.name for s in ambiguous)}
        )
        return line

    key = match_name(name)
    planned = new_structures.get(key)
    if planned is None:
        found = declared.get(key)
        if found is None:
            if not kind_text:
                errors.append(
                    _(
                        "Structure « %(value)s » inconnue : indiquez son type "
                        "(colonne type_structure) pour la créer, ou corrigez son nom."
                    )
                    % {"value": name}
                )
            return line
        planned = NewStructure(
            name=name,
            kind=found.kind,
            kind_label=found.label,
            commune="",
            declared_line=found.line_number,
        )
        new_structures[key] = planned
    line.new_structure = planned
    planned.line_numbers.append(row.line)
    if not planned.commune and values["commune"]:
        planned.commune = values["commune"]
    if not kind_text:
        return line
    if planned.declared_line == row.line:
        if planned.kind_label:
            line.warnings.append(
                _(
                    "Type de structure inconnu « %(value)s » : la structure sera créée avec le "
                    "type « %(other)s » (le type déclaré est gardé sur sa fiche pour la "
                    "reclasser)."
                )
                % {"value": kind_text, "other": Structure.Kind.OTHER.label}
            )
    elif not same_kind(planned.kind, planned.kind_label, kind_text):
        kept = planned.kind_label or planned.kind_display
        line.warnings.append(
            _(
                "Type de structure « %(value)s » différent de celui donné ligne %(line)s pour la "
                "nouvelle structure « %(name)s » : le type de la ligne %(line)s (« %(kept)s ») "
                "est retenu."
            )
            % {
                "value": kind_text,
                "line": planned.declared_line,
                "name": planned.name,
                "kept": kept,
            }
        )
    return line


def _check_phone(line: ImportLine) -> None:
    """The phone in E.164, read with the region of the line's structure (see
    `formations.phones`); an unreadable number is an error naming it."""
    value = line.values["telephone"]
    if not value or len(value) > MAX_LENGTHS["telephone"]:
        return
    structure = line.structure
    try:
        line.values["telephone"] = normalize_phone(value, region=region_for_structure(structure))
    except PhoneError as exc:
        line.errors.append(exc.message)


def _check_consents(line: ImportLine) -> None:
    """« oui » / « non » in the consent columns, kept as "oui", "non" or ""."""
    for key in CONSENT_COLUMNS:
        value = line.values[key]
        folded = strip_accents(value).casefold()
        if not value:
            continue
        if folded in YES:
            line.values[key] = "oui"
        elif folded in NO:
            line.values[key] = "non"
        else:
            line.errors.append(
                _("« %(column)s » : « %(value)s » n'est ni « oui » ni « non ».")
                % {"column": key, "value": value}
            )


def _identity(line: ImportLine) -> tuple[tuple[str, str], tuple[str, Any]]:
    """(person, structure) as compared between lines: names without case, accents, dashes
    or extra spaces; the structure found (or its name, same normalisation)."""
    values = line.values
    person = (match_person_name(values["nom"]), match_person_name(values["prenom"]))
    if line.structure is not None:
        return person, ("id", line.structure.pk)
    return person, ("name", match_name(values["structure"]))


def _same_person(line: ImportLine, first: ImportLine) -> None:
    """`line` repeats `first`: it is not created; details it adds fill `first` in, details
    it contradicts are ignored; both are said."""
    line.same_as = first
    filled, differing = [], []
    for key in PERSON_DETAILS:
        mine, theirs = line.values.get(key), first.values.get(key)
        if key == "email":
            mine, theirs = line.email_key, first.email_key
        if not mine or mine == theirs:
            continue
        if theirs:
            differing.append(key)
        else:
            filled.append(key)
            first.values[key] = line.values[key]
            if key == "email":
                first.email_key = line.email_key
    if filled:
        first.warnings.append(
            _("Complété par la ligne %(line)s (même personne) : %(columns)s.")
            % {"line": line.line_number, "columns": ", ".join(filled)}
        )
    if differing:
        line.warnings.append(
            _(
                "Même personne que la ligne %(line)s, mais %(columns)s différent : "
                "la valeur de la ligne %(line)s est gardée."
            )
            % {"line": first.line_number, "columns": ", ".join(differing)}
        )


def _find_duplicates(lines: list[ImportLine]) -> None:
    """The same person written on several lines (several partners' lists pasted together):
    identical details make one person; contradictory ones are an error naming both lines."""
    by_email: dict[str, ImportLine] = {}
    by_person: dict[tuple, ImportLine] = {}
    for line in lines:
        person, place = _identity(line)
        complete = bool(person[0] and person[1] and place[1])
        first = by_email.get(line.email_key) if line.email_key else None
        by_email_match = first is not None
        if first is None and complete:
            first = by_person.get((person, place))
        if first is None:
            if line.email_key:
                by_email[line.email_key] = line
            if complete:
                by_person.setdefault((person, place), line)
            continue

        first_person, first_place = _identity(first)
        params = {
            "line": first.line_number,
            "this": line.line_number,
            "email": line.values["email"],
            "other_email": first.values["email"],
            "name": line.full_name,
            "other": first.full_name,
            "structure": line.values["structure"],
            "other_structure": first.values["structure"],
        }
        if by_email_match and first_person != person:
            line.errors.append(
                _(
                    "Même e-mail « %(email)s » que la ligne %(line)s, mais un autre nom "
                    "(ligne %(line)s : %(other)s ; ligne %(this)s : %(name)s). Une adresse "
                    "désigne une seule personne : corrigez l'une des deux lignes."
                )
                % params
            )
        elif by_email_match and first_place != place:
            line.errors.append(
                _(
                    "Même e-mail et même nom que la ligne %(line)s, mais une autre structure "
                    "(ligne %(line)s : « %(other_structure)s » ; ligne %(this)s : "
                    "« %(structure)s ») : doublon contradictoire, gardez une seule structure."
                )
                % params
            )
        elif not by_email_match and line.email_key and first.email_key:
            line.errors.append(
                _(
                    "Mêmes nom, prénom et structure que la ligne %(line)s, mais une autre "
                    "adresse e-mail (ligne %(line)s : %(other_email)s ; ligne %(this)s : "
                    "%(email)s) : doublon contradictoire, gardez une seule adresse."
                )
                % params
            )
        else:
            _same_person(line, first)
            if line.email_key and first.email_key == line.email_key:
                by_email.setdefault(line.email_key, first)


def _match_known(line: ImportLine, known: KnownRecords) -> None:
    """A person already in the database is never duplicated: outcome existing or create."""
    values = line.values
    existing = known.participants_by_email.get(line.email_key) if line.email_key else None
    reason = _("même e-mail")
    if existing is None and line.structure is not None:
        existing = known.participants_by_name.get(
            (
                match_person_name(values["nom"]),
                match_person_name(values["prenom"]),
                line.structure.pk,
            )
        )
        reason = _("même nom, prénom et structure")
    if existing is None:
        line.outcome = Outcome.CREATE
        return
    line.outcome = Outcome.EXISTING
    line.existing = existing
    line.notes.append(
        _("Déjà connu·e (%(reason)s) : %(record)s.")
        % {"reason": reason, "record": describe_participant(existing)}
    )
    if match_person_name(existing.last_name) != match_person_name(
        values["nom"]
    ) or match_person_name(existing.first_name) != match_person_name(values["prenom"]):
        line.warnings.append(
            _("Le nom dans le fichier (%(file)s) diffère de la fiche existante.")
            % {"file": line.full_name}
        )
    if line.structure is None or existing.structure_id != line.structure.pk:
        line.warnings.append(
            _("La fiche existante reste rattachée à la structure « %(name)s ».")
            % {"name": existing.structure.name}
        )
    if line.email_key and existing.email and existing.email.casefold() != line.email_key:
        line.warnings.append(
            _("L'e-mail de la fiche existante (%(email)s) n'est pas modifié.")
            % {"email": existing.email}
        )


def validate_table(table: Table, *, known: KnownRecords, file_name: str = "") -> ImportReport:
    """Decide each line's outcome. Pure: reads nothing but `table` and `known`."""
    report = ImportReport(file_name=file_name)
    header = table.map(COLUMNS)
    report.file_errors.extend(header.errors)
    report.file_warnings.extend(header.warnings)
    if header.errors:
        return report
    if not table.rows:
        report.file_errors.append(
            _("Le fichier ne contient aucune ligne de participant·e sous l'en-tête.")
        )
        return report

    rows = list(header.rows(table))
    declared = _declared_types(rows, known)
    new_structures: dict[str, NewStructure] = {}
    report.lines = [
        _check_line(row, known=known, declared=declared, new_structures=new_structures)
        for row in rows
    ]
    for line in report.lines:
        _check_phone(line)
        _check_consents(line)
    _find_duplicates(report.lines)
    for line in report.lines:
        if line.errors:
            line.outcome = Outcome.ERROR
        elif line.same_as is not None:
            line.outcome = Outcome.SAME
        else:
            _match_known(line, known)

    # A new structure none of whose people is created would not be created either.
    wanted = {
        id(line.new_structure)
        for line in report.lines
        if line.new_structure is not None and line.outcome == Outcome.CREATE
    }
    report.structures_to_create = [s for s in new_structures.values() if id(s) in wanted]
    return report


# --- Database snapshot -------------------------------------------------------------------


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def known_records_for(table: Table) -> KnownRecords:
    """Load from the database only what the file refers to: its e-mails, and the people of
    the structures it names."""
    known = KnownRecords()
    header = table.map(COLUMNS)
    if header.errors:
        return known
    rows = list(header.rows(table))

    # Structure names are compared without accents, which the database cannot do
    # portably; the list of structures stays small (hundreds), so compare in Python.
    for structure in Structure.objects.only("id", "name", "kind", "kind_label", "commune"):
        known.structures.setdefault(match_name(structure.name), []).append(structure)

    emails = sorted({row.text("email").casefold() for row in rows if row.text("email")})
    for chunk in _chunks(emails):
        for participant in (
            Participant.objects.select_related("structure")
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
        ):
            known.participants_by_email[participant.email_lower] = participant

    structure_ids: set[int] = set()
    for row in rows:
        name = row.text("structure")
        if name:
            structure, _ambiguous = known.find_structure(name)
            if structure is not None:
                structure_ids.add(structure.pk)
    for chunk in _chunks(sorted(structure_ids)):
        for participant in Participant.objects.select_related("structure").filter(
            structure_id__in=chunk
        ):
            key = (
                match_person_name(participant.last_name),
                match_person_name(participant.first_name),
                participant.structure_id,
            )
            known.participants_by_name.setdefault(key, participant)
    return known
