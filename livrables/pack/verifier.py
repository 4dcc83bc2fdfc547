#!/usr/bin/env python3
"""Vérificateur d'un dossier de justificatifs de Suivi Formations.

Utilisation, dans le dossier décompressé :

    python3 verifier.py            (vérifie le dossier où se trouve ce fichier)
    python3 verifier.py DOSSIER    (vérifie un autre dossier)

Il n'utilise que la bibliothèque standard de Python (3.8 ou plus récent) et ne fait
confiance ni à l'application ni à ce que le dossier affirme : il recalcule tout.

1. manifest.csv : l'empreinte SHA-256 et la taille de chaque fichier listé ; il nomme
   les fichiers manquants, modifiés ou non listés.
2. scellements.json : l'empreinte de chaque émargement, de chaque scellement et de
   chaque rectification, et les maillons des chaînes (les scellements d'une session se
   suivent depuis le n°1 ; les rectifications d'une demi-journée partent de son
   scellement) ; il nomme chaque rupture (session, demi-journée, émargement).
3. recapitulatif.csv : applique les rectifications aux émargements scellés et vérifie
   chaque ligne (mêmes lignes, statut, minutes prévues et réalisées selon la règle de
   l'application : seuls comptent les émargements signés — ou saisis d'une feuille
   papier scannée — d'une demi-journée contre-signée ; présent = minutes prévues, retard
   ou départ anticipé = minutes notées, absent = 0).

Il affiche « OK » et se termine avec le code 0, ou liste chaque anomalie et se termine
avec le code 1 (2 si le dossier est introuvable).

(Written for Python 3.8+ and the standard library only: no annotations, no Django. The
canonical JSON and the hours rule mirror sessions/sealing/digests.py and
sessions/selectors/hours.py; tests/livrables/test_pack_verifier.py keeps them in step.)
"""

import csv
import datetime
import hashlib
import json
import os
import re
import sys
import unicodedata

try:
    from zoneinfo import ZoneInfo
except ImportError:  # Python 3.8: local times are checked against their UTC offset only
    ZoneInfo = None

MANIFEST = "manifest.csv"
SEALED = "scellements.json"
RECAP = "recapitulatif.csv"
DOSSIER = "dossier.json"
NOT_INCLUDED = "non_inclus.csv"
SHEETS_FOLDER = "emargement/"
# The issued sheet of a session, as the pack names it (livrables/pack/sections.py, from the
# sheet's number EMG-<session code>-<yyyymmddHHMMSS>-<4 hex>).
SHEET_NAME = re.compile(r"^feuille-emargement-EMG-(.+)-[0-9]{14}-[0-9A-Fa-f]{4}[.]pdf$")
USAGE = """Utilisation : python3 verifier.py [DOSSIER]

Vérifie un dossier de justificatifs de Suivi Formations décompressé : les empreintes de
manifest.csv, les chaînes de scellements de scellements.json et les lignes de
recapitulatif.csv. Sans DOSSIER, vérifie le dossier où se trouve ce fichier.

Codes de sortie : 0 tout concorde, 1 anomalies (chacune est nommée), 2 dossier introuvable."""
FORMAT = "suivi-formations/scellements"
FORMAT_VERSION = 1
MANIFEST_HEADER = ["fichier", "sha256", "octets"]
# The one list of recapitulatif.csv's columns: livrables/pack/recapitulatif.py imports it.
RECAP_HEADER = [
    "formation",
    "session",
    "date",
    "début",
    "fin",
    "participant",
    # The number of the participant's folder certificats/<nom-prénom-n°>/ (two people of
    # the same name are told apart).
    "n° participant",
    "structure",
    "statut",
    "minutes prévues",
    "minutes réalisées",
    "mode de recueil",
    "empreinte du scellement",
    "n° d'émargement",
]
# What a computer adds to a folder by itself when someone opens it: not part of the pack.
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
IGNORED_FOLDERS = {"__MACOSX", "__pycache__"}

