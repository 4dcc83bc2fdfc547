"""Mass import of a structure's members from a CSV or XLSX file (seed 002: « Importation
des Bases des données au format Excel et csv pour un import de masse des adhérents »).

It reuses the participant import's reading (`formations.tabular`: encodings, separators,
XLSX, blank rows, size and line limits, header aliases and bad-file messages) and its
column definitions where they are the same (`formations.importing.reading.COLUMNS`), and
registers each line through `formations.members.member_register`, the one registration
path: someone already known **in this structure** (same e-mail, same mobile number, or same
name and date of birth) is reported « déjà inscrit·e » and left as is; other structures are
never looked at.

    report = import_members(structure=s, file_name="adherents.xlsx", content=b"...",
                            actor=user, dry_run=True)
    report.has_errors, report.lines, report.new_groups

All or nothing: if any line has an error nothing is written; otherwise the new groups, the
people, their memberships and consents are written in one transaction with one audit entry
`members_imported` (plus `member_registered` per person, from `member_register`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _l

from formations.audit import log_action
from formations.consent import (
    IMPORT_WORDING_VERSION,
    annotate_structure_consents,
    annotation_name,
    consent_withdraw,
)
from formations.importing.reading import COLUMNS as PARTICIPANT_COLUMNS
from formations.importing.reading import NO, YES
from formations.members import (
    MATCH_LABELS,
    MemberData,
    MemberError,
    ensure_may_follow,
    member_register,
)
from formations.models import (
    Channel,
    ContactConsent,
    MemberGroup,
    Membership,
    Participant,
    Purpose,
    Structure,
)
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
)
from formations.text import french_sort_key

AUDIT_ACTION = "members_imported"

# --- Columns ---------------------------------------------------------------------------

_SHARED = {column.key: column for column in PARTICIPANT_COLUMNS}

MEMBER_COLUMNS: tuple[Column, ...] = (
    _SHARED["nom"],
    _SHARED["prenom"],
    dataclasses.replace(_SHARED["email"], meaning=_l("Adresse e-mail")),
    dataclasses.replace(
        _SHARED["telephone"], meaning=_l("Téléphone (portable pour recevoir les SMS)")
    ),
    Column(
        "date_naissance",
        False,
        _l("Date de naissance"),
        _l("JJ/MM/AAAA ou AAAA-MM-JJ (ou une date de tableur)"),
        ("date de naissance", "naissance", "né le", "née le", "ddn"),
    ),
    Column("adresse", False, _l("Adresse"), _l("texte, 255 caractères au plus"), ("rue",)),
    Column(
        "code_postal", False, _l("Code postal"), _l("10 caractères au plus"), ("cp", "code postal")
    ),
    dataclasses.replace(_SHARED["commune"], meaning=_l("Commune de la personne")),
    Column(
        "type",
        False,
        _l("Type d'adhérent·e"),
        _l("habitant·e, bénévole ou partenaire ; vide : habitant·e"),
        ("type d'adherent", "type adherent", "statut", "categorie"),
    ),
    Column(
        "groupes",
        False,
        _l("Groupes de la structure"),
        _l(
            "noms séparés par « ; » ou « , » ; un groupe inconnu est créé dans la structure "
            "(l'aperçu le signale)"
        ),
        ("groupe",),
    ),
    Column(
        "consentement_sms",
        False,
        _l(
            "La personne accepte que la structure lui envoie des SMS pour l'informer de son "
            "actualité (accord recueilli par la structure)"
        ),
        _l("oui ou non ; vide : pas d'accord"),
        ("accord sms", "sms"),
    ),
    Column(
        "consentement_email",
        False,
        _l(
            "La personne accepte que la structure lui envoie des e-mails et des lettres "
            "d'information sur son actualité (accord recueilli par la structure)"
        ),
        _l("oui ou non ; vide : pas d'accord"),
        ("consentement e-mail", "consentement mail", "accord e-mail", "accord mail"),
    ),
)
TEMPLATE_HEADER = [column.key for column in MEMBER_COLUMNS]
CONSENT_COLUMNS = {"consentement_sms": Channel.SMS, "consentement_email": Channel.EMAIL}
MAX_LENGTHS = {
    "nom": 120,
    "prenom": 120,
    "email": 254,
    "telephone": 30,
    "adresse": 255,
    "code_postal": 10,
    "commune": 120,
}
GROUP_NAME_MAX = 120
KIND_WORDS = {
    Participant.Kind.RESIDENT: (
        "habitant",
        "habitante",
        "habitant·e",
        "habitant(e)",
        "habitant.e",
        "habitants",
        "adherent",
        "adherente",
        "adherent·e",
        "resident",
    ),
    Participant.Kind.VOLUNTEER: ("benevole", "benevoles", "volunteer"),
    Participant.Kind.PARTNER: ("partenaire", "partenaires", "partner"),
}
_KIND_LOOKUP = {name_key(word): kind for kind, words in KIND_WORDS.items() for word in words}
_GROUP_SPLIT = re.compile(r"[;,]")


def parse_member_kind(value: str) -> str | None:
    """The member kind meant by `value` (blank: resident), None when unknown."""
    if not value.strip():
        return Participant.Kind.RESIDENT
    return _KIND_LOOKUP.get(name_key(value))


def split_groups(value: str) -> list[str]:
    """Group names of a cell, in order, once each (case aside)."""
    names: list[str] = []
    seen: set[str] = set()
    for part in _GROUP_SPLIT.split(value or ""):
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


# --- Report ----------------------------------------------------------------------------


class Outcome:
    CREATE = "create"
    KNOWN = "known"
    SAME = "same"
    ERROR = "error"


OUTCOME_LABELS = {
    Outcome.CREATE: gettext_lazy("à inscrire"),
    Outcome.KNOWN: gettext_lazy("déjà inscrit·e"),
    Outcome.SAME: gettext_lazy("même personne qu'une ligne précédente"),
    Outcome.ERROR: gettext_lazy("erreur"),
}


@dataclass
class MemberLine:
    line_number: int
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outcome: str = Outcome.CREATE
    data: MemberData | None = None
    group_names: list[str] = field(default_factory=list)
    existing: Membership | None = None  # known in this structure
    matched_on: str = ""
    same_as: int | None = None  # earlier line of the same person
    membership: Membership | None = None  # written
    # Channels answered « non »; for a known person, those whose consent stands given
    # (withdrawn by the import) and those answered « oui » (never granted by an import).
    refused: list[str] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)
    grants_ignored: list[str] = field(default_factory=list)

    @property
    def consent_notes(self) -> list[str]:
        """What the import does, or not, with a known person's consent answers."""
        notes = []
        for channel in self.withdrawals:
            notes.append(
                _("accord %(channel)s retiré (« non » dans le fichier)")
                % {"channel": Channel(channel).label}
            )
        for channel in self.grants_ignored:
            notes.append(
                _("accord %(channel)s non modifié : notez-le depuis sa fiche")
                % {"channel": Channel(channel).label}
            )
        return notes

    @property
    def full_name(self) -> str:
        return " ".join(
            part
            for part in (self.values.get("nom", "").upper(), self.values.get("prenom", ""))
            if part
        )

    @property
    def matched_label(self) -> str:
        return str(MATCH_LABELS.get(self.matched_on, ""))

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclass
class MemberImportReport:
    structure: Structure
    file_name: str
    file_errors: list[str] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)
    lines: list[MemberLine] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    @property
    def error_lines(self) -> list[MemberLine]:
        return [line for line in self.lines if line.outcome == Outcome.ERROR]

    @property
    def error_count(self) -> int:
        return len(self.error_lines)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or self.error_count > 0

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def create_count(self) -> int:
        return self.count(Outcome.CREATE)

    @property
    def known_count(self) -> int:
        return self.count(Outcome.KNOWN)

    @property
    def same_count(self) -> int:
        return self.count(Outcome.SAME)

    @property
    def withdrawal_count(self) -> int:
        return sum(len(line.withdrawals) for line in self.lines if line.outcome == Outcome.KNOWN)

    @property
    def grants_ignored_count(self) -> int:
        return sum(len(line.grants_ignored) for line in self.lines if line.outcome == Outcome.KNOWN)

    def summary(self) -> str:
        if self.file_errors:
            return _("Fichier refusé : %(errors)s") % {"errors": " ".join(self.file_errors)}
        if self.has_errors:
            return ngettext(
                "Import refusé : %(n)s ligne en erreur, rien n'a été enregistré.",
                "Import refusé : %(n)s lignes en erreur, rien n'a été enregistré.",
                self.error_count,
            ) % {"n": self.error_count}
        created, known = self.create_count, self.known_count
        same, groups = self.same_count, len(self.new_groups)
        parts = [
            (
                ngettext("%(n)s adhérent·e inscrit·e", "%(n)s adhérent·es inscrit·es", created)
                if self.applied
                else ngettext(
                    "%(n)s adhérent·e à inscrire", "%(n)s adhérent·es à inscrire", created
                )
            )
            % {"n": created},
            ngettext("%(n)s déjà inscrit·e", "%(n)s déjà inscrit·es", known) % {"n": known},
        ]
        if same:
            parts.append(
                ngettext(
                    "%(n)s ligne en double dans le fichier",
                    "%(n)s lignes en double dans le fichier",
                    same,
                )
                % {"n": same}
            )
        withdrawn, ignored = self.withdrawal_count, self.grants_ignored_count
        if withdrawn:
            parts.append(
                (
                    ngettext(
                        "%(n)s accord retiré pour des personnes déjà inscrites",
                        "%(n)s accords retirés pour des personnes déjà inscrites",
                        withdrawn,
                    )
                    if self.applied
                    else ngettext(
                        "%(n)s accord à retirer pour des personnes déjà inscrites",
                        "%(n)s accords à retirer pour des personnes déjà inscrites",
                        withdrawn,
                    )
                )
                % {"n": withdrawn}
            )
        if ignored:
            parts.append(
                ngettext(
                    "%(n)s accord « oui » non repris pour des personnes déjà inscrites (à "
                    "noter depuis leur fiche)",
                    "%(n)s accords « oui » non repris pour des personnes déjà inscrites (à "
                    "noter depuis leur fiche)",
                    ignored,
                )
                % {"n": ignored}
            )
        if groups:
            parts.append(
                (
                    ngettext("%(n)s groupe créé", "%(n)s groupes créés", groups)
                    if self.applied
                    else ngettext("%(n)s groupe à créer", "%(n)s groupes à créer", groups)
                )
                % {"n": groups}
            )
        return ", ".join(parts) + "."


