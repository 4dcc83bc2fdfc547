"""The import's report: each line's outcome, the structures to create, errors and warnings
kept apart; what the preview page and the command show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.models import Participant, Structure

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