RECTIFIABLE_FIELDS = ("status", "minutes_attended", "arrived_at", "left_at")
DATETIME_FIELDS = ("arrived_at", "left_at")
PRESENT = "present"
PARTIAL_STATUSES = ("late", "left_early", "late_left_early")
PAPER = "paper"
STATUS_LABELS = {
    "present": "Présent·e",
    "late": "Retard",
    "left_early": "Départ anticipé",
    "late_left_early": "Retard et départ anticipé",
    "absent_excused": "Absent·e excusé·e",
    "absent": "Absent·e",
}
METHOD_LABELS = {
    "tablet": "Tablette du formateur",
    "qr_code": "QR code sur son téléphone",
    "remote_link": "Lien personnel à distance",
    "paper": "Feuille papier saisie",
    "trainer": "Relevé par le formateur",
    "closing": "Constaté à la clôture",
}
# The application's CSV files put an apostrophe before a text a spreadsheet would run as a
# formula, except signed numbers and phone numbers.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HARMLESS = re.compile(r"^[+-][\d\s().]*$")


# --- Canonical JSON and digests (as sessions/sealing/digests.py) ------------------------


def normalise(value):
    if isinstance(value, dict):
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, float):
        # The same number spelled 12.0 or 12 is hashed as 12.
        return int(value) if value.is_integer() else value
    return value