# --- Validation ------------------------------------------------------------------------


@dataclass
class _Known:
    """The structure's members and groups, loaded once for the whole file."""

    by_email: dict[str, Membership] = field(default_factory=dict)
    by_phone: dict[str, Membership] = field(default_factory=dict)
    by_name_birth: dict[tuple[str, dt.date], Membership] = field(default_factory=dict)
    groups: dict[str, MemberGroup] = field(default_factory=dict)  # casefolded name

    @classmethod
    def load(cls, structure: Structure) -> _Known:
        known = cls()
        memberships = annotate_structure_consents(
            Membership.objects.filter(structure=structure).select_related("participant"),
            structure,
            prefix="participant__",
        )
        # Active memberships win over ended ones, as in `known_in_structure`.
        ordered = sorted(memberships, key=lambda m: (m.ended_at is not None, m.pk))
        for membership in ordered:
            person = membership.participant
            if person.email:
                known.by_email.setdefault(person.email.casefold(), membership)
            if person.phone:
                known.by_phone.setdefault(person.phone, membership)
            if person.date_of_birth:
                known.by_name_birth.setdefault((person.sort_key, person.date_of_birth), membership)
        for group in MemberGroup.objects.filter(structure=structure):
            known.groups[group.name.casefold()] = group
        return known

    def find(self, data: MemberData) -> tuple[Membership, str] | None:
        if data.email and data.email.casefold() in self.by_email:
            return self.by_email[data.email.casefold()], "email"
        if data.phone and data.phone in self.by_phone:
            return self.by_phone[data.phone], "phone"
        if data.date_of_birth:
            key = (french_sort_key(data.last_name, data.first_name), data.date_of_birth)
            if key in self.by_name_birth:
                return self.by_name_birth[key], "name_birth"
        return None


