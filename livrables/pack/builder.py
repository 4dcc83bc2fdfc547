"""Writes an audit pack: every registered section's files (`registry.ordered_sections()`,
in order) into a ZIP produced as a stream, then `non_inclus.csv` (when a document had to
be left out), `LISEZMOI.txt` and, last, `manifest.csv`.

Streamed as `livrables.zips` does: `zipfile` writes into a pipe that the generator
empties after every chunk, with data descriptors (no seeking back), so memory holds one
chunk of one file whatever the number of sessions and files. Each file's bytes are hashed
(SHA-256) and counted as they pass: the manifest lists them without reading anything
twice.

A file whose bytes cannot be vouched for — a kept document gone or altered
(`selectors.issued_file` raises `LivrablesError`), a receipt or scan whose digest no
longer matches — is never put in as genuine: its `chunks()` raises `LivrablesError`
before yielding anything, and the builder lists it in `non_inclus.csv` and the LISEZMOI
with the reason. An error after the first byte cannot be undone (the entry has begun):
sections check before they yield (`checked_chunks`).

`manifest.csv` is the contract with the pack's `verifier.py`: UTF-8 with a byte-order
mark, « ; » between cells, CRLF line ends, header `fichier;sha256;octets`, one row per
other file of the ZIP (LISEZMOI.txt and non_inclus.csv included), never itself."""

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import long_date
from livrables.exceptions import LivrablesError
from livrables.pack.registry import PackFile, PackScope, PackSection, ordered_sections

logger = logging.getLogger(__name__)

MANIFEST = "manifest.csv"
README = "LISEZMOI.txt"
NOT_INCLUDED = "non_inclus.csv"
# The pack's number and verification page, read by verifier.py for its « OK » line.
DOSSIER = "dossier.json"
MANIFEST_HEADER = ("fichier", "sha256", "octets")
# Already compressed: stored as they are (deflating them again costs time for nothing).
STORED_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".zip", ".gz")
# A ZIP entry cannot be dated before 1980.
ZIP_EPOCH = dt.datetime(1980, 1, 1)
# The manifest stays in memory up to this size, then goes to a temporary file.
MANIFEST_SPOOL = 256 * 1024
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class PackContext:
    """What the LISEZMOI says of the pack besides its files: its number (the register's),
    the verification address of the register, when and by whom it was built."""

    number: str = ""
    verification_url: str = ""
    built_at: dt.datetime | None = None
    built_by: str = ""


@dataclass
class PackOutcome:
    """Filled while the pack is written (read it once the stream is exhausted): how many
    files were written, those left out with the reason, the sections present."""

    written: int = 0  # files in the ZIP, the manifest excepted
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # path, section, reason
    sections: list[PackSection] = field(default_factory=list)


class _Echo:
    """A file whose `write` returns what it is given: `csv.writer` then formats one line."""

    def write(self, text: str) -> str:
        return text


class _Pipe(io.RawIOBase):
    """Where `zipfile` writes: not seekable, emptied by the generator after each chunk."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def writable(self):
        return True

    def write(self, data):
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def _compression(path: str) -> int:
    return zipfile.ZIP_STORED if path.lower().endswith(STORED_EXTENSIONS) else zipfile.ZIP_DEFLATED


def _zip_info(path: str, modified: dt.datetime | None) -> zipfile.ZipInfo:
    when = modified or timezone.now()
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    when = max(when.replace(tzinfo=None), ZIP_EPOCH)
    info = zipfile.ZipInfo(path, date_time=when.timetuple()[:6])
    info.compress_type = _compression(path)
    # Readable by everyone once unzipped (no execution bit, even for verifier.py: it is run
    # as `python3 verifier.py`).
    info.external_attr = 0o644 << 16
    return info


def csv_bytes(rows, *, header) -> bytes:
    """A small CSV in the pack's form: UTF-8 with BOM, « ; », CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _unused_path(path: str, seen: set[str]) -> str:
    """`path` with « -2 », « -3 »… before its extension, the first not written yet."""
    stem, dot, extension = path.rpartition(".")
    if not dot or "/" in extension:
        stem, dot, extension = path, "", ""
    n = 2
    while (candidate := f"{stem}-{n}{dot}{extension}") in seen:
        n += 1
    return candidate


