"""The verifiable core of the audit pack: `scellements.json`, `recapitulatif.csv` and the
standalone `verifier.py`, run as an auditor would (a subprocess in the unzipped folder)
on a world sealed through the real services."""

import ast
import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from formations.exporting import neutralise
from livrables.pack import recapitulatif, sealed, verifier_file
from livrables.pack.registry import PACK_SECTIONS, PackScope
from sessions.models import Attendance, Rectification, Seal
from sessions.sealing import (
    canonical_json,
    record_digest,
    seal_digest,
    slot_record,
    verify_sessions,
)
from sessions.selectors.hours import hours_by_participant
from sessions.services.attendance import attendance_key_in, attendance_mark, attendance_rectify
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
)
from tests.factories.sessions import PaperSheetScanFactory, close, sign

pytestmark = pytest.mark.django_db

VERIFIER = Path(sealed.__file__).with_name("verifier.py")
SECTIONS = ("recapitulatif", "scellements", "verifier")
FIRST_DAY = dt.date(2021, 10, 4)


@dataclass
class World:
    formation: object
    sessions: list
    rectified: Attendance | None = None


def _slot(session, day, start, end):
    tz = session.tzinfo
    return SlotFactory(
        session=session,
        starts_at=timezone.make_aware(dt.datetime.combine(day, start), tz),
        ends_at=timezone.make_aware(dt.datetime.combine(day, end), tz),
    )


def build_world(trainer, coordinator, *, sessions=2, rectify=True) -> World:
    """`sessions` sessions of one formation, a week apart, each of two days × two
    half-days and four people: one signs everything, one signs and is marked late, one
    is keyed in from a paper sheet, one never signs (struck out at the close). The
    second day is closed afternoon first, so chain order is not calendar order. The
    first session's late person is rectified after the close."""
    formation = FormationFactory(contract_reference="FEDER-2018-AO.3")
    world = World(formation=formation, sessions=[])
    for index in range(sessions):
        session = TrainingSessionFactory(
            formation=formation,
            code=f"LABO-2021-{index + 1}",
            time_zone="Indian/Mayotte" if index == 1 else "Europe/Paris",
        )
        session.trainers.add(trainer)
        people = [
            EnrolmentFactory(
                session=session,
                participant=ParticipantFactory(
                    last_name=name, first_name="Ana", structure=StructureFactory()
                ),
            )
            for name in ("Nguyễn", "Dvořák", "Öztürk", "Martin")
        ]
        world.sessions.append(session)
        for offset in (0, 1):
            day = FIRST_DAY + dt.timedelta(days=7 * index + offset)
            morning = _slot(session, day, dt.time(9), dt.time(12, 30))
            afternoon = _slot(session, day, dt.time(13, 30), dt.time(17))
            for slot in (morning, afternoon):
                sign(people[0], slot)
                sign(people[1], slot)
                attendance_mark(
                    enrolment=people[1],
                    slot=slot,
                    status="late",
                    minutes_missed=20,
                    actor=trainer,
                    now=slot.ends_at,
                )
                scan = PaperSheetScanFactory(slot=slot)
                attendance_key_in(
                    enrolment=people[2],
                    slot=slot,
                    status="left_early",
                    minutes_missed=30,
                    scan=scan,
                    actor=trainer,
                    now=slot.ends_at,
                )
            for slot in (morning, afternoon) if offset == 0 else (afternoon, morning):
                close(slot, trainer)
            if index == 0 and offset == 0 and rectify:
                late = Attendance.objects.get(enrolment=people[1], slot=morning)
                attendance_rectify(
                    attendance=late,
                    status="present",
                    reason="Arrivée à l'heure, notée en retard par erreur",
                    author=coordinator,
                )
                attendance_rectify(
                    attendance=Attendance.objects.get(enrolment=people[3], slot=morning),
                    status="absent_excused",
                    reason="Justificatif médical reçu",
                    author=coordinator,
                )
                world.rectified = late
    return world


def write_pack(scope: PackScope, folder: Path, extra: dict[str, bytes] | None = None) -> Path:
    """Writes this module's three sections (and `extra` files standing for the other
    sections' documents) into `folder`, then `manifest.csv` as the builder does."""
    folder.mkdir(parents=True, exist_ok=True)
    for key in SECTIONS:
        for pack_file in PACK_SECTIONS[key].files(scope):
            target = folder / pack_file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"".join(pack_file.chunks()))
    for path, content in (extra or {}).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    write_manifest(folder)
    return folder