def _check_row(row: Row, *, region: str) -> MemberLine:
    line = MemberLine(line_number=row.line)
    values = {column.key: row.text(column.key) for column in MEMBER_COLUMNS}
    line.values = values
    errors = line.errors
    for key, label in (("nom", _("nom")), ("prenom", _("prénom"))):
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
        except ValidationError:
            errors.append(_("Adresse e-mail invalide : « %(value)s ».") % {"value": email})
    phone = ""
    if values["telephone"]:
        try:
            phone = normalize_phone(values["telephone"], region=region)
        except PhoneError as exc:
            errors.append(
                _("Téléphone invalide : « %(value)s » (%(reason)s).")
                % {"value": values["telephone"], "reason": exc.message}
            )
    raw_birth = row.raw("date_naissance")
    birth = None
    try:
        birth = parse_date(raw_birth)
    except (ValueError, OverflowError):
        errors.append(
            _(
                "Date de naissance invalide : « %(value)s » "
                "(formats acceptés : JJ/MM/AAAA ou AAAA-MM-JJ)."
            )
            % {"value": cell_text(raw_birth)}
        )
    if birth is not None and not (dt.date(1900, 1, 1) <= birth <= timezone.localdate()):
        errors.append(
            _("Date de naissance impossible : « %(value)s ».")
            % {"value": birth.strftime("%d/%m/%Y")}
        )
        birth = None
    kind = parse_member_kind(values["type"])
    if kind is None:
        errors.append(
            _("Type inconnu : « %(value)s » (habitant·e, bénévole ou partenaire).")
            % {"value": values["type"]}
        )
    consents = []
    for key, channel in CONSENT_COLUMNS.items():
        answer = name_key(values[key])
        if answer in YES:
            consents.append((channel, Purpose.STRUCTURE_NEWS))
        elif answer in NO and answer:
            line.refused.append(channel)
        elif answer and answer not in NO:
            errors.append(
                _("« %(column)s » : répondez oui ou non (et non « %(value)s »).")
                % {"column": key, "value": values[key]}
            )
    for name in split_groups(values["groupes"]):
        if len(name) > GROUP_NAME_MAX:
            errors.append(
                _("Nom de groupe trop long (%(max)s caractères au plus) : « %(value)s ».")
                % {"max": GROUP_NAME_MAX, "value": name[:40] + "…"}
            )
        else:
            line.group_names.append(name)
    if errors:
        line.outcome = Outcome.ERROR
        return line
    line.data = MemberData(
        last_name=values["nom"],
        first_name=values["prenom"],
        kind=kind,
        email=email,
        phone=phone,
        date_of_birth=birth,
        address=values["adresse"],
        postal_code=values["code_postal"],
        commune=values["commune"],
        consents=consents,
        consent_method=ContactConsent.Method.IMPORT,
        # The person signed the structure's own paper, not one of our texts.
        consent_wording_version=IMPORT_WORDING_VERSION,
    )
    return line


