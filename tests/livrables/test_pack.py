"""The audit pack: its files and manifest, what is left out, the period, the command, and
its registration as an issued document."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from formations.models import AuditEntry
from formations.storage import documents_storage
from livrables.exceptions import LivrablesError
from livrables.models import DocumentEntry, IssuedDocument
from livrables.pack.builder import PackOutcome, stream_pack
from livrables.pack.registry import PackScope
from livrables.pack.services import build_audit_pack
from livrables.selectors import document_state
from tests.livrables.pack_world import NOW, RECEIPT, SCAN, make_pack_world, manifest_rows, read_zip


@pytest.fixture
def pack_world(db):
    return make_pack_world()


def build(scope, actor=None):
    output = io.BytesIO()
    built = build_audit_pack(scope=scope, actor=actor, output=output)
    return built, output.getvalue()


def test_pack_holds_every_document_and_manifest_digests_match(pack_world):
    built, content = build(PackScope(formation=pack_world.formation))
    files = read_zip(content)
    rows = manifest_rows(files)
    assert rows[0] == ["fichier", "sha256", "octets"]
    listed = {row[0]: (row[1], int(row[2])) for row in rows[1:]}
    # Every file but the manifest itself, each with its exact digest and size.
    assert set(listed) == set(files) - {"manifest.csv"}
    for name, (sha, size) in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == sha, name
        assert len(files[name]) == size, name
    sheets = [name for name in files if name.startswith("emargement/")]
    assert len(sheets) == len(pack_world.sheets) == 2
    # Byte for byte the kept documents.
    for document in pack_world.sheets + pack_world.certificates + pack_world.structures:
        found = [name for name in files if name.endswith(document.filename)]
        assert len(found) == 1, document.filename
        assert hashlib.sha256(files[found[0]]).hexdigest() == document.sha256
    person = pack_world.certificates[0].participant
    assert any(
        name.startswith("certificats/")
        and name.endswith(f"-{person.pk}/" + pack_world.certificates[0].filename)
        for name in files
    )
    assert any(name.startswith("structures/") for name in files)
    assert any(name.startswith("service-fait/") for name in files)
    assert files[pack_world.expense.pack_name] == RECEIPT
    assert "suivi-des-depenses.xlsx" in files
    assert [files[name] for name in files if name.startswith("scans/")] == [SCAN]
    risks = files["risques_audit.csv"].decode("utf-8-sig")
    assert risks.startswith("risque;session;enregistrement;explication;par;le\r\n")
    assert "Signature recueillie par le formateur" in risks
    readme = files["LISEZMOI.txt"].decode()
    assert pack_world.formation.contract_reference in readme
    assert "python3 verifier.py" in readme
    assert built.document.number in readme
    assert "non_inclus.csv" not in files
    assert not built.outcome.left_out


def test_expense_file_links_resolve_to_receipts_in_the_pack(pack_world):
    from openpyxl import load_workbook

    _built, content = build(PackScope(formation=pack_world.formation))
    files = read_zip(content)
    sheet = load_workbook(io.BytesIO(files["suivi-des-depenses.xlsx"])).active
    links = [cell.hyperlink.target for row in sheet.iter_rows() for cell in row if cell.hyperlink]
    assert links == [pack_world.expense.pack_name]
    assert all(link in files for link in links)


def test_tampered_kept_document_is_left_out_and_reported(pack_world):
    tampered = pack_world.certificates[0]
    with documents_storage().open(tampered.storage_name, "wb") as handle:
        handle.write(b"%PDF-1.4 forged")
    built, content = build(PackScope(formation=pack_world.formation))
    files = read_zip(content)
    assert not any(name.endswith(tampered.filename) for name in files)
    assert len(built.outcome.left_out) == 1
    report = files["non_inclus.csv"].decode("utf-8-sig")
    assert tampered.number in report
    assert "ne correspond plus" in report
    readme = files["LISEZMOI.txt"].decode()
    assert "DOCUMENTS NON INCLUS" in readme and tampered.number in readme
    # The manifest lists the report, and nothing it does not hold.
    listed = {row[0] for row in manifest_rows(files)[1:]}
    assert "non_inclus.csv" in listed
    assert listed == set(files) - {"manifest.csv"}


def test_missing_receipt_is_left_out(pack_world):
    documents_storage().delete(pack_world.expense.receipt.name)
    built, content = build(PackScope(formation=pack_world.formation))
    files = read_zip(content)
    assert pack_world.expense.pack_name not in files
    assert [path for path, _s, _r in built.outcome.left_out] == [pack_world.expense.pack_name]


def test_period_keeps_only_its_sessions(pack_world):
    first, second = pack_world.sessions
    scope = PackScope(
        formation=pack_world.formation,
        date_from=dt.date(2021, 10, 11),
        date_to=dt.date(2021, 10, 11),
    )
    _built, content = build(scope)
    files = read_zip(content)
    sheets = [name for name in files if name.startswith("emargement/")]
    assert len(sheets) == 1 and second.code.lower() in sheets[0].lower()
    # The people of the second session only (group B and the first person of group A).
    folders = {name.split("/")[1] for name in files if name.startswith("certificats/")}
    enrolled = set(second.enrolments.values_list("participant_id", flat=True))
    assert {int(folder.rsplit("-", 1)[1]) for folder in folders} == enrolled
    # The scan belongs to the first session, the expense is dated 4 October: both out.
    assert not any(name.startswith("scans/") for name in files)
    assert "suivi-des-depenses.xlsx" not in files
    # The statement of October meets the period.
    assert any(name.startswith("service-fait/") for name in files)
    assert "11 octobre 2021" in files["LISEZMOI.txt"].decode()


def test_a_statement_of_another_period_is_not_in_the_pack(pack_world):
    """October's statement justifies nothing of November: the pack's statements section
    gives none for November rather than the latest one issued, and October's for October."""
    from livrables.pack.sections import statement_files

    def statements(start, end):
        scope = PackScope(formation=pack_world.formation, date_from=start, date_to=end)
        return [pack_file.path for pack_file in statement_files(scope)]

    assert statements(dt.date(2021, 11, 1), dt.date(2021, 11, 30)) == []
    assert len(statements(dt.date(2021, 10, 11), dt.date(2021, 10, 11))) == 1