def write_manifest(folder: Path) -> None:
    """UTF-8 with a BOM, « ; », CRLF, `fichier;sha256;octets`: every other file."""
    lines = ["fichier;sha256;octets"]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == "manifest.csv":
            continue
        content = path.read_bytes()
        lines.append(f"{name};{hashlib.sha256(content).hexdigest()};{len(content)}")
    (folder / "manifest.csv").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())


def run_verifier(folder: Path, *, in_folder=True) -> subprocess.CompletedProcess:
    args = (
        [sys.executable, "verifier.py"]
        if in_folder
        else [sys.executable, str(VERIFIER), str(folder)]
    )
    return subprocess.run(
        args,
        cwd=folder if in_folder else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )


def read_recap(folder: Path) -> list[dict]:
    text = (folder / "recapitulatif.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def read_sealed(folder: Path) -> dict:
    return json.loads((folder / "scellements.json").read_text(encoding="utf-8"))


def write_sealed(folder: Path, data: dict) -> None:
    (folder / "scellements.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def assert_ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(line.startswith("OK :") for line in result.stdout.splitlines()), result.stdout
    assert "ne peut pas prouver seul qu'il est complet" in result.stdout


def assert_break(result, *fragments):
    assert result.returncode == 1, result.stdout + result.stderr
    assert not any(line.startswith("OK") for line in result.stdout.splitlines())
    for fragment in fragments:
        assert fragment in result.stdout, result.stdout


@pytest.fixture
def world(trainer, coordinator):
    return build_world(trainer, coordinator)


@pytest.fixture
def pack(world, tmp_path):
    return write_pack(
        PackScope(formation=world.formation),
        tmp_path / "pack",
        extra={"feuilles/LABO-2021-1.pdf": b"%PDF-1.4 feuille scellee"},
    )


# --- A fresh pack ---------------------------------------------------------------------


def test_fresh_pack_verifies_ok_in_its_folder(world, pack):
    assert verify_sessions(world.sessions).ok

    result = run_verifier(pack)

    assert_ok(result)
    assert "Manifeste : 4 fichiers vérifiés." in result.stdout
    assert (
        "Scellements : 2 sessions, 8 demi-journées scellées, 32 émargements, 2 rectifications."
        in result.stdout
    )
    assert "Récapitulatif : 32 lignes vérifiées." in result.stdout


def _python_3_8() -> str | None:
    """pyenv's 3.8 when installed (its shim fails outside a pyenv shell), else one on
    PATH."""
    pyenv = sorted(Path.home().glob(".pyenv/versions/3.8*/bin/python3.8"))
    if pyenv:
        return str(pyenv[-1])
    found = shutil.which("python3.8")
    return found if found and "shims" not in found else None


def test_verifier_runs_on_python_3_8(pack):
    python = _python_3_8()
    if python is None:
        pytest.skip("no Python 3.8 on this machine")

    result = subprocess.run(
        [python, "verifier.py"],
        cwd=pack,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )

    assert_ok(result)
    # No zoneinfo before 3.9: local times are checked against their stated offset.
    assert "Fuseaux horaires non vérifiés (Python 3.8)" in result.stdout


def test_verifier_checks_a_folder_given_as_argument(pack):
    assert_ok(run_verifier(pack, in_folder=False))


def test_missing_folder_exits_two(tmp_path):
    result = run_verifier(tmp_path / "nulle-part", in_folder=False)

    assert result.returncode == 2
    assert "Dossier introuvable" in result.stdout


def test_recap_realised_minutes_equal_the_hours_selectors(world, pack):
    person_of = dict(Attendance.objects.values_list("pk", "enrolment__participant_id"))
    by_person: dict[int, int] = {}
    for row in read_recap(pack):
        person = person_of[int(row["n° d'émargement"])]
        by_person[person] = by_person.get(person, 0) + int(row["minutes réalisées"])
    people = hours_by_participant(formation=world.formation)

    assert by_person == {p.pk: p.realised_minutes for p in people}
    # Signed: 4 × 210; late (20 min missed): 190, once rectified to present; paper left
    # early (30 min missed): 180; never signed: 0.
    assert sorted(p.realised_minutes for p in people) == sorted(
        [4 * 210, 4 * 210, 3 * 190 + 210, 4 * 190, 4 * 180, 4 * 180, 0, 0]
    )


def test_recap_rows_say_what_the_sheet_says(world, pack):
    rows = read_recap(pack)
    first = rows[0]

    assert list(first) == list(recapitulatif.HEADERS)
    assert first["formation"] == "FEDER-2018-AO.3"
    assert (first["session"], first["date"], first["début"], first["fin"]) == (
        "LABO-2021-1",
        "2021-10-04",
        "09:00",
        "12:30",
    )
    by_status = {(r["participant"], r["statut"], r["mode de recueil"]) for r in rows}
    assert ("ÖZTÜRK Ana", "Départ anticipé", "Feuille papier saisie") in by_status
    assert ("MARTIN Ana", "Absent·e", "Constaté à la clôture") in by_status
    assert ("MARTIN Ana", "Absent·e excusé·e", "Constaté à la clôture") in by_status
    seal = Seal.objects.get(slot_id=world.rectified.slot_id)
    assert {r["empreinte du scellement"] for r in rows if r["date"] == "2021-10-04"} == {
        seal.digest,
        Seal.objects.exclude(pk=seal.pk)
        .get(session=world.sessions[0], slot__starts_at__date=FIRST_DAY)
        .digest,
    }
    raw = (pack / "recapitulatif.csv").read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw


def test_sealed_records_are_exactly_what_was_hashed(world, pack):
    data = read_sealed(pack)
    text = (pack / "scellements.json").read_text(encoding="utf-8")
    half_days = [h for s in data["sessions"] for h in s["half_days"]]
    seals = {seal.pk: seal for seal in Seal.objects.all()}

    for half_day in half_days:
        seal = seals[half_day["seal"]["id"]]
        assert half_day["seal"]["digest"] == seal.digest
        assert half_day["record_digests"] == seal.record_digests
        for record in half_day["records"]:
            canonical = canonical_json(record)
            # Written byte for byte as hashed.
            assert canonical in text
            digest = hashlib.sha256(canonical.encode()).hexdigest()
            assert digest == seal.record_digests[str(record["attendance"])]
    # The rectified row is given as sealed (late), its rectification as its chain link.
    rectified = next(
        r for h in half_days for r in h["records"] if r["attendance"] == world.rectified.pk
    )
    assert rectified["status"] == "late"
    assert Attendance.objects.get(pk=world.rectified.pk).status == "present"
    assert data["sessions"][0]["seal_count"] == 4
    # The second day was closed afternoon first: chain order, not calendar order.
    assert [h["local"]["start"] for h in data["sessions"][0]["half_days"]] == [
        "09:00",
        "13:30",
        "13:30",
        "09:00",
    ]


# --- Breaks the verifier names ----------------------------------------------------------


def test_one_byte_of_a_listed_file_changed_is_named(pack):
    sheet = pack / "feuilles" / "LABO-2021-1.pdf"
    content = bytearray(sheet.read_bytes())
    content[3] ^= 0x01
    sheet.write_bytes(bytes(content))

    assert_break(run_verifier(pack), "[feuilles/LABO-2021-1.pdf] fichier modifié")


def test_missing_and_unlisted_files_are_named(pack):
    (pack / "feuilles" / "LABO-2021-1.pdf").unlink()
    (pack / "ajout.pdf").write_bytes(b"%PDF")
    (pack / ".DS_Store").write_bytes(b"finder")

    result = run_verifier(pack)

    assert_break(
        result,
        "[feuilles/LABO-2021-1.pdf] fichier manquant",
        "[ajout.pdf] fichier présent dans le dossier mais absent du manifeste",
    )
    assert ".DS_Store" not in result.stdout


def test_one_minute_in_the_recap_is_named_even_with_a_rewritten_manifest(pack):
    path = pack / "recapitulatif.csv"
    text = path.read_bytes().decode("utf-8-sig")
    line = next(line for line in text.split("\r\n") if ";Öztürk".upper() in line.upper())
    cells = line.split(";")
    cells[10] = str(int(cells[10]) + 1)
    path.write_bytes(("\ufeff" + text.replace(line, ";".join(cells), 1)).encode())

    # Caught by the manifest…
    assert_break(run_verifier(pack), "[recapitulatif.csv] fichier modifié")
    # …and by the sealed records when someone rewrites the manifest too.
    write_manifest(pack)
    assert_break(
        run_verifier(pack),
        "ÖZTÜRK Ana) : minutes réalisées « 181 » dans recapitulatif.csv, « 180 » d'après",
    )


def test_a_recap_row_removed_or_invented_is_named(pack):
    path = pack / "recapitulatif.csv"
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    removed = lines.pop(1)
    invented = removed.split(";")
    invented[-1] = "999999"
    lines.append(";".join(invented))
    path.write_bytes(("\ufeff" + "\r\n".join(lines)).encode())
    write_manifest(pack)

    assert_break(
        run_verifier(pack),
        "émargement n°999999 (DVOŘÁK Ana, participant n°",
        f"émargement n°{removed.split(';')[-1]} ({removed.split(';')[5]}) : émargement scellé "
        "sans ligne",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "present"), ("signature", {"width": 1, "height": 1, "strokes": []})],
)
def test_one_record_changed_in_the_sealed_file_is_named(world, pack, field, value):
    data = read_sealed(pack)
    record = next(
        r
        for h in data["sessions"][0]["half_days"]
        for r in h["records"]
        if r["signer_name"] == "ÖZTÜRK Ana"
    )
    record[field] = value
    write_sealed(pack, data)
    write_manifest(pack)

    assert_break(
        run_verifier(pack),
        "[LABO-2021-1, 04/10/2021 09:00–12:30] émargement n°"
        f"{record['attendance']} (ÖZTÜRK Ana) : modifié depuis le scellement",
    )