def validate_members(table: Table, *, structure: Structure, file_name: str) -> MemberImportReport:
    """Each line's outcome against the file and the structure's members (a constant number
    of queries). Writes nothing."""
    report = MemberImportReport(structure=structure, file_name=file_name)
    header = table.map(MEMBER_COLUMNS)
    report.file_warnings.extend(header.warnings)
    if header.errors:
        report.file_errors.extend(header.errors)
        return report
    if not table.rows:
        report.file_errors.append(_("Le fichier ne contient aucune ligne de données."))
        return report
    known = _Known.load(structure)
    region = region_for_structure(structure)
    earlier = _Known()  # the file's own lines, to spot a person written twice
    new_groups: dict[str, str] = {}
    for row in header.rows(table):
        line = _check_row(row, region=region)
        report.lines.append(line)
        if line.data is None:
            continue
        found = known.find(line.data)
        if found is not None:
            line.outcome = Outcome.KNOWN
            line.existing, line.matched_on = found
            _known_consents(line)
            continue
        repeated = earlier.find(line.data)
        if repeated is not None:
            line.outcome = Outcome.SAME
            line.same_as = repeated[0].pk  # a line number, see below
            line.matched_on = repeated[1]
            continue
        marker = Membership(pk=line.line_number)  # stands for "the line that creates them"
        marker.participant = Participant(
            last_name=line.data.last_name,
            first_name=line.data.first_name,
            email=line.data.email,
            phone=line.data.phone,
            date_of_birth=line.data.date_of_birth,
            sort_key=french_sort_key(line.data.last_name, line.data.first_name),
        )
        for key, value in (
            ("email", line.data.email.casefold()),
            ("phone", line.data.phone),
        ):
            if value:
                getattr(earlier, f"by_{key}").setdefault(value, marker)
        if line.data.date_of_birth:
            earlier.by_name_birth.setdefault(
                (marker.participant.sort_key, line.data.date_of_birth), marker
            )
        for name in line.group_names:
            if name.casefold() not in known.groups:
                new_groups.setdefault(name.casefold(), name)
    report.new_groups = list(new_groups.values())
    return report


def _known_consents(line: MemberLine) -> None:
    """A known person's answers: a « non » withdraws the structure's news on that channel
    where it stands given; a « oui » is never a grant from a file (the person's consent
    is noted from their profile, in the words they saw)."""
    for channel in line.refused:
        state = getattr(line.existing, annotation_name(channel, Purpose.STRUCTURE_NEWS), None)
        if state == ContactConsent.Action.GIVEN:
            line.withdrawals.append(channel)
    for channel, _purpose in line.data.consents:
        state = getattr(line.existing, annotation_name(channel, Purpose.STRUCTURE_NEWS), None)
        if state != ContactConsent.Action.GIVEN:
            line.grants_ignored.append(channel)


