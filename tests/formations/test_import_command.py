import io

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from formations.models import Participant, Structure
from tests.factories import ParticipantFactory, StructureFactory
from tests.factories.importing import csv_bytes, person, xlsx_bytes

pytestmark = pytest.mark.django_db


def counts():
    return Participant.objects.count(), Structure.objects.count()


def call(*args):
    out = io.StringIO()
    call_command("import_participants", *[str(arg) for arg in args], stdout=out, no_color=True)
    return out.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes(
        csv_bytes(
            [
                person(
                    nom="Martin",
                    prenom="Hélène",
                    email="helene@example.org",
                    structure="Société Saint-Vincent",
                    type_structure="Association",
                    commune="Lille",
                ),
                person(
                    nom="Bernard",
                    prenom="Luc",
                    email="",
                    structure="Société Saint-Vincent",
                    type_structure="",
                    commune="",
                ),
            ],
            delimiter=";",
            encoding="cp1252",
        )
    )
    return path


def test_command_imports_and_prints_each_line(good_file):
    output = call(good_file)

    assert counts() == (2, 1)
    assert "Fichier : participants.csv" in output
    assert "Ligne 2 : créé·e — MARTIN Hélène (Société Saint-Vincent)" in output
    assert "Ligne 3 : créé·e — BERNARD Luc (Société Saint-Vincent)" in output
    assert "Structures créées :" in output
    assert "Société Saint-Vincent (Association, Lille) — lignes 2, 3" in output
    assert "2 participant·es créé·es, 0 déjà connu·e, 1 structure créée." in output


def test_command_second_run_names_existing_records(good_file):
    call(good_file)
    helene = Participant.objects.get(email="helene@example.org")

    output = call(good_file)

    assert counts() == (2, 1)
    assert (
        f"Ligne 2 : déjà connu·e — MARTIN Hélène (Société Saint-Vincent) — Déjà connu·e "
        f"(même e-mail) : MARTIN Hélène, Société Saint-Vincent (n° {helene.pk})."
    ) in output
    assert "0 participant·e créé·e, 2 déjà connu·es" in output


def test_command_dry_run_writes_nothing_and_says_so(good_file):
    output = call(good_file, "--dry-run")

    assert counts() == (0, 0)
    assert "Simulation (--dry-run) : rien ne sera enregistré." in output
    assert "Ligne 2 : à créer — MARTIN Hélène" in output
    assert "Structures à créer :" in output
    assert "Simulation : rien n'a été enregistré." in output


def test_command_with_errors_fails_and_writes_nothing(tmp_path):
    StructureFactory(name="CCAS de Roubaix", kind=Structure.Kind.CCAS)
    ParticipantFactory()
    before = counts()
    path = tmp_path / "liste.csv"
    path.write_bytes(
        csv_bytes(
            [
                person(nom="Martin", email="helene@example.org", structure="CCAS de Roubaix"),
                person(nom="Durand", email="durand@", structure="CCAS de Roubaix"),
                person(nom="Petit", structure="Centre inconnu", type_structure=""),
            ]
        )
    )
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_participants", str(path), stdout=out, no_color=True)

    assert counts() == before
    assert "Import refusé : 2 lignes en erreur." in str(error.value)
    output = out.getvalue()
    assert "Ligne 3 : erreur — DURAND Hélène (CCAS de Roubaix) — Adresse e-mail invalide" in output
    assert (
        "Ligne 4 : erreur — PETIT Hélène (Centre inconnu) — Structure « Centre inconnu » inconnue"
    ) in output
    assert "Ligne 2 : à créer — MARTIN Hélène" in output


def test_command_exit_code_is_non_zero_on_errors(tmp_path, capsys, monkeypatch):
    from django.db import connections

    # run_from_argv closes connections when done, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = tmp_path / "liste.csv"
    path.write_bytes(csv_bytes([person(email="faux")]))

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_participants", str(path), "--no-color"]).execute()

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "Adresse e-mail invalide : « faux »." in captured.out
    assert "CommandError: Import refusé" in captured.err
    assert counts() == (0, 0)


