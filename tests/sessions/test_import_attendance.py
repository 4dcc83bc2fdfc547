import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from formations.models import User
from sessions.attendance_import import (
    check_file,
    normalise,
    parse_rows,
    read_rows,
    status_from_text,
)
from sessions.models import Attendance, PaperSheetScan
from sessions.services.paper import paper_scan_store
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"
DAY = dt.date(2021, 10, 4)
HEADER = "session,date,debut,email,statut,minutes\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def after_slots():
    with time_machine.travel(dt.datetime(2021, 10, 4, 18, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def session(trainer):
    session = TrainingSessionFactory(code="LABO-976-1", time_zone="Indian/Mayotte")
    session.trainers.add(trainer)
    return session


def _slot(session, start, end):
    tz = session.tzinfo
    return session.slots.create(
        starts_at=timezone.make_aware(dt.datetime.combine(DAY, start), tz),
        ends_at=timezone.make_aware(dt.datetime.combine(DAY, end), tz),
    )


@pytest.fixture
def morning(session):
    return _slot(session, dt.time(9, 0), dt.time(12, 30))


@pytest.fixture
def afternoon(session):
    return _slot(session, dt.time(13, 30), dt.time(17, 0))


@pytest.fixture
def alice(session):
    return EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            last_name="Abdallah", first_name="Alice", email="alice@example.org"
        ),
    )


@pytest.fixture
def bruno(session):
    return EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            last_name="Bacar", first_name="Bruno", email="bruno@example.org"
        ),
    )


@pytest.fixture
def scan_path(tmp_path):
    path = tmp_path / "feuille-lundi.pdf"
    path.write_bytes(PDF)
    return path