def test_a_seal_removed_from_the_middle_breaks_the_chain(pack):
    data = read_sealed(pack)
    del data["sessions"][1]["half_days"][1]
    write_sealed(pack, data)
    write_manifest(pack)

    assert_break(
        run_verifier(pack),
        "[LABO-2021-2] la session annonce 4 scellement(s), le fichier en contient 3",
        "[LABO-2021-2, 12/10/2021 13:30–17:00] chaîne interrompue : scellement n°3 trouvé là "
        "où le n°2 était attendu",
        "[LABO-2021-2, 12/10/2021 13:30–17:00] le scellement ne suit pas",
    )
    # One gap, named once: the seals after it are not reported again.
    assert "scellement n°4 trouvé" not in run_verifier(pack).stdout


def test_a_seal_digest_rewritten_is_named(pack):
    data = read_sealed(pack)
    data["sessions"][0]["half_days"][0]["slot_record"]["ends_at"] = (
        "2021-10-04T11:00:00.000000+00:00"
    )
    write_sealed(pack, data)
    write_manifest(pack)

    assert_break(run_verifier(pack), "[LABO-2021-1, 04/10/2021 09:00–12:30] scellement modifié")


def test_a_rectification_altered_is_named(world, pack):
    data = read_sealed(pack)
    rect = data["sessions"][0]["half_days"][0]["rectifications"][0]
    rect["record"]["new_values"]["status"] = "absent"
    write_sealed(pack, data)
    write_manifest(pack)

    assert_break(
        run_verifier(pack),
        f"rectification n°{rect['id']} de l'émargement n°{world.rectified.pk} (DVOŘÁK Ana) : "
        "modifiée",
    )


