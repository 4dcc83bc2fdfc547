"""The audit pack of a demo formation, built by `export_justificatifs` and checked as an
auditor would: the recapitulatif's realised minutes are each participant's certificate
hours and the service-fait statement's units; the pack's own `verifier.py`, run in the
unzipped folder, says « OK », then names the break after one byte of a sheet, one minute
of the recapitulatif or one sealed record is changed."""

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from formations.models import Formation
from livrables.models import IssuedDocument
from livrables.selectors import document_states, standing
from livrables.service_fait import service_fait_statement
from sessions.models import Attendance, Slot

pytestmark = pytest.mark.django_db


def run_verifier(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "verifier.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )


def rewrite_manifest(folder: Path, name: str) -> None:
    """What a forger would do after changing `name`: put its new digest in the manifest."""
    import hashlib

    manifest = folder / "manifest.csv"
    lines = manifest.read_bytes().decode("utf-8-sig").split("\r\n")
    content = (folder / name).read_bytes()
    lines = [
        f"{name};{hashlib.sha256(content).hexdigest()};{len(content)}"
        if line.startswith(name + ";")
        else line
        for line in lines
    ]
    manifest.write_bytes(("\ufeff" + "\r\n".join(lines)).encode())


@pytest.fixture
def demo_pack(tmp_path, documents_dir):
    """The pack of the demo formation with the most certificates, unzipped."""
    call_command("load_demo", stdout=io.StringIO())
    reference = Counter(
        standing(
            IssuedDocument.objects.filter(kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE)
        ).values_list("formation__contract_reference", flat=True)
    ).most_common(1)[0][0]
    formation = Formation.objects.get(contract_reference=reference)
    out = tmp_path / "dossier.zip"
    call_command(
        "export_justificatifs", "--formation", reference, "--out", str(out), stdout=io.StringIO()
    )
    folder = tmp_path / "dossier"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    return formation, folder


def recap_minutes_by_participant(folder: Path) -> Counter:
    text = (folder / "recapitulatif.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows, "the demo formation has sealed half-days"
    participant_of = dict(
        Attendance.objects.filter(pk__in=[int(r["n° d'émargement"]) for r in rows]).values_list(
            "pk", "enrolment__participant_id"
        )
    )
    minutes = Counter()
    for row in rows:
        minutes[participant_of[int(row["n° d'émargement"])]] += int(row["minutes réalisées"])
    return minutes


def test_recap_minutes_are_the_certificates_hours_and_the_statements_units(demo_pack):
    formation, folder = demo_pack
    minutes = recap_minutes_by_participant(folder)

    certificates = list(
        standing(
            IssuedDocument.objects.filter(
                formation=formation, kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE
            )
        )
    )
    states = document_states(certificates)
    current = [c for c in certificates if not states[c.pk].needs_reissue]
    assert current, "the demo issues certificates of sealed sessions"
    # A certificate counts the fully sealed sessions, the pack every sealed half-day: in
    # the demo each certificate's sessions are all sealed, so the two agree person by person.
    for certificate in current:
        assert certificate.realised_minutes == minutes[certificate.participant_id], certificate

    sealed_days = Slot.objects.filter(session__formation=formation, seal__isnull=False)
    first = min(s.starts_at for s in sealed_days).date() - dt.timedelta(days=1)
    last = max(s.ends_at for s in sealed_days).date() + dt.timedelta(days=1)
    statement = service_fait_statement(formation=formation, period_start=first, period_end=last)
    assert statement.realised_minutes == sum(minutes.values())
    if formation.pricing_mode == Formation.PricingMode.PER_TRAINEE_HOUR:
        assert statement.units == Decimal(sum(minutes.values())) / 60


def test_verifier_says_ok_then_names_each_break(demo_pack):
    _formation, folder = demo_pack
    fresh = run_verifier(folder)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "\nOK :" in fresh.stdout

    # One byte of an issued sheet.
    sheet = sorted((folder / "emargement").rglob("*.pdf"))[0]
    name = sheet.relative_to(folder).as_posix()
    original = sheet.read_bytes()
    altered = bytearray(original)
    altered[len(altered) // 2] ^= 0x01
    sheet.write_bytes(bytes(altered))
    broken = run_verifier(folder)
    assert broken.returncode == 1
    assert f"[{name}] fichier modifié" in broken.stdout
    sheet.write_bytes(original)

    # One minute of the recapitulatif, even with the manifest rewritten to match.
    recap = folder / "recapitulatif.csv"
    original = recap.read_bytes()
    lines = original.decode("utf-8-sig").split("\r\n")
    index = next(i for i, line in enumerate(lines[1:], start=1) if line.split(";")[10] != "0")
    cells = lines[index].split(";")
    cells[10] = str(int(cells[10]) - 1)
    lines[index] = ";".join(cells)
    recap.write_bytes(("\ufeff" + "\r\n".join(lines)).encode())
    rewrite_manifest(folder, "recapitulatif.csv")
    broken = run_verifier(folder)
    assert broken.returncode == 1
    assert f"minutes réalisées « {cells[10]} » dans recapitulatif.csv" in broken.stdout
    recap.write_bytes(original)
    rewrite_manifest(folder, "recapitulatif.csv")

    # One sealed record: a status turned to « présent » behind the seal.
    sealed = folder / "scellements.json"
    data = json.loads(sealed.read_bytes())
    record = next(
        record
        for session in data["sessions"]
        for half_day in session["half_days"]
        for record in half_day.get("records", [])
        if record["status"] != "present"
    )
    record["status"] = "present"
    sealed.write_bytes(json.dumps(data, ensure_ascii=False).encode())
    rewrite_manifest(folder, "scellements.json")
    broken = run_verifier(folder)
    assert broken.returncode == 1
    assert f"émargement n°{record['attendance']}" in broken.stdout
    assert "modifié depuis le scellement" in broken.stdout


def test_lille_sud_pack_holds_its_validated_deliverables_and_verifies(tmp_path, documents_dir):
    """Seed 000's action hands over its narratives, framework and note: those the funder
    validated are in the pack, byte for byte, and the pack still verifies."""
    import hashlib

    from livrables.selectors_deliverables import validated_versions

    call_command("load_demo", stdout=io.StringIO())
    formation = Formation.objects.get(contract_reference="FEDER-2018-AO.3")
    versions = validated_versions(formation=formation)
    assert versions, "the demo validates some of Lille Sud's deliverables"
    out = tmp_path / "lille-sud.zip"
    call_command(
        "export_justificatifs",
        "--formation",
        "FEDER-2018-AO.3",
        "--out",
        str(out),
        stdout=io.StringIO(),
    )
    folder = tmp_path / "lille-sud"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)

    for version in versions:
        kept = (folder / version.pack_name).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == version.sha256
    in_folder = {
        p.relative_to(folder).as_posix() for p in (folder / "livrables-attendus").rglob("*")
    }
    assert {v.pack_name for v in versions} <= in_folder
    assert "livrables-attendus/" in (folder / "LISEZMOI.txt").read_text(encoding="utf-8-sig")
    result = run_verifier(folder)
    assert result.returncode == 0, result.stdout


def _rewrite_whole_manifest(folder: Path) -> None:
    import hashlib

    lines = ["fichier;sha256;octets"]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == "manifest.csv":
            continue
        content = path.read_bytes()
        lines.append(f"{name};{hashlib.sha256(content).hexdigest()};{len(content)}")
    (folder / "manifest.csv").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())


def test_ok_says_the_pack_cannot_prove_completeness_and_names_its_page(demo_pack):
    _formation, folder = demo_pack
    dossier = json.loads((folder / "dossier.json").read_text("utf-8"))

    fresh = run_verifier(folder)

    assert fresh.returncode == 0, fresh.stdout
    assert "ne peut pas prouver seul qu'il est complet" in fresh.stdout
    assert dossier["number"].startswith("DOS-")
    assert (
        f"Comparez aussi l'empreinte SHA-256 du ZIP reçu avec celle de la page "
        f"{dossier['verification_url']}" in fresh.stdout
    )
    readme = (folder / "LISEZMOI.txt").read_text("utf-8")
    assert "ne peut pas prouver seul qu'il est complet" in readme
    assert "données personnelles" in readme


def test_a_session_removed_from_the_seals_and_the_recap_is_named_by_its_sheet(demo_pack):
    _formation, folder = demo_pack
    sealed = folder / "scellements.json"
    data = json.loads(sealed.read_bytes())
    sheets = sorted(p.name for p in (folder / "emargement").glob("feuille-emargement-*.pdf"))
    removed = next(
        entry
        for entry in data["sessions"]
        if any(entry["session"]["code"] in name for name in sheets)
    )
    code = removed["session"]["code"]
    data["sessions"].remove(removed)
    sealed.write_bytes(json.dumps(data, ensure_ascii=False).encode())
    recap = folder / "recapitulatif.csv"
    lines = recap.read_bytes().decode("utf-8-sig").split("\r\n")
    kept = [line for line in lines if line.split(";")[1:2] != [code]]
    recap.write_bytes(("\ufeff" + "\r\n".join(kept)).encode())
    _rewrite_whole_manifest(folder)

    broken = run_verifier(folder)

    assert broken.returncode == 1, broken.stdout
    assert "feuille d'émargement d'une session absente de scellements.json" in broken.stdout
    assert code in broken.stdout


def test_recap_rows_carry_the_number_of_the_participants_certificate_folder(demo_pack):
    _formation, folder = demo_pack
    text = (folder / "recapitulatif.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    folders = {path.name.rsplit("-", 1)[1] for path in (folder / "certificats").iterdir()}

    numbers = {row["n° participant"] for row in rows}
    assert folders and folders <= numbers
    attendance = Attendance.objects.get(pk=int(rows[0]["n° d'émargement"]))
    assert rows[0]["n° participant"] == str(attendance.enrolment.participant_id)