def stream_pack(
    scope: PackScope,
    *,
    context: PackContext | None = None,
    outcome: PackOutcome | None = None,
    on_file: Callable[[str, bool], None] | None = None,
    sections: list[PackSection] | None = None,
) -> Iterator[bytes]:
    """The pack's ZIP bytes, chunk by chunk. `on_file(path, included)` is called after
    each section file (written, or left out): the background job counts its steps with it.
    `outcome` (optional) is filled as the files pass. `sections`: the registry's by
    default."""
    context = context or PackContext()
    outcome = outcome if outcome is not None else PackOutcome()
    pipe = _Pipe()
    seen: set[str] = set()
    # The manifest's rows, spooled to disk past `MANIFEST_SPOOL` bytes as the files pass
    # (not a list growing with the files).
    manifest = tempfile.SpooledTemporaryFile(max_size=MANIFEST_SPOOL, mode="w+b")
    line = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    manifest.write(("\ufeff" + line.writerow(MANIFEST_HEADER)).encode())
    with manifest, zipfile.ZipFile(pipe, mode="w", allowZip64=True) as archive:

        def write(path: str, chunks, modified=None, count: bool = True) -> Iterator[bytes]:
            digest = hashlib.sha256()
            size = 0
            with archive.open(_zip_info(path, modified), mode="w", force_zip64=True) as entry:
                for chunk in chunks:
                    if not chunk:
                        continue
                    digest.update(chunk)
                    size += len(chunk)
                    entry.write(chunk)
                    yield pipe.take()
            if count:
                manifest.write(line.writerow((path, digest.hexdigest(), size)).encode())
                outcome.written += 1
            yield pipe.take()

        for section in sections if sections is not None else ordered_sections():
            present = False
            for pack_file in section.files(scope):
                if pack_file.path in seen or pack_file.path in (
                    MANIFEST,
                    README,
                    NOT_INCLUDED,
                    DOSSIER,
                ):
                    # Two documents named alike (user titles slug alike): the second gets a
                    # suffix rather than the whole pack failing.
                    logger.warning("Two files of the pack are called %r.", pack_file.path)
                    pack_file = dataclasses.replace(
                        pack_file, path=_unused_path(pack_file.path, seen)
                    )
                seen.add(pack_file.path)
                first, rest, reason = _opened(pack_file)
                if reason is not None:
                    outcome.left_out.append((pack_file.path, str(section.label), reason))
                    if on_file is not None:
                        on_file(pack_file.path, False)
                    continue
                present = True
                yield from write(pack_file.path, _chain(first, rest), pack_file.modified)
                if on_file is not None:
                    on_file(pack_file.path, True)
            if present:
                outcome.sections.append(section)
        if outcome.left_out:
            missing = csv_bytes(outcome.left_out, header=("fichier", "rubrique", "motif"))
            yield from write(NOT_INCLUDED, [missing])
        if context.number:
            yield from write(DOSSIER, [dossier_json(context)])
        yield from write(README, [readme_text(scope, context, outcome).encode("utf-8")])
        manifest.seek(0)
        yield from write(MANIFEST, iter(lambda: manifest.read(READ_CHUNK), b""), count=False)
    yield pipe.take()


def dossier_json(context: PackContext) -> bytes:
    data = {"number": context.number, "verification_url": context.verification_url}
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _opened(pack_file: PackFile):
    """The file's first chunk and the rest of them, or the reason it is left out: a
    `LivrablesError` raised before its first byte (a document that cannot be vouched for)."""
    try:
        chunks = iter(pack_file.chunks())
        first = next(chunks, b"")
    except LivrablesError as error:
        return None, None, error.message
    return first, chunks, None


def _chain(first: bytes, rest) -> Iterator[bytes]:
    yield first
    yield from rest


def _period(scope: PackScope) -> str:
    if scope.date_from and scope.date_to:
        return _(
            "du %(start)s au %(end)s (demi-journées dont la date locale est dans la période)"
        ) % {
            "start": long_date(scope.date_from),
            "end": long_date(scope.date_to),
        }
    if scope.date_from:
        return _("à partir du %(start)s") % {"start": long_date(scope.date_from)}
    if scope.date_to:
        return _("jusqu'au %(end)s") % {"end": long_date(scope.date_to)}
    return _("toute la formation")