def test_a_rectification_removed_is_named(world, pack):
    data = read_sealed(pack)
    del data["sessions"][0]["half_days"][0]["rectifications"][0]
    write_sealed(pack, data)
    write_manifest(pack)

    # The next rectification no longer follows the seal, and the recap shows the row as
    # rectified while the sealed file says it was not.
    assert_break(
        run_verifier(pack),
        "ne suit pas le maillon précédent de la chaîne",
        "statut « Présent·e » dans recapitulatif.csv, « Retard » d'après",
    )


def test_a_database_row_changed_behind_the_application_makes_the_pack_fail(world, tmp_path):
    row = Attendance.objects.get(
        slot__session=world.sessions[1],
        enrolment__participant__last_name="Martin",
        slot__starts_at=world.sessions[1].slots.order_by("starts_at").first().starts_at,
    )
    Attendance.objects.filter(pk=row.pk).update(status="present")
    folder = write_pack(PackScope(formation=world.formation), tmp_path / "pack")

    assert_break(run_verifier(folder), f"émargement n°{row.pk} (MARTIN Ana) : modifié")


# --- Rectifications, periods, formulas ---------------------------------------------------


def test_a_rectified_half_day_verifies_and_counts_the_rectified_values(world, pack):
    rows = {int(r["n° d'émargement"]): r for r in read_recap(pack)}

    assert rows[world.rectified.pk]["statut"] == "Présent·e"
    assert rows[world.rectified.pk]["minutes réalisées"] == "210"
    assert Rectification.objects.count() == 2
    assert_ok(run_verifier(pack))