def canonical_json(value):
    return json.dumps(normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def neutralise(text):
    if text.startswith(FORMULA_PREFIXES) and not HARMLESS.match(text):
        return "'" + text
    return text


def parse_instant(value):
    """An ISO 8601 date and time with its offset, or None."""
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def same_value(name, left, right):
    """Two values of a rectifiable field are the same (times compared as instants)."""
    if name in DATETIME_FIELDS and isinstance(left, str) and isinstance(right, str):
        left_instant, right_instant = parse_instant(left), parse_instant(right)
        if left_instant is not None and right_instant is not None:
            return left_instant == right_instant
    return canonical_json(left) == canonical_json(right)


def whole_seconds(instant):
    return int(instant.timestamp() // 1)


def planned_minutes(slot_record):
    start = parse_instant(slot_record.get("starts_at"))
    end = parse_instant(slot_record.get("ends_at"))
    if start is None or end is None:
        return None
    return (whole_seconds(end) - whole_seconds(start)) // 60


def realised_minutes(slot_record, record, planned):
    """The application's rule (sessions/selectors/hours.py): a row counts when the half-day
    is countersigned and the row is signed, or keyed in from a scanned paper sheet; then
    present = every planned minute, late or left early = the minutes recorded, else 0."""
    countersigned = slot_record.get("countersigned_at") is not None
    signed = record.get("signature") is not None or (
        record.get("method") == PAPER and record.get("paper_scan_sha256") is not None
    )
    if not (countersigned and signed):
        return 0
    status = record.get("status")
    if status == PRESENT:
        return planned
    if status in PARTIAL_STATUSES:
        return record.get("minutes_attended") or 0
    return 0


# --- Report -------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.breaks = []
        self.lines = []
        self.notes = []

    def fail(self, where, message):
        self.breaks.append("[" + where + "] " + message)

    def note(self, message):
        if message not in self.notes:
            self.notes.append(message)


def plural(count, singular, many):
    return str(count) + " " + (singular if count <= 1 else many)


# --- 1. The manifest ----------------------------------------------------------------------


def file_digest(path):
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while True:
            block = handle.read(1024 * 1024)
            if not block:
                break
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def safe_relative(path):
    parts = path.split("/")
    return (
        path != ""
        and not path.startswith("/")
        and "\\" not in path
        and ":" not in parts[0]
        and all(part not in ("", ".", "..") for part in parts)
    )


def folder_files(folder):
    found = set()
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in IGNORED_FOLDERS)
        for name in files:
            if name in IGNORED_NAMES or name.startswith("._"):
                continue
            relative = os.path.relpath(os.path.join(root, name), folder)
            found.add(relative.replace(os.sep, "/"))
    return found


def check_manifest(folder, report):
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        report.fail(MANIFEST, "le manifeste est absent : aucun fichier ne peut être vérifié.")
        return set()
    listed = set()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    if not rows or rows[0] != MANIFEST_HEADER:
        report.fail(MANIFEST, "en-tête inattendu (attendu : " + ";".join(MANIFEST_HEADER) + ").")
        return set()
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        where = MANIFEST + ", ligne " + str(number)
        if len(row) != 3 or not re.match(r"^[0-9a-f]{64}$", row[1]) or not row[2].isdigit():
            report.fail(where, "ligne illisible : " + ";".join(row))
            continue
        name, expected_digest, expected_size = row[0], row[1], int(row[2])
        if not safe_relative(name) or name == MANIFEST:
            report.fail(where, "chemin refusé : " + name)
            continue
        if name in listed:
            report.fail(where, "fichier listé deux fois : " + name)
            continue
        listed.add(name)
        full = os.path.join(folder, *name.split("/"))
        if not os.path.isfile(full):
            report.fail(name, "fichier manquant (listé dans le manifeste).")
            continue
        digest, size = file_digest(full)
        sizes = f"taille {size} au lieu de {expected_size} octets, "
        if digest != expected_digest or size != expected_size:
            report.fail(
                name,
                "fichier modifié : "
                + (sizes if size != expected_size else "")
                + f"empreinte SHA-256 {digest[:12]}… au lieu de {expected_digest[:12]}… "
                "(manifeste).",
            )
    for name in sorted(folder_files(folder) - listed - {MANIFEST}):
        report.fail(name, "fichier présent dans le dossier mais absent du manifeste.")
    checked = plural(len(listed), "fichier vérifié", "fichiers vérifiés")
    report.lines.append(f"Manifeste : {checked}.")
    return listed


# --- 2. The seals ---------------------------------------------------------------------------


def french_instant(instant):
    """JJ/MM/AAAA HH:MM (décalage ±HH:MM): how every message writes a date."""
    offset = instant.strftime("%z")
    offset = offset[:3] + ":" + offset[3:] if offset else ""
    return instant.strftime("%d/%m/%Y %H:%M") + (" (UTC" + offset + ")" if offset else "")


def french_date(text):
    """An ISO date (AAAA-MM-JJ) as JJ/MM/AAAA; anything else as it is."""
    try:
        return datetime.date.fromisoformat(str(text)).strftime("%d/%m/%Y")
    except ValueError:
        return str(text)


def json_error(error):
    """Python's JSON error, in French: where the file stops being JSON."""
    line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    if line is not None:
        return f"ce n'est pas du JSON valide (ligne {line}, colonne {column})."
    return "ce n'est pas du texte UTF-8 valide."


def half_day_label(code, local, sequence):
    if isinstance(local, dict) and local.get("date") and local.get("start"):
        try:
            day = datetime.date.fromisoformat(local["date"]).strftime("%d/%m/%Y")
        except ValueError:
            day = str(local["date"])
        return code + ", " + day + " " + str(local.get("start")) + "–" + str(local.get("end"))
    return code + ", scellement n°" + str(sequence)


def record_label(record):
    name = record.get("signer_name") or ("participant n°" + str(record.get("participant")))
    return "émargement n°" + str(record.get("attendance")) + " (" + str(name) + ")"


def check_local_times(where, local, slot_record, time_zone, report):
    """The local date and times (shown in recapitulatif.csv) are the sealed UTC times in the
    session's zone."""
    if not isinstance(local, dict):
        report.fail(where, "heures locales absentes.")
        return
    for key, field in (("starts_at", "starts_at"), ("ends_at", "ends_at")):
        shown, sealed = parse_instant(local.get(key)), parse_instant(slot_record.get(field))
        if shown is None or sealed is None or shown != sealed:
            shown_text = french_instant(shown) if shown else local.get(key)
            sealed_text = french_instant(sealed) if sealed else slot_record.get(field)
            report.fail(
                where,
                f"heure locale « {shown_text} » différente de l'heure scellée « {sealed_text} ».",
            )
            return
    start, end = parse_instant(local["starts_at"]), parse_instant(local["ends_at"])
    if (
        local.get("date") != start.date().isoformat()
        or local.get("start") != start.strftime("%H:%M")
        or local.get("end") != end.strftime("%H:%M")
    ):
        report.fail(where, f"date ou heures locales incohérentes avec {french_instant(start)}.")
        return
    if ZoneInfo is None:
        report.note(
            "Fuseaux horaires non vérifiés (Python 3.8) : les heures locales sont "
            "vérifiées avec le décalage horaire indiqué."
        )
        return
    try:
        zone = ZoneInfo(time_zone)
    except Exception:
        report.note(
            f"Fuseau horaire « {time_zone} » inconnu de cette machine : les heures locales "
            "sont vérifiées avec le décalage horaire indiqué."
        )
        return
    if start.utcoffset() != start.astimezone(zone).utcoffset():
        report.fail(
            where, f"décalage horaire de {french_instant(start)} faux pour le fuseau {time_zone}."
        )


def check_slot_record(where, seal, slot_record, session, formation, report):
    """What the half-day's canonical form says must match the seal and the session it is
    filed under (a half-day moved to another session, or a seal renumbered)."""
    if slot_record.get("sequence") != seal.get("sequence"):
        report.fail(
            where,
            f"le rang scellé ({slot_record.get('sequence')}) n'est pas celui du scellement "
            f"({seal.get('sequence')}).",
        )
    if slot_record.get("session") != session.get("id"):
        other = slot_record.get("session")
        report.fail(where, f"la demi-journée scellée appartient à une autre session (n°{other}).")
    version = slot_record.get("version", 1)
    if version != seal.get("version"):
        report.fail(where, "format de scellement incohérent.")
    if version >= 2:
        expected = (
            ("formation", formation.get("id"), "formation"),
            ("contract_reference", formation.get("contract_reference"), "référence du marché"),
            ("formation_title", formation.get("title"), "intitulé de la formation"),
            ("time_zone", session.get("time_zone"), "fuseau horaire de la session"),
        )
        for key, value, label in expected:
            if slot_record.get(key) != value:
                sealed = slot_record.get(key)
                report.fail(where, f"{label} scellé(e) « {sealed} », annoncé(e) « {value} ».")


def check_rectifications(where, half_day, slot_record, records, report):
    """The half-day's rectifications: their chain from the seal, then their values applied
    (oldest first) to the sealed records, which become the values that count."""
    head = half_day["seal"].get("digest")
    count = 0
    for rect in half_day.get("rectifications") or []:
        count += 1
        record = rect.get("record") or {}
        label = "rectification n°" + str(rect.get("id"))
        target = records.get(str(record.get("attendance")))
        if target is not None:
            label += " de l'" + record_label(target["sealed"])
        if rect.get("previous_digest") != head:
            report.fail(
                where,
                f"{label} : ne suit pas le maillon précédent de la chaîne "
                "(rectification supprimée, insérée ou déplacée).",
            )
        recomputed = sha256_hex(str(rect.get("previous_digest")) + canonical_json(record))
        if recomputed != rect.get("digest"):
            report.fail(where, label + " : modifiée (empreinte recalculée différente).")
        head = rect.get("digest")
        if record.get("slot") != slot_record.get("slot") or target is None:
            report.fail(where, label + " : vise un émargement absent de cette demi-journée.")
            continue
        old, new = record.get("old_values"), record.get("new_values")
        if (
            not isinstance(old, dict)
            or not isinstance(new, dict)
            or not set(new) <= set(RECTIFIABLE_FIELDS)
            or set(old) != set(new)
        ):
            report.fail(where, label + " : illisible.")
            continue
        current = target["current"]
        # A format-1 record has no arrival or departure time: a rectification still names
        # them (with their value at the time), which it is not for the sealed record to show.
        differing = [
            name
            for name in old
            if name in current and not same_value(name, current.get(name), old[name])
        ]
        if differing:
            fields = ", ".join(differing)
            report.fail(
                where,
                f"{label} : part de valeurs qui ne sont pas celles de l'émargement ({fields}).",
            )
        current.update(new)
    return count


def check_seals(folder, formation_holder, report, sessions=None):
    """Returns the sealed records of the half-days in the scope, by émargement number, with
    their values after rectification, for the check of recapitulatif.csv; None when the
    file cannot be read."""
    path = os.path.join(folder, SEALED)
    if not os.path.isfile(path):
        report.fail(SEALED, "fichier absent : les scellements ne peuvent être vérifiés.")
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        report.fail(SEALED, "fichier illisible : " + json_error(error))
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        report.fail(SEALED, "ce n'est pas un fichier de scellements de Suivi Formations.")
        return None
    if data.get("format_version") != FORMAT_VERSION:
        report.fail(
            SEALED,
            f"format {data.get('format_version')} inconnu de ce vérificateur "
            f"(format {FORMAT_VERSION}).",
        )
        return None
    formation = data.get("formation") or {}
    formation_holder.append(formation)
    label = formation.get("contract_reference") or formation.get("title")
    if formation.get("label") != label:
        report.fail(
            SEALED, f"nom de la formation « {formation.get('label')} » au lieu de « {label} »."
        )
    period = data.get("period") or {}
    scope_records = {}
    totals = {"sessions": 0, "half_days": 0, "links": 0, "records": 0, "rectifications": 0}
    for position_session, entry in enumerate(data.get("sessions") or [], start=1):
        try:
            check_session(entry, formation, scope_records, totals, report, period)
            if sessions is not None:
                code = str(entry["session"].get("code"))
                in_scope = any(day.get("in_scope") for day in entry.get("half_days") or [])
                sessions[code] = sessions.get(code, False) or in_scope
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            code = "session n°" + str(position_session)
            if isinstance(entry, dict) and isinstance(entry.get("session"), dict):
                code = str(entry["session"].get("code"))
            report.fail(code, f"données illisibles ({type(error).__name__} : {error}).")
    sessions = plural(totals["sessions"], "session", "sessions")
    half_days = plural(totals["half_days"], "demi-journée scellée", "demi-journées scellées")
    links = plural(totals["links"], "maillon", "maillons")
    records = plural(totals["records"], "émargement", "émargements")
    rectifications = plural(totals["rectifications"], "rectification", "rectifications")
    outside = f" (et {links} de chaîne hors période)" if totals["links"] else ""
    report.lines.append(
        f"Scellements : {sessions}, {half_days}{outside}, {records}, {rectifications}."
    )
    return scope_records


def in_period(day, period):
    """Whether the local date `day` (AAAA-MM-JJ) is within the pack's period (bounds
    included, either optional)."""
    start, end = period.get("from"), period.get("to")
    return (start is None or day >= start) and (end is None or day <= end)


def check_session(entry, formation, scope_records, totals, report, period=None):
    session = entry["session"]
    code = str(session.get("code"))
    half_days = entry.get("half_days") or []
    totals["sessions"] += 1
    if entry.get("seal_count") != len(half_days):
        report.fail(
            code,
            f"la session annonce {entry.get('seal_count')} scellement(s), le fichier en "
            f"contient {len(half_days)} : un scellement manque.",
        )
    expected_previous = ""
    expected_sequence = 1
    for half_day in half_days:
        seal = half_day["seal"]
        slot_record = half_day["slot_record"]
        record_digests = half_day["record_digests"]
        local = half_day.get("local")
        sequence = seal.get("sequence")
        where = half_day_label(code, local, sequence)
        # The chain: ranks 1, 2, 3… each chained to the digest of the one before.
        if sequence != expected_sequence:
            report.fail(
                where,
                f"chaîne interrompue : scellement n°{sequence} trouvé là où le "
                f"n°{expected_sequence} était attendu (un scellement a été supprimé, ajouté "
                "ou déplacé).",
            )
        expected_sequence = (sequence if isinstance(sequence, int) else expected_sequence) + 1
        if seal.get("previous_digest") != expected_previous:
            report.fail(
                where,
                "le scellement ne suit pas le scellement précédent de la session "
                "(empreinte précédente différente).",
            )
        recomputed = sha256_hex(
            str(seal.get("previous_digest"))
            + canonical_json(slot_record)
            + canonical_json(record_digests)
        )
        if recomputed != seal.get("digest"):
            stored = str(seal.get("digest"))[:12]
            report.fail(
                where,
                f"scellement modifié : son empreinte recalculée ({recomputed[:12]}…) "
                f"n'est pas celle enregistrée ({stored}…).",
            )
        expected_previous = seal.get("digest")
        check_slot_record(where, seal, slot_record, session, formation, report)
        check_local_times(where, local, slot_record, session.get("time_zone"), report)
        if period is not None and isinstance(local, dict) and isinstance(local.get("date"), str):
            # Whether a half-day is in the pack follows from its sealed date and the period,
            # not from what the file says: a half-day marked out of the period to drop its
            # émargements (and its rows of the recapitulatif) is a break.
            if bool(half_day.get("in_scope")) != in_period(local["date"], period):
                report.fail(
                    where,
                    "demi-journée marquée "
                    + ("dans" if half_day.get("in_scope") else "hors de")
                    + " la période du dossier alors que sa date scellée dit le contraire.",
                )
        if not half_day.get("in_scope"):
            totals["links"] += 1
            continue
        totals["half_days"] += 1
        planned = planned_minutes(slot_record)
        records = {}
        for record in half_day.get("records") or []:
            key = str(record.get("attendance"))
            totals["records"] += 1
            if key in records:
                report.fail(where, record_label(record) + " : présent deux fois.")
                continue
            if key not in record_digests:
                report.fail(
                    where,
                    f"{record_label(record)} : ajouté après le scellement (aucune empreinte "
                    "scellée).",
                )
            elif sha256_hex(canonical_json(record)) != record_digests[key]:
                report.fail(
                    where,
                    f"{record_label(record)} : modifié depuis le scellement (statut, minutes, "
                    "signature, horodatage ou mode de recueil ; empreinte recalculée "
                    "différente).",
                )
            if record.get("slot") != slot_record.get("slot"):
                report.fail(where, record_label(record) + " : appartient à une autre demi-journée.")
            records[key] = {"sealed": record, "current": dict(record)}
        for key in record_digests:
            if key not in records:
                report.fail(
                    where,
                    f"émargement n°{key} : scellé mais absent de {SEALED} (enregistrement retiré ; "
                    f"sa participante ou son participant figure dans {RECAP} s'il y est resté).",
                )
        totals["rectifications"] += check_rectifications(
            where, half_day, slot_record, records, report
        )
        for key, pair in records.items():
            current = pair["current"]
            scope_records[key] = {
                "where": where,
                "label": record_label(pair["sealed"]),
                "session": code,
                "local": local if isinstance(local, dict) else {},
                "sealed": pair["sealed"],
                "current": current,
                "planned": planned,
                "realised": realised_minutes(slot_record, current, planned),
                "seal_digest": seal.get("digest"),
            }


# --- 3. The summary -------------------------------------------------------------------------


def check_recap(folder, records, formation, report, recap_sessions=None):
    recap_sessions = recap_sessions if recap_sessions is not None else set()
    path = os.path.join(folder, RECAP)
    if not os.path.isfile(path):
        report.fail(RECAP, "fichier absent.")
        return
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    if not rows or rows[0] != RECAP_HEADER:
        report.fail(RECAP, "en-tête inattendu (attendu : " + ";".join(RECAP_HEADER) + ").")
        return
    seen = set()
    count = 0
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        count += 1
        where = RECAP + ", ligne " + str(number)
        if len(row) != len(RECAP_HEADER):
            report.fail(where, "ligne illisible (" + str(len(row)) + " colonnes).")
            continue
        key = row[RECAP_HEADER.index("n° d'émargement")]
        found = records.get(key)
        if found is None:
            name = row[RECAP_HEADER.index("participant")]
            number = row[RECAP_HEADER.index("n° participant")]
            report.fail(
                where,
                f"émargement n°{key} ({name}, participant n°{number}) absent des émargements "
                f"scellés de {SEALED}.",
            )
            continue
        if key in seen:
            report.fail(where, found["label"] + " : listé deux fois.")
            continue
        seen.add(key)
        recap_sessions.add(found["session"])
        sealed, current, local = found["sealed"], found["current"], found["local"]
        expected = [
            neutralise(str(formation.get("label", ""))),
            neutralise(found["session"]),
            local.get("date"),
            local.get("start"),
            local.get("end"),
            neutralise(sealed["signer_name"]) if sealed.get("signer_name") else None,
            str(sealed.get("participant")),
            neutralise(sealed["signer_structure"]) if sealed.get("signer_structure") else None,
            STATUS_LABELS.get(current.get("status"), current.get("status")),
            str(found["planned"]),
            str(found["realised"]),
            METHOD_LABELS.get(current.get("method"), current.get("method")),
            found["seal_digest"],
        ]
        for index, value in enumerate(expected):
            if value is not None and row[index] != value:
                shown, expected_shown = row[index], value
                if RECAP_HEADER[index] == "date":
                    shown, expected_shown = french_date(shown), french_date(value)
                report.fail(
                    where,
                    f"{found['where']}, {found['label']} : {RECAP_HEADER[index]} "
                    f"« {shown} » dans {RECAP}, « {expected_shown} » d'après les émargements "
                    "scellés et leurs rectifications.",
                )
    for key in sorted(set(records) - seen, key=lambda k: (len(k), k)):
        missing = records[key]
        report.fail(
            RECAP,
            f"{missing['where']}, {missing['label']} : émargement scellé sans ligne dans le "
            "récapitulatif.",
        )
    checked = plural(count, "ligne vérifiée", "lignes vérifiées")
    report.lines.append(f"Récapitulatif : {checked}.")


# --- 4. Sessions against their sheets -----------------------------------------------------


def name_key(text):
    """A session code or a file name part compared the way the pack writes file names
    (ASCII letters and digits only, case ignored)."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", text.lower())


def left_out_files(folder):
    path = os.path.join(folder, NOT_INCLUDED)
    if not os.path.isfile(path):
        return set()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row[0] for row in list(csv.reader(handle, delimiter=";"))[1:] if row}


def check_sheets(folder, listed, sessions, recap_sessions, report):
    """Every issued sheet under emargement/ belongs to a session of scellements.json (a
    session removed from scellements.json but whose sheet stayed is named), and a session
    with sealed half-days in the period appears somewhere else: its sheet, or its rows in
    recapitulatif.csv."""
    sheets = {}
    for name in sorted(set(listed) | left_out_files(folder)):
        if not name.startswith(SHEETS_FOLDER):
            continue
        match = SHEET_NAME.match(name[len(SHEETS_FOLDER) :])
        if match is not None:
            sheets.setdefault(name_key(match.group(1)), []).append(name)
    codes = {name_key(code): code for code in sessions}
    for key, names in sorted(sheets.items()):
        if key not in codes:
            for name in names:
                report.fail(
                    name,
                    f"feuille d'émargement d'une session absente de {SEALED} "
                    "(session retirée des scellements ?).",
                )
    for code, in_scope in sessions.items():
        if in_scope and name_key(code) not in sheets and code not in recap_sessions:
            report.fail(
                code,
                f"session scellée présente seulement dans {SEALED} : ni feuille d'émargement "
                f"ni ligne dans {RECAP}.",
            )


def verification_address(folder):
    """The pack's verification page, from dossier.json (written by the application)."""
    path = os.path.join(folder, DOSSIER)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    url = data.get("verification_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and url else None


# --- Main -----------------------------------------------------------------------------------


def verify(folder):
    report = Report()
    listed = check_manifest(folder, report)
    formation_holder = []
    sessions = {}
    records = check_seals(folder, formation_holder, report, sessions)
    if records is not None:
        recap_sessions = set()
        check_recap(folder, records, formation_holder[0], report, recap_sessions)
        check_sheets(folder, listed, sessions, recap_sessions, report)
    return report


def main(argv):
    if hasattr(sys.stdout, "reconfigure"):
        # Names in any script: never fail on a console that cannot show them.
        sys.stdout.reconfigure(errors="replace")
    if len(argv) > 1 and argv[1] in ("-h", "--help", "-?", "/?"):
        print(USAGE)
        return 0
    if len(argv) > 1 and argv[1].startswith("-"):
        print("Option inconnue : " + argv[1])
        print(USAGE)
        return 2
    folder = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    if not os.path.isdir(folder):
        print("Dossier introuvable : " + folder)
        return 2
    print("Vérification du dossier " + os.path.abspath(folder))
    report = verify(folder)
    for line in report.lines:
        print(line)
    for note in report.notes:
        print("Remarque : " + note)
    if report.breaks:
        print(plural(len(report.breaks), "anomalie", "anomalies") + " :")
        for item in report.breaks:
            print("- " + item)
        print("ÉCHEC : le dossier ne correspond pas à ce qui a été scellé.")
        return 1
    print("OK : les fichiers du dossier sont intacts et concordent avec les scellements.")
    # Why: removing a whole session from every file of the pack (its half-days, its rows,
    # its sheet, the manifest's lines) leaves a pack that agrees with itself. Only the
    # register of the application, through the ZIP's SHA-256, proves nothing was taken out.
    print(
        "Attention : le dossier ne peut pas prouver seul qu'il est complet (une session "
        "retirée de tous ses fichiers ne laisse pas de trace ici)."
    )
    url = verification_address(folder)
    if url:
        print(
            "Comparez aussi l'empreinte SHA-256 du ZIP reçu avec celle de la page "
            + url
            + " (sha256sum, shasum -a 256 ou certutil -hashfile FICHIER SHA256)."
        )
    else:
        print(
            "Comparez aussi l'empreinte SHA-256 du ZIP reçu avec celle de sa page de "
            "vérification (adresse dans LISEZMOI.txt)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