def test_command_xlsx_file(tmp_path):
    path = tmp_path / "liste.xlsx"
    path.write_bytes(xlsx_bytes([person(email="a@example.org")]))

    output = call(path)

    assert "Ligne 2 : créé·e — MARTIN Hélène" in output
    assert Participant.objects.get().email == "a@example.org"


def test_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call(tmp_path / "absent.csv")


def test_command_oversized_file_names_the_limit(tmp_path, settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    path = tmp_path / "gros.csv"
    path.write_bytes(b"x" * (3 * 1024 * 1024))

    with pytest.raises(CommandError) as error:
        call(path)

    assert "pèse 3 Mo : il dépasse la taille maximale autorisée (2 Mo)" in str(error.value)


def test_command_garbage_file_is_a_clean_error(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(bytes(range(256)) * 8)
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_participants", str(path), stdout=out, no_color=True)

    assert "Erreur de fichier : Le fichier contient des caractères binaires" in out.getvalue()


@pytest.fixture
def file_with_warnings(tmp_path):
    path = tmp_path / "partenaires.csv"
    path.write_bytes(
        csv_bytes(
            [
                person(
                    nom="Martin",
                    prenom="Hélène",
                    email="helene@example.org",
                    structure="Foyer rural de Bavay",
                    type_structure="Foyer rural",
                    commune="Bavay",
                ),
                person(
                    nom="Petit",
                    prenom="Léa",
                    email="lea@example.org",
                    structure="Foyer rural de Bavay",
                    type_structure="",
                ),
                person(
                    nom="MARTIN",
                    prenom="Helene",
                    email="Helene@Example.org",
                    structure="Foyer rural de Bavay",
                    type_structure="",
                ),
            ],
            delimiter=";",
            encoding="cp1252",
        )
    )
    return path


def test_command_prints_warnings_and_same_person_and_imports(file_with_warnings):
    output = call(file_with_warnings)

    assert counts() == (2, 1)
    helene = Participant.objects.get(email="helene@example.org")
    assert (
        f"Ligne 2 : créé·e — MARTIN Hélène (Foyer rural de Bavay) — n° {helene.pk}\n"
        "    ! Avertissement : Type de structure inconnu « Foyer rural » : la structure sera "
        "créée avec le type « Autre » (le type déclaré est gardé sur sa fiche pour la "
        "reclasser).\n"
    ) in output
    assert "Ligne 4 : même personne que la ligne 2 — MARTIN Helene (Foyer rural de Bavay)" in output
    assert (
        "Foyer rural de Bavay (Autre, type déclaré « Foyer rural », Bavay) — lignes 2, 3, 4"
    ) in output
    assert (
        "2 participant·es créé·es, 0 déjà connu·e, 1 ligne en double (même personne), "
        "1 structure créée. 1 avertissement."
    ) in output
    structure = Structure.objects.get()
    assert (structure.kind, structure.kind_label) == ("other", "Foyer rural")


def test_command_exit_code_is_zero_with_warnings(file_with_warnings, capsys, monkeypatch):
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)

    # No SystemExit: run_from_argv returns normally, so the process exits with status 0.
    ManagementUtility(
        ["manage.py", "import_participants", str(file_with_warnings), "--no-color"]
    ).execute()

    captured = capsys.readouterr()
    assert "! Avertissement : Type de structure inconnu" in captured.out
    assert captured.err == ""
    assert counts() == (2, 1)


def test_command_conflicting_duplicate_fails_and_writes_nothing(tmp_path):
    path = tmp_path / "liste.csv"
    path.write_bytes(
        csv_bytes(
            [
                person(nom="Martin", email="same@example.org"),
                person(nom="Durand", prenom="Paul", email="same@example.org"),
            ]
        )
    )
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_participants", str(path), stdout=out, no_color=True)

    assert counts() == (0, 0)
    assert "Import refusé : 1 ligne en erreur." in str(error.value)
    assert (
        "Ligne 3 : erreur — DURAND Paul (Société Saint-Vincent) — Même e-mail "
        "« same@example.org » que la ligne 2, mais un autre nom"
    ) in out.getvalue()