def test_a_period_restricted_pack_verifies_with_its_chain_links(world, tmp_path):
    # The second day of the first session only: its chain still starts on day one.
    scope = PackScope(
        formation=world.formation, date_from=dt.date(2021, 10, 5), date_to=dt.date(2021, 10, 5)
    )
    folder = write_pack(scope, tmp_path / "periode")

    result = run_verifier(folder)

    assert_ok(result)
    assert (
        "Scellements : 1 session, 2 demi-journées scellées (et 2 maillons de chaîne hors "
        "période), 8 émargements, 0 rectification." in result.stdout
    )
    assert {r["date"] for r in read_recap(folder)} == {"2021-10-05"}
    data = read_sealed(folder)
    assert data["period"] == {"from": "2021-10-05", "to": "2021-10-05"}
    links = [h for h in data["sessions"][0]["half_days"] if not h["in_scope"]]
    assert len(links) == 2
    assert all("records" not in h and "rectifications" not in h for h in links)


def test_a_period_is_read_in_each_session_local_dates(world, tmp_path):
    # Mayotte's second session (11–12 October): 09:00 there is 06:00 UTC, same date.
    scope = PackScope(formation=world.formation, date_from=dt.date(2021, 10, 12))
    folder = write_pack(scope, tmp_path / "mayotte")

    assert_ok(run_verifier(folder))
    data = read_sealed(folder)
    assert [s["session"]["code"] for s in data["sessions"]] == ["LABO-2021-2"]
    assert data["sessions"][0]["session"]["time_zone"] == "Indian/Mayotte"
    assert data["sessions"][0]["half_days"][-1]["local"]["starts_at"].endswith("+03:00")


def test_formula_looking_names_are_neutralised_and_still_verify(trainer, coordinator, tmp_path):
    world = build_world(trainer, coordinator, sessions=1, rectify=False)
    formation = world.formation
    formation.contract_reference = "=HYPERLINK(1)"
    formation.save()
    folder = write_pack(PackScope(formation=formation), tmp_path / "formules")

    rows = read_recap(folder)

    assert rows[0]["formation"] == "'=HYPERLINK(1)"
    # The half-days sealed the reference as it was: the verifier says so, and nothing
    # else.
    result = run_verifier(folder)
    assert_break(result, "référence du marché scellé(e) « FEDER-2018-AO.3 », annoncé(e)")
    assert "minutes" not in result.stdout.split("anomalie")[1]


def test_a_pack_with_nothing_sealed_verifies(trainer, tmp_path):
    formation = FormationFactory()
    session = TrainingSessionFactory(formation=formation)
    EnrolmentFactory(session=session)
    SlotFactory(session=session)
    folder = write_pack(PackScope(formation=formation), tmp_path / "vide")

    result = run_verifier(folder)

    assert_ok(result)
    assert "Scellements : 0 session, 0 demi-journée scellée" in result.stdout
    assert read_recap(folder) == []


def _single_half_day(trainer):
    session = TrainingSessionFactory(code="CD93-2022-01")
    session.trainers.add(trainer)
    slot = SlotFactory(session=session)
    signed, unsigned = EnrolmentFactory(session=session), EnrolmentFactory(session=session)
    sign(signed, slot)
    # Seen in the room by the trainer, never signed: present on the sheet, 0 minute counted.
    attendance_mark(
        enrolment=unsigned, slot=slot, status="present", actor=trainer, now=slot.ends_at
    )
    seal = close(slot, trainer)
    return session, slot, seal