# --- Service ---------------------------------------------------------------------------


def _read(*, file_name, content, cache_key) -> Table:
    if cache_key is None:
        return read_table(file_name=file_name, content=content)
    return read_table_cached(key=cache_key, file_name=file_name, content=content)


def import_members(
    *,
    structure: Structure,
    file_name: str,
    content: bytes,
    actor,
    dry_run: bool = False,
    cache_key: str | None = None,
) -> MemberImportReport:
    """Import `structure`'s members from a CSV or XLSX file, all or nothing (see the module).

    Coordinators, or the structure's administrator and staff (`PermissionDenied` for
    anyone else; `actor=None` is the command). `cache_key`: an upload's token, so that the
    preview and the confirmation parse the file once."""
    ensure_may_follow(actor, structure)
    try:
        table = _read(file_name=file_name, content=content, cache_key=cache_key)
    except TableError as exc:
        return MemberImportReport(
            structure=structure, file_name=file_name, file_errors=[exc.message]
        )
    report = validate_members(table, structure=structure, file_name=file_name)
    report.dry_run = dry_run
    if report.has_errors or dry_run:
        return report
    try:
        with transaction.atomic():
            Structure.objects.select_for_update().filter(pk=structure.pk).first()
            report = validate_members(table, structure=structure, file_name=file_name)
            if report.has_errors:
                return report
            _write(report, actor=actor, content=content)
    except (IntegrityError, ValidationError, MemberError) as exc:
        message = getattr(exc, "message", "") or " ".join(getattr(exc, "messages", []))
        return MemberImportReport(
            structure=structure,
            file_name=file_name,
            file_errors=[
                _(
                    "Les données ont changé pendant l'import. Rien n'a été importé : "
                    "relancez l'import. %(detail)s"
                )
                % {"detail": message}
            ],
        )
    return report


def _write(report: MemberImportReport, *, actor, content: bytes) -> None:
    structure = report.structure
    groups = {
        group.name.casefold(): group for group in MemberGroup.objects.filter(structure=structure)
    }
    created_groups = []
    for name in report.new_groups:
        group = MemberGroup(structure=structure, name=name)
        group.full_clean(exclude=["structure"], validate_constraints=False)
        group.save()
        groups[name.casefold()] = group
        created_groups.append(group)
    digest = hashlib.sha256(content).hexdigest()
    # Each consent row says which file it came from (the evidence is that file).
    note = (
        _("import « %(file)s », SHA-256 %(sha)s") % {"file": report.file_name[:120], "sha": digest}
    )[:255]
    for line in report.lines:
        if line.outcome == Outcome.KNOWN:
            for channel in line.withdrawals:
                consent_withdraw(
                    participant=line.existing.participant,
                    channel=channel,
                    purposes=[Purpose.STRUCTURE_NEWS],
                    structure=structure,
                    method=ContactConsent.Method.IMPORT,
                    actor=actor,
                    note=note,
                )
            continue
        if line.outcome != Outcome.CREATE:
            continue
        line.data.consent_note = note
        line.data.groups = [groups[name.casefold()] for name in line.group_names]
        registration = member_register(structure=structure, actor=actor, data=line.data)
        if not registration.created:  # validated just above, under the structure's lock
            raise MemberError(_("Personne déjà inscrite."), code="race")
        line.membership = registration.membership
    report.applied = True
    log_action(
        actor=actor,
        action=AUDIT_ACTION,
        obj=structure,
        summary=_("Import d'adhérent·es « %(file)s » dans %(structure)s : %(summary)s")
        % {"file": report.file_name, "structure": structure, "summary": report.summary()},
        data={
            "file_name": report.file_name,
            "sha256": digest,
            "withdrawn": [
                [line.existing.pk, channel]
                for line in report.lines
                if line.outcome == Outcome.KNOWN
                for channel in line.withdrawals
            ],
            "structure_id": structure.pk,
            "created_membership_ids": [
                line.membership.pk for line in report.lines if line.membership is not None
            ],
            "known_membership_ids": [
                line.existing.pk for line in report.lines if line.existing is not None
            ],
            "created_group_ids": [group.pk for group in created_groups],
        },
    )