def _csv(tmp_path, text, *, encoding="utf-8", name="emargements.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _run(*args, **options):
    return call_command("import_attendance", *[str(a) for a in args], **options)


def test_import_attendance_valid_csv_imports_paper_rows_with_scan(
    tmp_path, trainer, morning, afternoon, alice, bruno, scan_path, capsys
):
    path = _csv(
        tmp_path,
        HEADER
        + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n"
        + "LABO-976-1,2021-10-04,09:00,BRUNO@example.org,retard,150\n"
        + "labo-976-1,04/10/2021,13:30,alice@example.org,absent,\n",
    )

    _run(path, scan=scan_path, actor=trainer.username)

    rows = {(a.enrolment_id, a.slot_id): a for a in Attendance.objects.all()}
    assert set(rows) == {(alice.pk, morning.pk), (bruno.pk, morning.pk), (alice.pk, afternoon.pk)}
    assert rows[(bruno.pk, morning.pk)].status == "late"
    assert rows[(bruno.pk, morning.pk)].minutes_attended == 150
    assert rows[(alice.pk, afternoon.pk)].status == "absent"
    assert {a.method for a in rows.values()} == {"paper"}
    assert {a.recorded_by_id for a in rows.values()} <= {trainer.pk, None}
    # One stored copy of the scan per half-day, each row pointing to its own half-day's scan.
    scans = {s.slot_id: s for s in PaperSheetScan.objects.all()}
    assert set(scans) == {morning.pk, afternoon.pk}
    assert all(a.paper_scan_id == scans[a.slot_id].pk for a in rows.values())
    assert {s.original_name for s in scans.values()} == {"feuille-lundi.pdf"}
    assert "3 émargements saisis sur 2 demi-journées." in capsys.readouterr().out


def test_import_attendance_bad_line_writes_nothing_and_names_line(
    tmp_path, trainer, morning, alice, bruno, scan_path
):
    path = _csv(
        tmp_path,
        HEADER
        + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n"
        + "LABO-976-1,04/10/2021,09:00,inconnu@example.org,present,\n"
        + "LABO-976-1,04/10/2021,09:00,bruno@example.org,retard,\n",
    )

    with pytest.raises(CommandError) as exc:
        _run(path, scan=scan_path, actor=trainer.username)

    message = str(exc.value)
    assert "2 erreurs : rien n'a été importé." in message
    assert "Ligne 3 : participant·e inconnu·e" in message
    assert "inconnu@example.org" in message
    assert "Ligne 4 : pour un retard ou un départ anticipé, indiquez l'heure d'arrivée" in message
    assert not Attendance.objects.exists()
    assert not PaperSheetScan.objects.exists()


def test_import_attendance_cp1252_semicolon_with_accents(
    tmp_path, trainer, morning, alice, bruno, scan_path
):
    path = _csv(
        tmp_path,
        "Session;Date;Début;E-mail;Statut;Minutes\r\n"
        "LABO-976-1;04/10/2021;09:00;alice@example.org;Présent;\r\n"
        "LABO-976-1;04/10/2021;09h00;bruno@example.org;Départ anticipé;90\r\n",
        encoding="cp1252",
    )

    _run(path, scan=scan_path, actor=trainer.username)

    statuses = dict(Attendance.objects.values_list("enrolment_id", "status"))
    assert statuses == {alice.pk: "present", bruno.pk: "left_early"}


def test_import_attendance_utf8_bom_accepted(tmp_path, trainer, morning, alice, scan_path):
    path = _csv(
        tmp_path,
        "\ufeff" + HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,Absent excusé,\n",
    )

    _run(path, scan=scan_path, actor=trainer.username)

    assert Attendance.objects.get().status == "absent_excused"


def test_import_attendance_without_scan_refused_when_slot_has_none(
    tmp_path, trainer, morning, alice
):
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    with pytest.raises(CommandError) as exc:
        _run(path, actor=trainer.username)

    assert "aucune feuille scannée" in str(exc.value)
    assert "--scan" in str(exc.value)
    assert not Attendance.objects.exists()


def test_import_attendance_without_scan_uses_latest_scan_of_slot(tmp_path, trainer, morning, alice):
    paper_scan_store(slot=morning, uploaded_file=SimpleUploadedFile("a.pdf", PDF), actor=trainer)
    latest = paper_scan_store(
        slot=morning, uploaded_file=SimpleUploadedFile("b.pdf", PDF + b" "), actor=trainer
    )
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    _run(path, actor=trainer.username)

    assert Attendance.objects.get().paper_scan == latest
    assert PaperSheetScan.objects.count() == 2


def test_import_attendance_dry_run_writes_nothing(
    tmp_path, trainer, morning, alice, scan_path, capsys
):
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    _run(path, scan=scan_path, actor=trainer.username, dry_run=True)

    assert not Attendance.objects.exists()
    assert not PaperSheetScan.objects.exists()
    assert (
        "Vérification réussie : 1 ligne valide sur 1 demi-journée. Rien n'a été écrit"
        in capsys.readouterr().out
    )


def test_import_attendance_unknown_actor_refused(tmp_path, morning, alice, scan_path):
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    with pytest.raises(CommandError, match="inconnu·e : « personne »"):
        _run(path, scan=scan_path, actor="personne")
    with pytest.raises(CommandError, match="--actor"):
        _run(path, scan=scan_path)


def test_import_attendance_actor_not_running_session_refused(tmp_path, morning, alice, scan_path):
    stranger = UserFactory(role=User.Role.TRAINER)
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    with pytest.raises(CommandError, match="ni formateur·rice de la session LABO-976-1"):
        _run(path, scan=scan_path, actor=stranger.username)


def test_import_attendance_bad_scan_file_refused(tmp_path, trainer, morning, alice):
    fake = tmp_path / "scan.pdf"
    fake.write_text("pas un pdf")
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    with pytest.raises(CommandError, match="Scan refusé"):
        _run(path, scan=fake, actor=trainer.username)


def test_check_file_reports_every_kind_of_line_error(session, trainer, morning, alice, bruno):
    other = TrainingSessionFactory(code="AUTRE-1")
    EnrolmentFactory(session=other, participant=ParticipantFactory(email="carla@example.org"))
    content = (
        HEADER
        + "INCONNUE,04/10/2021,09:00,alice@example.org,present,\n"  # 2
        + "LABO-976-1,05/10/2021,09:00,alice@example.org,present,\n"  # 3
        + "LABO-976-1,04/10/2021,09:00,carla@example.org,present,\n"  # 4
        + "LABO-976-1,04/10/2021,09:00,alice@example.org,peut-être,\n"  # 5
        + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n"  # 6
        + "LABO-976-1,04/10/2021,09:00,alice@example.org,absent,\n"  # 7
        + "LABO-976-1,04/10/2021,09:00,bruno@example.org,retard,abc\n"  # 8
        + "LABO-976-1,31/02/2021,9:00,bruno@example.org,retard,500\n"  # 9
    ).encode()

    check = check_file(content, actor=trainer, scan_provided=True)

    messages = {e.line: e.message for e in check.errors}
    assert set(messages) == {2, 3, 4, 5, 7, 8, 9}
    assert "session inconnue « INCONNUE »" in messages[2]
    assert "aucune demi-journée" in messages[3]
    assert "n'est pas inscrit·e à la session LABO-976-1" in messages[4]
    assert "statut inconnu" in messages[5]
    assert "doublon de la ligne 6" in messages[7]
    assert "minutes de présence invalides" in messages[8]
    assert "date invalide" in messages[9]


def test_check_file_minutes_over_slot_length_refused(trainer, morning, alice):
    content = (HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,retard,300\n").encode()

    check = check_file(content, actor=trainer, scan_provided=True)

    assert [e.line for e in check.errors] == [2]
    assert "210 minutes" in check.errors[0].message


def test_check_file_missing_column_reported():
    check = check_file(
        b"session,date,email,statut\nX,04/10/2021,a@b.fr,present\n", scan_provided=True
    )

    assert [str(error) for error in check.errors] == [
        "Colonne obligatoire « debut » absente de la ligne d'en-tête (colonnes obligatoires : "
        "session, date, debut, email, statut)."
    ]


def test_check_file_repeated_column_reported():
    check = check_file(
        b"session,date,debut,email,Courriel,statut\nX,04/10/2021,09:00,a@b.fr,a@b.fr,present\n",
        scan_provided=True,
    )

    assert [str(error) for error in check.errors] == [
        "La colonne « email » apparaît deux fois dans l'en-tête."
    ]


def test_check_file_header_only_reported():
    check = check_file(HEADER.encode(), scan_provided=True)

    assert [str(error) for error in check.errors] == [
        "Le fichier ne contient aucune ligne à importer."
    ]


def test_import_attendance_xlsx_with_date_and_time_cells(
    tmp_path, trainer, morning, afternoon, alice, bruno, scan_path
):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Session", "Date", "Début", "Adresse e-mail", "Statut", "Minutes"])
    sheet.append(
        [
            "LABO-976-1",
            dt.datetime(2021, 10, 4),
            dt.time(9, 0),
            "alice@example.org",
            "Présent",
            None,
        ]
    )
    sheet.append(["LABO-976-1", "04/10/2021", "13h30", "bruno@example.org", "retard", 150])
    path = tmp_path / "emargements.xlsx"
    workbook.save(path)

    _run(path, scan=scan_path, actor=trainer.username)

    rows = {(a.enrolment_id, a.slot_id): a for a in Attendance.objects.all()}
    assert set(rows) == {(alice.pk, morning.pk), (bruno.pk, afternoon.pk)}
    assert rows[(bruno.pk, afternoon.pk)].minutes_attended == 150


def test_read_rows_csv_variants_and_xlsx_read_the_same():
    from tests.factories.importing import csv_bytes, xlsx_bytes

    header = ["session", "date", "debut", "email", "statut", "minutes"]
    data = [["LABO-1", "04/10/2021", "09:00", "a@b.fr", "Départ anticipé", "90"]]
    variants = [
        csv_bytes(data, header=header),
        csv_bytes(data, header=header, bom=True),
        csv_bytes(data, header=header, delimiter=";", encoding="cp1252"),
        xlsx_bytes(data, header=header),
    ]

    results = [read_rows(content) for content in variants]

    assert results[0] == [(2, dict(zip(header, data[0], strict=True)))]
    assert all(result == results[0] for result in results)


def test_import_attendance_oversized_file_refused_naming_the_limit(tmp_path, trainer, settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 1024
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,a@example.org,present,\n" * 40)

    with pytest.raises(CommandError, match="il dépasse la taille maximale autorisée \\(1 Ko\\)"):
        _run(path, actor=trainer.username)


def test_check_file_too_many_rows_refused(settings):
    settings.SUIVI_IMPORT_MAX_ROWS = 2
    content = (HEADER + "LABO-976-1,04/10/2021,09:00,a@example.org,present,\n" * 3).encode()

    check = check_file(content, scan_provided=True)

    assert "plus de 2 lignes" in str(check.errors[0])


def test_check_file_sealed_slot_refused(session, trainer, coordinator, morning, alice):
    from sessions.models import Seal

    Seal.objects.create(
        slot=morning,
        session=session,
        sequence=1,
        digest="a" * 64,
        sealed_at=timezone.now(),
        sealed_by=coordinator,
    )
    content = (HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n").encode()

    check = check_file(content, actor=trainer, scan_provided=True)

    assert "scellée" in check.errors[0].message


@pytest.mark.parametrize("count", [1, 8])
def test_check_file_query_count_does_not_grow_with_lines(session, trainer, morning, count):
    lines = []
    for n in range(count):
        enrolment = EnrolmentFactory(
            session=session, participant=ParticipantFactory(email=f"p{n}@ex.org")
        )
        lines.append(f"LABO-976-1,04/10/2021,09:00,{enrolment.participant.email},present,\n")
    content = (HEADER + "".join(lines)).encode()

    with CaptureQueriesContext(connection) as queries:
        check = check_file(content, actor=trainer, scan_provided=False)

    assert len(check.errors) == 1  # no scan for the half-day
    assert len(queries) == 7


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("present", "present"),
        ("Présent", "present"),
        ("PRÉSENT·E", "present"),
        ("retard", "late"),
        ("late", "late"),
        ("départ anticipé", "left_early"),
        ("depart_anticipe", "left_early"),
        ("left_early", "left_early"),
        ("Absent excusé", "absent_excused"),
        ("absent_excuse", "absent_excused"),
        ("absent_excused", "absent_excused"),
        ("absent", "absent"),
        ("Absente", "absent"),
        ("peut-être", None),
    ],
)
def test_status_from_text_accepts_french_words_and_codes(text, status):
    assert status_from_text(text) == status


def test_read_rows_keeps_spreadsheet_line_numbers_and_skips_blank_lines():
    rows = read_rows(
        b"\xef\xbb\xbfSESSION;Date;D\xc3\xa9but;Email;Statut\n\nS;04/10/2021;09:00;a@b.fr;present\n"
    )

    assert rows == [
        (
            3,
            {
                "session": "S",
                "date": "04/10/2021",
                "debut": "09:00",
                "email": "a@b.fr",
                "statut": "present",
            },
        )
    ]


def test_parse_rows_late_needs_minutes():
    lines, errors = parse_rows(
        [
            (
                2,
                {
                    "session": "S",
                    "date": "04/10/2021",
                    "debut": "09:00",
                    "email": "a@b.fr",
                    "statut": "retard",
                    "minutes": "",
                },
            )
        ]
    )

    assert lines == []
    assert errors[0].line == 2
    assert "indiquez l'heure d'arrivée ou de départ" in errors[0].message


@pytest.mark.parametrize("minutes", ["²", "1²", "½"])
def test_parse_rows_minutes_not_ascii_digits_reported_not_crash(minutes):
    lines, errors = parse_rows(
        [
            (
                2,
                {
                    "session": "S",
                    "date": "04/10/2021",
                    "debut": "09:00",
                    "email": "a@b.fr",
                    "statut": "retard",
                    "minutes": minutes,
                },
            )
        ]
    )

    assert lines == []
    assert errors[0].line == 2
    assert "minutes de présence invalides" in errors[0].message


def test_normalise_header_names():
    assert normalise(" Début ") == "debut"
    assert normalise("E-mail") == "e_mail"


def test_import_attendance_takes_arrival_and_departure_times(
    tmp_path, trainer, morning, alice, bruno, scan_path
):
    """The same times as the trainer's page: an arrival for a late person, a departure for
    one who left early, both for someone who did both; minutes missed accepted too."""
    path = tmp_path / "heures.csv"
    path.write_text(
        "session;date;debut;email;statut;arrivee;depart;minutes_manquees\n"
        "LABO-976-1;04/10/2021;09:00;alice@example.org;retard;09:20;;\n"
        "LABO-976-1;04/10/2021;09:00;bruno@example.org;retard et départ anticipé;9h15;12h00;\n",
        encoding="utf-8",
    )

    _run(path, scan=scan_path, actor=trainer.username)

    rows = {a.enrolment_id: a for a in Attendance.objects.filter(slot=morning)}
    assert rows[alice.pk].minutes_attended == 190
    assert rows[bruno.pk].status == "late_left_early"
    assert rows[bruno.pk].minutes_attended == 210 - 15 - 30


def test_import_attendance_time_outside_the_half_day_refused(trainer, morning, alice):
    content = (
        "session;date;debut;email;statut;depart\n"
        "LABO-976-1;04/10/2021;09:00;alice@example.org;départ anticipé;12:30\n"
    ).encode()

    check = check_file(content, scan_provided=True, actor=trainer)

    assert [str(e) for e in check.errors] == [
        "Ligne 2 : L'heure de départ doit être comprise strictement entre le début et la fin de "
        "la demi-journée (entre 09:01 et 12:29, heure de Mayotte)."
    ]


def test_check_file_refuses_a_half_day_not_started_like_the_real_run(trainer, morning, alice):
    content = (
        "session;date;debut;email;statut\nLABO-976-1;04/10/2021;09:00;alice@example.org;présent\n"
    ).encode()
    before = morning.starts_at - dt.timedelta(days=1)

    from sessions.attendance_import import parse_rows, read_rows, resolve_lines

    lines, errors = parse_rows(read_rows(content))
    check = resolve_lines(lines, actor=trainer, scan_provided=True, now=before)

    assert not errors
    assert "n'a pas encore commencé" in str(check.errors[0])


def test_import_attendance_parses_the_file_once(
    tmp_path, trainer, morning, alice, scan_path, monkeypatch
):
    """The attendance import has no preview page: the command checks then writes what it
    read, without reading the file a second time."""
    from formations import tabular

    calls = []
    original = tabular.read_csv

    def spy(content, *, limit):
        calls.append(len(content))
        return original(content, limit=limit)

    monkeypatch.setattr(tabular, "read_csv", spy)
    path = _csv(tmp_path, HEADER + "LABO-976-1,04/10/2021,09:00,alice@example.org,present,\n")

    _run(path, scan=scan_path, actor=trainer.username)

    assert len(calls) == 1
    assert Attendance.objects.get().enrolment == alice
