"""Participant import from a CSV or XLSX file, all or nothing.

Three steps, kept apart so each can be tested alone:

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

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import NoReverseMatch
from django.utils.translation import get_language, gettext_lazy, gettext_noop, ngettext
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.consent import current_wording
from formations.models import Channel, ContactConsent, Participant, Purpose, Structure
from formations.permissions import ensure_manager
from formations.phones import PhoneError, normalize_phone, region_for_structure
from formations.tabular import (
    Column,
    Row,
    Table,
    TableError,
    cell_text,
    name_key,
    parse_date,
    read_table,
    read_table_cached,
    strip_accents,
)

AUDIT_ACTION = "participants_imported"

# --- Columns ---------------------------------------------------------------------------

COLUMNS: tuple[Column, ...] = (
    Column("nom", True, "Nom de famille", "texte, 120 caractères au plus"),
    Column("prenom", True, "Prénom", "texte, 120 caractères au plus", ("firstname", "first name")),
    Column(
        "email",
        False,
        "Adresse e-mail (identifie la personne)",
        "adresse e-mail valide",
        ("e-mail", "mail", "courriel", "adresse e-mail", "adresse mail"),
    ),
    Column(
        "telephone",
        False,
        "Téléphone",
        "comme on le compose en France (06 12 34 56 78, 0639 12 34 56) ou avec l'indicatif "
        "(+262 639 12 34 56) ; enregistré au format international",
        ("tel", "téléphone portable", "portable", "mobile"),
    ),
    Column("fonction", False, "Fonction occupée", "texte, 200 caractères au plus"),
    Column(
        "structure",
        True,
        "Nom de la structure employeuse",
        "texte ; une structure inconnue est créée si son type est donné",
        ("nom de la structure", "nom structure"),
    ),
    Column(
        "type_structure",
        False,
        "Type de la structure (sert seulement à créer une structure inconnue)",
        "code, libellé ou sigle courant, par ex. « ccas », « C.C.A.S. », « Centre social », "
        "« Pôle emploi » ; un type inconnu crée la structure avec le type « Autre »",
        ("type de structure", "type"),
    ),
    Column(
        "commune",
        False,
        "Commune de la structure (pour une structure créée)",
        "texte, 120 caractères au plus",
        ("ville",),
    ),
    Column(
        "date_prise_de_poste",
        False,
        "Date de prise de poste",
        "JJ/MM/AAAA ou AAAA-MM-JJ (ou une date de tableur)",
        ("date de prise de poste", "prise de poste", "date prise poste"),
    ),
    Column(
        "consentement_email",
        False,
        "La personne accepte de recevoir par e-mail les évaluations à froid et le suivi "
        "après la formation (texte v1, recueilli par écrit par la structure)",
        "oui ou non ; vide : pas d'accord",
        ("consentement e-mail", "consentement mail", "accord e-mail", "accord mail"),
    ),
    Column(
        "consentement_sms",
        False,
        "La personne accepte de recevoir par SMS les évaluations à froid et le suivi après "
        "la formation (texte v1, recueilli par écrit par la structure)",
        "oui ou non ; vide : pas d'accord",
        ("accord sms",),
    ),
)
TEMPLATE_HEADER = [c.key for c in COLUMNS]
# Consent columns: the channel each one records, for evaluation follow-up.
CONSENT_COLUMNS = {"consentement_email": Channel.EMAIL, "consentement_sms": Channel.SMS}
YES = frozenset({"oui", "o", "yes", "y", "x", "1", "vrai", "true"})
NO = frozenset({"non", "n", "no", "0", "faux", "false"})

MAX_LENGTHS = {
    "nom": 120,
    "prenom": 120,
    "telephone": 30,
    "fonction": 200,
    "structure": 200,
    "type_structure": 120,
    "commune": 120,
    "email": 254,
}
_REQUIRED_LABELS = {"nom": "nom", "prenom": "prénom", "structure": "structure"}
# Columns a later line of the same person may fill in or contradict (a warning either way).
_PERSON_DETAILS = (
    "email",
    "telephone",
    "fonction",
    "date_prise_de_poste",
    "consentement_email",
    "consentement_sms",
)


def match_name(text: str) -> str:
    """Key used to compare structure and people's names: case, accents, apostrophes, dashes
    and extra spaces ignored ('Saint-Vincent' == 'saint vincent', 'Jean-Pierre' ==
    'Jean Pierre')."""
    text = strip_accents(text).casefold().replace("’", "'").replace("`", "'")
    return " ".join(text.replace("-", " ").split())


match_person_name = match_name


# --- Structure types -------------------------------------------------------------------

# How partners write the types of `Structure.Kind`, beyond its codes and labels (which are
# accepted too). Compared with `name_key`: case, accents, dots, spaces, dashes and
# apostrophes do not matter, so "C.C.A.S." is "CCAS" and "Pole-Emploi" is "Pôle emploi".
# Only unambiguous spellings belong here: a type not listed is not an error, it creates the
# structure as « Autre » with the type as written, which a coordinator reclassifies.
KIND_SPELLINGS: dict[str, tuple[str, ...]] = {
    Structure.Kind.CCAS: (
        "CCAS",
        "CIAS",
        "centre communal d'action sociale",
        "centre intercommunal d'action sociale",
    ),
    Structure.Kind.UDCCAS: ("UDCCAS", "union départementale des CCAS"),
    Structure.Kind.CENTRE_SOCIAL: (
        "centre social",
        "centres sociaux",
        "centre socio-culturel",
        "centre socioculturel",
        "CSC",
    ),
    Structure.Kind.MAISON_QUARTIER: ("maison de quartier", "maisons de quartier", "MQ"),
    Structure.Kind.MISSION_LOCALE: ("mission locale", "ML"),
    Structure.Kind.PIE: ("PIE", "projet insertion emploi", "projet d'insertion emploi"),
    Structure.Kind.SIAE: (
        "SIAE",
        "IAE",
        "structure d'insertion par l'activité économique",
        "insertion par l'activité économique",
        "ACI",
        "atelier chantier d'insertion",
        "chantier d'insertion",
        "entreprise d'insertion",
        "ETTI",
        "association intermédiaire",
    ),
    Structure.Kind.ASSOCIATION_RSA: (
        "association référente RSA",
        "référent RSA",
        "association RSA",
    ),
    Structure.Kind.FRANCE_TRAVAIL: ("France Travail", "Pôle emploi", "ANPE"),
    Structure.Kind.ASE: ("ASE", "aide sociale à l'enfance"),
    Structure.Kind.MDE: (
        "MDE",
        "maison de l'emploi",
        "MDEF",
        "maison de l'emploi et de la formation",
    ),
    Structure.Kind.SERVICE_SOCIAL: (
        "service social départemental",
        "SSD",
        "service social du département",
        "MDS",
        "maison départementale des solidarités",
    ),
    Structure.Kind.MEDIATION_NUMERIQUE: (
        "médiation numérique",
        "organisme de médiation numérique",
        "EPN",
        "espace public numérique",
    ),
    Structure.Kind.COLLECTIVITE: (
        "collectivité",
        "collectivité territoriale",
        "mairie",
        "commune",
        "ville",
        "conseil départemental",
        "département",
        "conseil régional",
        "région",
        "EPCI",
        "intercommunalité",
        "communauté de communes",
        "communauté d'agglomération",
        "métropole",
    ),
    Structure.Kind.ASSOCIATION: ("association", "asso", "association loi 1901"),
    Structure.Kind.OTHER: ("autre", "autres"),
}


@functools.lru_cache(maxsize=8)
def _kind_lookup(language: str | None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, label in Structure.Kind.choices:
        label = str(label)
        names = {code, label, re.sub(r"\s*\(.*?\)\s*", " ", label)}
        names.update(re.findall(r"\((.*?)\)", label))
        names.update(part for part in label.split("/"))
        for name in names:
            key = name_key(name)
            if key:
                lookup.setdefault(key, code)
    for code, spellings in KIND_SPELLINGS.items():
        for spelling in spellings:
            lookup.setdefault(name_key(spelling), str(code))
    return lookup


def parse_kind(value: str) -> str | None:
    """The `Structure.Kind` code a partner meant by `value`, or None if the list does not
    know it ("C.C.A.S." → "ccas", "Pôle emploi" → "france_travail")."""
    return _kind_lookup(get_language()).get(name_key(value))


def kinds_with_spellings() -> list[tuple[str, str, list[str]]]:
    """(code, label, other accepted spellings) for each type, as the upload page lists them."""
    return [
        (code, str(label), list(KIND_SPELLINGS.get(code, ())))
        for code, label in Structure.Kind.choices
    ]


def same_kind(kind: str, kind_label: str, value: str) -> bool:
    """Whether the type written `value` designates this (kind, declared label)."""
    parsed = parse_kind(value)
    if parsed is not None:
        return parsed == kind
    return kind == Structure.Kind.OTHER and name_key(kind_label) == name_key(value)


# --- Report ------------------------------------------------------------------------------


class Outcome:
    CREATE = "create"
    EXISTING = "existing"
    SAME = "same"
    ERROR = "error"

    LABELS = {
        CREATE: gettext_lazy("à créer"),
        EXISTING: gettext_lazy("déjà connu·e"),
        SAME: gettext_lazy("même personne qu'une autre ligne"),
        ERROR: gettext_lazy("erreur"),
    }


@dataclass
class NewStructure:
    name: str
    kind: str
    kind_label: str  # the type as written, kept when the list does not know it
    commune: str
    declared_line: int  # the line whose type was used
    line_numbers: list[int] = field(default_factory=list)
    structure: Structure | None = None  # set once created

    @property
    def kind_display(self) -> str:
        return str(Structure.Kind(self.kind).label)

    @property
    def structure_url(self) -> str | None:
        if self.structure is None:
            return None
        try:
            return self.structure.get_absolute_url()
        except NoReverseMatch:
            return None


@dataclass
class ImportLine:
    line_number: int
    outcome: str = Outcome.CREATE
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # why the file is refused
    notes: list[str] = field(default_factory=list)  # why the person is already known
    warnings: list[str] = field(default_factory=list)  # shown, never blocking
    email_key: str = ""  # valid e-mail, case-folded
    structure: Structure | None = None  # existing structure
    existing: Participant | None = None  # already in the database
    new_structure: NewStructure | None = None  # structure created by this import
    same_as: ImportLine | None = None  # earlier line of the file, same person
    participant: Participant | None = None  # the record created (after applying)

    @property
    def messages(self) -> list[str]:
        return self.errors + self.notes

    @property
    def is_error(self) -> bool:
        return self.outcome == Outcome.ERROR

    @property
    def outcome_label(self) -> str:
        if self.outcome == Outcome.CREATE and self.participant is not None:
            return _("créé·e")
        if self.outcome == Outcome.SAME and self.same_as is not None:
            return _("même personne que la ligne %(line)s") % {"line": self.same_as.line_number}
        return str(Outcome.LABELS[self.outcome])

    @property
    def full_name(self) -> str:
        last, first = self.values.get("nom", ""), self.values.get("prenom", "")
        return f"{last.upper()} {first}".strip()

    @property
    def structure_name(self) -> str:
        if self.structure is not None:
            return self.structure.name
        if self.new_structure is not None:
            return self.new_structure.name
        return self.values.get("structure", "")

    @property
    def existing_url(self) -> str | None:
        return participant_url(self.existing) if self.existing is not None else None

    @property
    def participant_url(self) -> str | None:
        return participant_url(self.participant) if self.participant is not None else None


def participant_url(participant: Participant) -> str | None:
    try:
        return participant.get_absolute_url()
    except NoReverseMatch:  # pages owned by another area may not be wired yet
        return None


def describe_participant(participant: Participant) -> str:
    return _("%(name)s, %(structure)s (n° %(id)s)") % {
        "name": participant.full_name,
        "structure": participant.structure.name,
        "id": participant.pk,
    }


@dataclass(frozen=True)
class ReportWarning:
    line_number: int | None  # None: about the whole file
    message: str


@dataclass
class ImportReport:
    file_name: str
    lines: list[ImportLine] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)
    structures_to_create: list[NewStructure] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False  # True once the participants are written

    def _count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def created_count(self) -> int:
        return self._count(Outcome.CREATE)

    @property
    def existing_count(self) -> int:
        return self._count(Outcome.EXISTING)

    @property
    def same_count(self) -> int:
        return self._count(Outcome.SAME)

    @property
    def error_count(self) -> int:
        return self._count(Outcome.ERROR)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or self.error_count > 0

    @property
    def error_lines(self) -> list[ImportLine]:
        return [line for line in self.lines if line.is_error]

    @property
    def warnings(self) -> list[ReportWarning]:
        """Every warning, the file's first, then by line: what the preview lists apart."""
        found = [ReportWarning(None, message) for message in self.file_warnings]
        found += [
            ReportWarning(line.line_number, message)
            for line in self.lines
            for message in line.warnings
        ]
        return found

    @property
    def warning_count(self) -> int:
        return len(self.file_warnings) + sum(len(line.warnings) for line in self.lines)

    def summary(self) -> str:
        if self.has_errors:
            problems = []
            if self.error_count:
                problems.append(
                    ngettext("%(n)s ligne en erreur", "%(n)s lignes en erreur", self.error_count)
                    % {"n": self.error_count}
                )
            if self.file_errors:
                problems.append(
                    ngettext(
                        "%(n)s erreur de fichier", "%(n)s erreurs de fichier", len(self.file_errors)
                    )
                    % {"n": len(self.file_errors)}
                )
            return _("Import refusé : %(problems)s. Rien n'a été enregistré.") % {
                "problems": ", ".join(problems)
            }
        people, existing = self.created_count, self.existing_count
        structures = len(self.structures_to_create)
        if self.applied:
            created = ngettext(
                "%(n)s participant·e créé·e", "%(n)s participant·es créé·es", people
            ) % {"n": people}
            new_structures = ngettext(
                "%(n)s structure créée", "%(n)s structures créées", structures
            ) % {"n": structures}
        else:
            created = ngettext(
                "%(n)s participant·e à créer", "%(n)s participant·es à créer", people
            ) % {"n": people}
            new_structures = ngettext(
                "%(n)s structure à créer", "%(n)s structures à créer", structures
            ) % {"n": structures}
        parts = [
            created,
            ngettext("%(n)s déjà connu·e", "%(n)s déjà connu·es", existing) % {"n": existing},
        ]
        if self.same_count:
            parts.append(
                ngettext(
                    "%(n)s ligne en double (même personne)",
                    "%(n)s lignes en double (même personne)",
                    self.same_count,
                )
                % {"n": self.same_count}
            )
        parts.append(new_structures)
        text = ", ".join(parts) + "."
        if self.warning_count:
            text += " " + ngettext(
                "%(n)s avertissement.", "%(n)s avertissements.", self.warning_count
            ) % {"n": self.warning_count}
        if self.dry_run:
            text += " " + _("Simulation : rien n'a été enregistré.")
        return text


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

    for key, label in _REQUIRED_LABELS.items():
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
    for key in _PERSON_DETAILS:
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