def readme_text(scope: PackScope, context: PackContext, outcome: PackOutcome) -> str:
    """LISEZMOI.txt: what the pack is, for which formation and period, when and by whom
    it was built, the sections it holds, what was left out, and how to check it."""
    formation = scope.formation
    built_at = timezone.localtime(context.built_at or timezone.now())
    lines = [
        _("DOSSIER DE JUSTIFICATIFS"),
        "=" * 24,
        "",
        _(
            "Ce dossier rassemble les justificatifs d'une action de formation financée : "
            "feuilles d'émargement scellées, certificats et attestations, état de service "
            "fait, frais engagés et leurs justificatifs, risques d'audit et leurs "
            "explications. Chaque document émis y figure octet pour octet tel qu'il a été "
            "remis et inscrit au registre de l'application."
        ),
        "",
        _("Marché : %(reference)s") % {"reference": formation.contract_reference},
        _("Formation : %(title)s") % {"title": formation.title},
        _("Opération : %(programme)s") % {"programme": formation.programme},
        _("Période : %(period)s") % {"period": _period(scope)},
    ]
    if context.number:
        lines.append(_("Numéro du dossier : %(number)s") % {"number": context.number})
    lines.append(
        _("Constitué le %(date)s à %(time)s par %(who)s")
        % {
            "date": long_date(built_at.date()),
            "time": f"{built_at:%H:%M}",
            "who": context.built_by or _("la commande export_justificatifs"),
        }
    )
    lines += ["", _("CONTENU"), "-" * 7]
    for section in outcome.sections:
        lines.append(f"- {section.label}")
    lines += [
        f"- {MANIFEST} : "
        + _("la liste de tous les autres fichiers, avec leur empreinte SHA-256 et leur taille"),
        "",
        _(
            "Les certificats et attestations couvrent toutes les sessions scellées de la "
            "formation de chaque personne, pas seulement la période."
        ),
    ]
    if outcome.left_out:
        lines += [
            "",
            _("DOCUMENTS NON INCLUS"),
            "-" * 20,
            _(
                "Ces documents n'ont pas été mis dans le dossier : leur fichier conservé est "
                "introuvable ou ne correspond plus à l'empreinte enregistrée. Ils ne sont "
                "jamais présentés comme authentiques (voir aussi %(file)s)."
            )
            % {"file": NOT_INCLUDED},
        ]
        for path, label, reason in outcome.left_out:
            lines.append(f"- {path} ({label}) : {reason}")
    lines += [
        "",
        _("VÉRIFIER LE DOSSIER"),
        "-" * 19,
        _(
            "1. Décompressez le dossier, ouvrez un terminal dans le dossier obtenu et "
            "lancez : python3 verifier.py (sous Windows : py verifier.py). Il suffit de "
            "Python 3.8 ou plus récent, sans rien installer : le script n'utilise que la "
            "bibliothèque standard de Python et peut être lu avant d'être exécuté. Il vérifie "
            "trois choses :"
        ),
        _(
            "   a) chaque fichier listé dans %(manifest)s est présent et intact (empreinte "
            "SHA-256 et taille), et aucun fichier n'a été ajouté ;"
        )
        % {"manifest": MANIFEST},
        _(
            "   b) dans scellements.json, il recalcule l'empreinte de chaque émargement, de "
            "chaque demi-journée scellée et de chaque rectification, et vérifie que les "
            "scellements de chaque session se suivent sans trou depuis le premier. Les "
            "émargements y sont donnés tels qu'ils ont été scellés, avec leurs "
            "rectifications (auteur, motif, date) enchaînées à part. Une demi-journée "
            "scellée hors de la période du dossier n'y figure que comme maillon de la "
            "chaîne, sans ses émargements ;"
        ),
        _(
            "   c) chaque ligne de recapitulatif.csv correspond à un émargement scellé, "
            "rectifications appliquées : statut, minutes prévues et minutes réalisées. "
            "Seuls comptent les émargements signés (ou saisis d'une feuille papier "
            "scannée) d'une demi-journée contresignée par le formateur ou la formatrice : "
            "présent = toute la demi-journée, retard ou départ anticipé = les minutes "
            "notées, absent = 0."
        ),
        _(
            "   Le script affiche « OK » si tout concorde. Sinon, il nomme chaque anomalie "
            "(fichier, session, demi-journée, émargement et participant·e) et se termine "
            "avec le code 1."
        ),
        _(
            "   Le dossier ne peut pas prouver seul qu'il est complet : une session retirée "
            "de tous ses fichiers à la fois ne laisse pas de trace. Seule l'empreinte du "
            "ZIP inscrite au registre le prouve (point 2)."
        ),
        _(
            "   scellements.json contient des données personnelles (noms, adresses IP et "
            "navigateurs des signatures) nécessaires pour recalculer les empreintes : "
            "conservez-le comme les autres justificatifs du financeur."
        ),
    ]
    if context.verification_url:
        lines.append(
            _(
                "2. Le fichier ZIP lui-même est inscrit au registre sous le numéro "
                "%(number)s. La page %(url)s affiche son empreinte SHA-256 : calculez celle "
                "du fichier reçu (sha256sum sous Linux, shasum -a 256 sous macOS, "
                "certutil -hashfile FICHIER SHA256 sous Windows) et comparez-les."
            )
            % {"number": context.number, "url": context.verification_url}
        )
    return "\r\n".join(lines) + "\r\n"