def test_a_row_the_trainer_saw_but_nobody_signed_counts_nothing(trainer, tmp_path):
    session, slot, _seal = _single_half_day(trainer)
    folder = write_pack(PackScope(formation=session.formation), tmp_path / "pack")

    minutes = {r["mode de recueil"]: r["minutes réalisées"] for r in read_recap(folder)}

    assert minutes == {"Tablette du formateur": "210", "Relevé par le formateur": "0"}
    assert_ok(run_verifier(folder))


def test_a_seal_of_the_first_format_verifies(trainer, tmp_path):
    """Seals made before format 2 kept no slot form and hashed fewer fields: the pack
    gives their half-day as computed now and their records in format 1."""
    session, slot, seal = _single_half_day(trainer)
    seal.version = 1
    rows = Attendance.objects.filter(slot=slot).select_related("enrolment", "paper_scan")
    seal.record_digests = {str(row.pk): record_digest(row, 1) for row in rows}
    seal.sealed_slot = None
    seal.digest = seal_digest(
        previous_digest="", slot_part=slot_record(slot, seal), record_digests=seal.record_digests
    )
    seal.save()
    folder = write_pack(PackScope(formation=session.formation), tmp_path / "v1")

    data = read_sealed(folder)
    (half_day,) = data["sessions"][0]["half_days"]
    assert half_day["seal"]["version"] == 1
    assert "signer_name" not in half_day["records"][0]
    assert_ok(run_verifier(folder))


def test_a_rectified_record_of_the_first_format_verifies(trainer, coordinator, tmp_path):
    """A format-1 record has no arrival time; its rectification still names the one the
    row held: the verifier must not call that a break (the application's check does not)."""
    session, slot, seal = _single_half_day(trainer)
    row = Attendance.objects.filter(slot=slot).order_by("pk").first()  # the signed one
    Attendance.objects.filter(pk=row.pk).update(
        status="late", arrived_at=slot.starts_at + dt.timedelta(minutes=20), minutes_attended=190
    )
    seal.version = 1
    rows = Attendance.objects.filter(slot=slot).select_related("enrolment", "paper_scan")
    seal.record_digests = {str(r.pk): record_digest(r, 1) for r in rows}
    seal.sealed_slot = None
    seal.digest = seal_digest(
        previous_digest="", slot_part=slot_record(slot, seal), record_digests=seal.record_digests
    )
    seal.save()
    attendance_rectify(
        attendance=Attendance.objects.get(pk=row.pk),
        status="present",
        reason="Arrivée à l'heure, notée en retard par erreur",
        author=coordinator,
    )

    folder = write_pack(PackScope(formation=session.formation), tmp_path / "v1-rectifie")

    assert_ok(run_verifier(folder))


def test_a_half_day_marked_out_of_the_period_to_drop_its_rows_is_named(world, tmp_path):
    scope = PackScope(
        formation=world.formation, date_from=dt.date(2021, 10, 5), date_to=dt.date(2021, 10, 5)
    )
    folder = write_pack(scope, tmp_path / "periode")
    data = read_sealed(folder)
    inside = next(h for h in data["sessions"][0]["half_days"] if h["in_scope"])
    inside["in_scope"] = False
    for key in ("records", "rectifications"):
        inside.pop(key, None)
    write_sealed(folder, data)
    recap = folder / "recapitulatif.csv"
    lines = recap.read_bytes().decode("utf-8-sig").split("\r\n")
    start = inside["local"]["start"]
    kept = [line for line in lines if f";{start};" not in line]
    recap.write_bytes(("\ufeff" + "\r\n".join(kept)).encode())
    write_manifest(folder)

    assert_break(run_verifier(folder), "marquée hors de la période du dossier")


# --- Queries and memory ------------------------------------------------------------------


def _consume(scope) -> int:
    size = 0
    for key in ("recapitulatif", "scellements"):
        for pack_file in PACK_SECTIONS[key].files(scope):
            for chunk in pack_file.chunks():
                size += len(chunk)
    return size