def test_period_is_read_in_the_session_local_date(pack_world):
    """A half-day starting at 00:30 in Paris is on the 4th locally, the 3rd in UTC."""
    from sessions.models import Slot

    first = pack_world.sessions[0]
    slot = Slot.objects.filter(session=first).order_by("starts_at").first()
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=dt.datetime(2021, 10, 3, 22, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2021, 10, 3, 23, 30, tzinfo=dt.UTC),
    )
    from livrables.pack.sections import scope_slots

    scope = PackScope(
        formation=pack_world.formation, date_from=dt.date(2021, 10, 4), date_to=dt.date(2021, 10, 4)
    )
    assert slot.pk in [pk for pk, _session in scope_slots(scope)]
    before = PackScope(
        formation=pack_world.formation, date_from=dt.date(2021, 10, 3), date_to=dt.date(2021, 10, 3)
    )
    assert slot.pk not in [pk for pk, _session in scope_slots(before)]


def test_pack_is_registered_and_supersedes_the_previous_one_of_its_period(pack_world):
    scope = PackScope(formation=pack_world.formation)
    first, first_bytes = build(scope)
    second, second_bytes = build(scope)
    document = second.document
    assert document.kind == IssuedDocument.Kind.AUDIT_PACK
    assert document.formation_id == pack_world.formation.pk
    assert document.content_type == "application/zip"
    assert document.sha256 == hashlib.sha256(second_bytes).hexdigest()
    assert document.size == len(second_bytes)
    assert document.issued_by is None  # the command: no account
    with documents_storage().open(document.storage_name, "rb") as handle:
        assert handle.read() == second_bytes
    assert document_state(document=first.document).superseded_by == document.number
    # Another period does not replace it.
    october = PackScope(
        formation=pack_world.formation,
        date_from=dt.date(2021, 10, 1),
        date_to=dt.date(2021, 10, 31),
    )
    other, _ = build(october)
    assert (other.document.covers_from, other.document.covers_to) == (
        dt.date(2021, 10, 1),
        dt.date(2021, 10, 31),
    )
    assert document_state(document=document).is_current
    assert not DocumentEntry.objects.filter(document=other.document).exists()
    entry = AuditEntry.objects.filter(action="livrables.audit_pack_built").latest("pk")
    assert entry.data["number"] == other.document.number


def test_pack_queries_do_not_grow_with_sessions(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(world):
        with CaptureQueriesContext(connection) as captured:
            for _chunk in stream_pack(PackScope(formation=world.formation), outcome=PackOutcome()):
                pass
        return len(captured)

    small = make_pack_world(count_a=2, count_b=1)
    assert len(small.sessions) == 2
    small_count = count(small)
    big = make_pack_world(count_a=5, count_b=4, extra_sessions=4)
    assert len(big.sessions) == 6
    assert count(big) == small_count


# ---------------------------------------------------------------------------- command


def test_command_writes_and_registers_the_pack(pack_world, tmp_path):
    out = tmp_path / "dossier.zip"
    stdout = io.StringIO()
    call_command(
        "export_justificatifs",
        "--formation",
        pack_world.formation.contract_reference,
        "--out",
        str(out),
        "--from",
        "01/10/2021",
        "--to",
        "2021-10-31",
        stdout=stdout,
    )
    content = out.read_bytes()
    document = IssuedDocument.objects.get(kind=IssuedDocument.Kind.AUDIT_PACK)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert (document.covers_from, document.covers_to) == (
        dt.date(2021, 10, 1),
        dt.date(2021, 10, 31),
    )
    assert document.number in stdout.getvalue()
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left
    assert "manifest.csv" in read_zip(content)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--formation", "INCONNU"], "Formation inconnue"),
        (["--from", "31/10/2021", "--to", "01/10/2021"], "inversée"),
        (["--from", "2021-13-45"], "Date invalide"),
        (
            ["--from", "01/03/2020", "--to", "31/03/2020"],
            "Aucune demi-journée scellée dans la période du 01/03/2020 au 31/03/2020.",
        ),
    ],
)
def test_command_refuses_bad_arguments(pack_world, tmp_path, arguments, message):
    out = tmp_path / "dossier.zip"
    base = ["--formation", pack_world.formation.contract_reference, "--out", str(out)]
    with pytest.raises(CommandError) as refused:
        call_command("export_justificatifs", *base, *arguments)
    assert message in str(refused.value)
    assert refused.value.returncode == 2
    assert list(tmp_path.iterdir()) == []
    assert not IssuedDocument.objects.filter(kind=IssuedDocument.Kind.AUDIT_PACK).exists()