@pytest.mark.parametrize("sessions", [2, 6])
def test_queries_do_not_grow_with_sessions(
    trainer, coordinator, sessions, django_assert_max_num_queries
):
    world = build_world(trainer, coordinator, sessions=sessions)
    scope = PackScope(formation=world.formation)

    # Sessions, then seals, rows, rectifications per batch of 10 sessions; the recap is
    # one streamed query.
    with django_assert_max_num_queries(5):
        assert _consume(scope) > 0


def test_sealed_file_is_written_session_by_session(world):
    chunks = list(sealed.sealed_chunks(PackScope(formation=world.formation)))

    # Header, one chunk per session, the end.
    assert len(chunks) == 2 + len(world.sessions)
    assert json.loads(b"".join(chunks))["format"] == sealed.FORMAT


# --- The verifier stays in step with the application ------------------------------------


def test_verifier_is_standard_library_python_3_8():
    source = VERIFIER.read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 8))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])

    assert imported <= set(sys.stdlib_module_names)
    assert not any(isinstance(node, ast.AnnAssign) for node in ast.walk(tree))


def _verifier_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("pack_verifier", VERIFIER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verifier_labels_and_rules_match_the_application():
    module = _verifier_module()

    assert module.STATUS_LABELS == {v: str(label) for v, label in Attendance.Status.choices}
    assert module.METHOD_LABELS == {v: str(label) for v, label in Attendance.Method.choices}
    assert set(module.PARTIAL_STATUSES) == set(Attendance.PARTIAL_STATUSES)
    assert module.RECAP_HEADER == list(recapitulatif.HEADERS)
    for text in ["=SOMME(A1)", "+33 6 12 34 56 78", "-12", "@x", "-x", "Öztürk", "\tx"]:
        assert module.neutralise(text) == neutralise(text)
    for value in [
        {"b": 1.0, "a": [1.5, 2.0, "é", None, True], "c": {"2": "x"}},
        {"strokes": [[[10.0, 20.5, 0]]], "n": 12},
    ]:
        assert module.canonical_json(json.loads(json.dumps(value))) == canonical_json(value)


def test_verifier_section_ships_the_script_byte_for_byte():
    (pack_file,) = PACK_SECTIONS["verifier"].files(None)

    assert pack_file.path == "verifier.py"
    assert b"".join(pack_file.chunks()) == VERIFIER.read_bytes()
    assert verifier_file.VERIFIER_SECTION.key == "verifier"


def test_help_prints_usage_in_french(pack):
    result = subprocess.run(
        [sys.executable, "verifier.py", "--help"],
        cwd=pack,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )

    assert result.returncode == 0
    assert result.stdout.startswith("Utilisation : python3 verifier.py [DOSSIER]")
    assert "Dossier introuvable" not in result.stdout


def test_a_session_whose_rows_are_removed_with_no_sheet_is_named(world, pack):
    data = read_sealed(pack)
    code = data["sessions"][0]["session"]["code"]
    for half_day in data["sessions"][0]["half_days"]:
        half_day["records"] = []
        half_day["record_digests"] = {}
    write_sealed(pack, data)
    recap = pack / "recapitulatif.csv"
    lines = recap.read_bytes().decode("utf-8-sig").split("\r\n")
    recap.write_bytes(
        ("\ufeff" + "\r\n".join(x for x in lines if x.split(";")[1:2] != [code])).encode()
    )
    write_manifest(pack)

    assert_break(run_verifier(pack), f"[{code}] session scellée présente seulement dans")


def test_an_unreadable_sealed_file_is_said_in_french(pack):
    (pack / "scellements.json").write_text('{"format": ', "utf-8")
    write_manifest(pack)

    result = run_verifier(pack)

    assert_break(
        result, "[scellements.json] fichier illisible : ce n'est pas du JSON valide (ligne 1"
    )
    assert "Expecting" not in result.stdout


def test_a_sealed_record_removed_names_the_file_and_the_participant(pack):
    data = read_sealed(pack)
    half_day = next(h for h in data["sessions"][0]["half_days"] if h.get("records"))
    removed = half_day["records"].pop(0)
    write_sealed(pack, data)
    write_manifest(pack)

    assert_break(
        run_verifier(pack),
        f"émargement n°{removed['attendance']} : scellé mais absent de scellements.json",
        f"participant n°{removed['participant']}) absent des émargements scellés",
    )