def test_command_refuses_an_unwritable_destination(pack_world, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command(
            "export_justificatifs",
            "--formation",
            pack_world.formation.contract_reference,
            "--out",
            str(tmp_path / "absent" / "dossier.zip"),
        )
    assert "Impossible d'écrire" in str(refused.value)
    assert not IssuedDocument.objects.filter(kind=IssuedDocument.Kind.AUDIT_PACK).exists()


def test_command_leaves_no_half_written_zip_when_building_fails(pack_world, tmp_path, monkeypatch):
    from livrables.pack import services

    def broken(*args, **kwargs):
        yield b"PK partial"
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "stream_pack", broken)
    out = tmp_path / "dossier.zip"
    with pytest.raises(RuntimeError):
        call_command(
            "export_justificatifs",
            "--formation",
            pack_world.formation.contract_reference,
            "--out",
            str(out),
        )
    assert list(tmp_path.iterdir()) == []
    assert not IssuedDocument.objects.filter(kind=IssuedDocument.Kind.AUDIT_PACK).exists()


def test_built_pack_is_dated_now(pack_world):
    built, _content = build(PackScope(formation=pack_world.formation))
    assert built.document.issued_at > NOW


def test_demo_formation_pack_holds_its_issued_documents_with_matching_digests(db, tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    formation = (
        IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ATTENDANCE_SHEET)
        .values_list("session__formation__contract_reference", flat=True)
        .first()
    )
    out = tmp_path / "demo.zip"
    call_command(
        "export_justificatifs", "--formation", formation, "--out", str(out), stdout=io.StringIO()
    )
    files = read_zip(out.read_bytes())
    rows = manifest_rows(files)[1:]
    assert {row[0] for row in rows} == set(files) - {"manifest.csv"}
    for name, sha, size in rows:
        assert hashlib.sha256(files[name]).hexdigest() == sha and len(files[name]) == int(size)
    sheets = IssuedDocument.objects.filter(
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session__formation__contract_reference=formation
    )
    in_pack = {hashlib.sha256(content).hexdigest() for content in files.values()}
    assert sheets.exists()
    assert set(sheets.values_list("sha256", flat=True)) <= in_pack
    assert "non_inclus.csv" not in files


def test_two_files_named_alike_are_both_kept_under_distinct_names(pack_world):
    """A user's titles may slug alike: the pack still builds, the second file suffixed."""
    from livrables.pack.registry import PackSection, bytes_file

    twice = PackSection(
        key="twice",
        label="Deux fichiers de même nom",
        order=1,
        files=lambda scope: iter(
            [bytes_file("notes/recit.txt", b"un"), bytes_file("notes/recit.txt", b"deux")]
        ),
    )
    content = b"".join(stream_pack(PackScope(formation=pack_world.formation), sections=[twice]))
    files = read_zip(content)

    assert files["notes/recit.txt"] == b"un"
    assert files["notes/recit-2.txt"] == b"deux"
    assert {row[0] for row in manifest_rows(files)[1:]} >= {"notes/recit.txt", "notes/recit-2.txt"}


def test_a_pack_changed_after_its_check_is_never_served_whole(pack_world, monkeypatch):
    """Checked, then replaced before it is read out: the download stops before its last
    chunk instead of handing over a complete ZIP that is not the registered one."""
    from livrables.pack import selectors

    built, _content = build(PackScope(formation=pack_world.formation))
    document = built.document
    chunks = selectors.kept_pack_chunks(document=document)  # checked here
    path = documents_storage().path(document.storage_name)
    with open(path, "r+b") as handle:
        handle.seek(document.size - 10)
        handle.write(b"X" * 10)
    monkeypatch.setattr(selectors, "READ_CHUNK", 1024)

    served = []
    with pytest.raises(LivrablesError):
        for chunk in chunks:
            served.append(chunk)
    assert sum(len(chunk) for chunk in served) < document.size
