import datetime as dt

import pytest

from formations import importing
from formations.importing import (
    RACE_MESSAGE,
    KnownRecords,
    Outcome,
    import_participants,
    parse_kind,
    validate_table,
    writing,
)
from formations.models import AuditEntry, Participant, Structure
from formations.tabular import Table
from tests.factories import ParticipantFactory, StructureFactory
from tests.factories.importing import HEADER, csv_bytes, person, xlsx_bytes

pytestmark = pytest.mark.django_db


def counts():
    return Participant.objects.count(), Structure.objects.count()


def run(content, name="participants.csv", *, actor=None, dry_run=False):
    return import_participants(file_name=name, content=content, actor=actor, dry_run=dry_run)


def line(report, number):
    return next(item for item in report.lines if item.line_number == number)


# --- Reading (the reader itself is tested in test_tabular.py) ---------------------------


def test_import_oversized_file_is_refused_naming_the_limit(settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 1024
    content = csv_bytes([person(nom=f"Nom{i}", fonction="x" * 100) for i in range(20)])

    report = run(content)

    assert report.has_errors
    assert "taille maximale autorisée (1 Ko)" in report.file_errors[0]


def test_import_garbage_binary_is_refused_without_writing():
    before = counts()

    report = run(bytes(range(256)) * 40, name="photo.csv")

    assert report.has_errors and report.lines == []
    assert counts() == before


# --- Header ---------------------------------------------------------------------------------


def test_header_matching_ignores_case_accents_and_spaces():
    header = [
        "NOM",
        "Prénom",
        "E-mail",
        "Téléphone",
        " Structure ",
        "Type de structure",
        "Date de prise de poste",
        "Commentaire",
    ]
    row = [
        "Dupont",
        "Zoé",
        "zoe@example.org",
        "0601020304",
        "Mairie de Roubaix",
        "Collectivité",
        "01/09/2020",
        "à rappeler",
    ]

    report = run(csv_bytes([row], header=header))

    assert not report.has_errors, report.file_errors + report.lines[0].messages
    assert report.file_warnings == ["Colonne « Commentaire » inconnue : elle est ignorée."]
    zoe = Participant.objects.get(email="zoe@example.org")
    assert (zoe.first_name, zoe.phone) == ("Zoé", "+33601020304")
    assert zoe.post_taken_on == dt.date(2020, 9, 1)
    assert zoe.structure.kind == Structure.Kind.COLLECTIVITE


def test_missing_required_column_is_a_file_error_naming_it():
    before = counts()
    content = csv_bytes([["Dupont", "Zoé"]], header=["nom", "prenom"])

    report = run(content)

    assert report.has_errors and report.lines == []
    assert "Colonne obligatoire « structure » absente" in report.file_errors[0]
    assert counts() == before


def test_duplicate_column_is_a_file_error():
    report = run(csv_bytes([["a", "b", "c", "d"]], header=["nom", "Nom", "prenom", "structure"]))

    assert "apparaît deux fois" in report.file_errors[0]


def test_header_only_file_is_refused():
    report = run(csv_bytes([]))

    assert report.file_errors == [
        "Le fichier ne contient aucune ligne de participant·e sous l'en-tête."
    ]


# --- All or nothing -------------------------------------------------------------------------


def test_import_with_one_bad_line_writes_nothing_and_names_the_line():
    before = counts()
    audit_before = AuditEntry.objects.count()
    content = csv_bytes(
        [
            person(nom="Martin", email="helene.martin@example.org"),
            person(nom="Durand", prenom="Paul", email="paul.durand@@example", structure="Nouvelle"),
            person(nom="Petit", prenom="Léa", email="lea@example.org"),
        ]
    )

    report = run(content)

    assert report.has_errors
    assert counts() == before
    assert AuditEntry.objects.count() == audit_before
    bad = line(report, 3)
    assert bad.outcome == Outcome.ERROR
    assert bad.messages == ["Adresse e-mail invalide : « paul.durand@@example »."]
    assert [item.outcome for item in report.lines] == ["create", "error", "create"]
    assert report.error_count == 1
    assert "Rien n'a été enregistré" in report.summary()


def test_import_creates_participants_and_structures_with_type_and_commune():
    existing = StructureFactory(name="CCAS de Roubaix", kind=Structure.Kind.CCAS)
    content = csv_bytes(
        [
            person(
                nom="Martin",
                prenom="Hélène",
                email="helene@example.org",
                structure="Société Saint-Vincent",
                type_structure="Association",
                commune="Lille",
                date="15/03/2019",
            ),
            person(
                nom="Bernard",
                prenom="Luc",
                structure="société saint-vincent",
                type_structure="",
                commune="",
                date="2020-01-06",
            ),
            person(
                nom="Leroy",
                prenom="Inès",
                structure="ccas de roubaix",
                type_structure="",
                commune="",
            ),
        ]
    )

    report = run(content)

    assert not report.has_errors
    assert report.applied and (report.created_count, report.existing_count) == (3, 0)
    created = Structure.objects.get(name="Société Saint-Vincent")
    assert (created.kind, created.commune) == (Structure.Kind.ASSOCIATION, "Lille")
    assert [s.name for s in report.structures_to_create] == ["Société Saint-Vincent"]
    assert report.structures_to_create[0].line_numbers == [2, 3]
    helene = Participant.objects.get(email="helene@example.org")
    assert (helene.structure, helene.post_taken_on) == (created, dt.date(2019, 3, 15))
    assert Participant.objects.get(last_name="Bernard").post_taken_on == dt.date(2020, 1, 6)
    assert Participant.objects.get(last_name="Leroy").structure == existing
    assert line(report, 2).participant.pk == helene.pk


def test_import_logs_one_audit_entry(coordinator):
    content = csv_bytes([person(email="a@example.org"), person(nom="Bis", email="b@example.org")])

    report = run(content, actor=coordinator)

    entry = AuditEntry.objects.get(action="participants_imported")
    assert entry.actor == coordinator
    assert sorted(entry.data["created_participant_ids"]) == sorted(
        Participant.objects.values_list("pk", flat=True)
    )
    assert entry.data["created_structure_ids"] == [report.structures_to_create[0].structure.pk]
    assert entry.data["file_name"] == "participants.csv"
    assert len(entry.data["sha256"]) == 64


def test_dry_run_writes_nothing_but_reports_what_would_happen():
    before = counts()
    content = csv_bytes([person(email="a@example.org")])

    report = run(content, dry_run=True)

    assert counts() == before
    assert not report.applied and report.dry_run
    assert report.created_count == 1 and len(report.structures_to_create) == 1
    assert "Simulation" in report.summary()
    assert not AuditEntry.objects.exists()


# --- Already known people -------------------------------------------------------------------


def test_second_import_of_same_file_creates_nobody_and_names_existing_records():
    content = csv_bytes(
        [
            person(nom="Martin", prenom="Hélène", email="Helene.Martin@example.org"),
            person(nom="Bernard", prenom="Luc", email=""),
        ]
    )
    first = run(content)
    assert first.created_count == 2
    before = counts()

    second = run(content)

    assert not second.has_errors
    assert counts() == before
    assert (second.created_count, second.existing_count) == (0, 2)
    helene = Participant.objects.get(last_name="Martin")
    martin_line = line(second, 2)
    assert martin_line.outcome == Outcome.EXISTING and martin_line.existing == helene
    assert martin_line.messages == [
        f"Déjà connu·e (même e-mail) : MARTIN Hélène, Société Saint-Vincent (n° {helene.pk})."
    ]
    luc = Participant.objects.get(last_name="Bernard")
    assert line(second, 3).existing == luc
    assert "même nom, prénom et structure" in line(second, 3).messages[0]
    assert second.structures_to_create == []


def test_known_email_is_matched_case_insensitively():
    known = ParticipantFactory(email="zoe.dupont@example.org", last_name="Dupont", first_name="Zoé")

    report = run(
        csv_bytes(
            [
                person(
                    nom="Dupont",
                    prenom="Zoé",
                    email="ZOE.Dupont@Example.org",
                    structure=known.structure.name,
                    type_structure="",
                )
            ]
        )
    )

    assert line(report, 2).existing == known
    assert Participant.objects.count() == 1


def test_same_name_and_structure_is_detected_ignoring_case_and_accents():
    structure = StructureFactory(name="Centre social Lazare Garreau")
    known = ParticipantFactory(
        last_name="Lefèvre", first_name="Hélène", email="", structure=structure
    )
    content = csv_bytes(
        [
            person(
                nom="LEFEVRE",
                prenom="helene",
                email="autre@example.org",
                structure="centre social  lazare garreau",
                type_structure="",
            ),
        ],
        delimiter=";",
        encoding="cp1252",
    )

    report = run(content)

    item = line(report, 2)
    assert item.outcome == Outcome.EXISTING and item.existing == known
    assert Participant.objects.count() == 1


def test_same_name_in_another_structure_is_a_new_person():
    ParticipantFactory(
        last_name="Martin",
        first_name="Hélène",
        email="",
        structure=StructureFactory(name="CCAS de Lens"),
    )

    report = run(csv_bytes([person(nom="Martin", prenom="Hélène")]))

    assert line(report, 2).outcome == Outcome.CREATE
    assert Participant.objects.filter(last_name="Martin").count() == 2


# --- Line validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (person(nom=""), "Valeur obligatoire manquante : nom."),
        (person(prenom=" "), "Valeur obligatoire manquante : prénom."),
        (person(structure=""), "Valeur obligatoire manquante : structure."),
        (person(email="pas-un-mail"), "Adresse e-mail invalide : « pas-un-mail »."),
        (person(date="31/02/2021"), "Date de prise de poste invalide : « 31/02/2021 »"),
        (person(date="2021/09/01"), "(formats acceptés : JJ/MM/AAAA ou AAAA-MM-JJ)"),
        (person(type_structure="x" * 121), "« type_structure » dépasse 120 caractères."),
        (
            person(structure="Inconnue", type_structure=""),
            "Structure « Inconnue » inconnue : indiquez son type",
        ),
        (person(telephone="0" * 31), "« telephone » dépasse 30 caractères."),
    ],
)
def test_line_errors_name_the_problem(row, expected):
    before = counts()

    report = run(csv_bytes([person(nom="Valide", email="ok@example.org"), row]))

    assert counts() == before
    assert line(report, 2).outcome == Outcome.CREATE
    bad = line(report, 3)
    assert bad.outcome == Outcome.ERROR
    assert any(expected in message for message in bad.messages), bad.messages


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("centre_social", Structure.Kind.CENTRE_SOCIAL),
        ("CENTRE SOCIAL", Structure.Kind.CENTRE_SOCIAL),
        ("Centre Social", Structure.Kind.CENTRE_SOCIAL),
        ("centre socio-culturel", Structure.Kind.CENTRE_SOCIAL),
        ("CSC", Structure.Kind.CENTRE_SOCIAL),
        ("C.C.A.S.", Structure.Kind.CCAS),
        ("ccas", Structure.Kind.CCAS),
        ("CIAS", Structure.Kind.CCAS),
        ("UDCCAS", Structure.Kind.UDCCAS),
        ("Pôle emploi", Structure.Kind.FRANCE_TRAVAIL),
        ("Pole-Emploi", Structure.Kind.FRANCE_TRAVAIL),
        ("France Travail", Structure.Kind.FRANCE_TRAVAIL),
        ("Maison de l'emploi", Structure.Kind.MDE),
        ("maison de l’emploi (MDE)", Structure.Kind.MDE),
        ("M.D.E.", Structure.Kind.MDE),
        ("maison de quartier", Structure.Kind.MAISON_QUARTIER),
        ("MQ", Structure.Kind.MAISON_QUARTIER),
        ("Mission locale", Structure.Kind.MISSION_LOCALE),
        ("ML", Structure.Kind.MISSION_LOCALE),
        ("Aide sociale a l'enfance", Structure.Kind.ASE),
        ("ASE", Structure.Kind.ASE),
        ("PIE", Structure.Kind.PIE),
        ("SIAE", Structure.Kind.SIAE),
        ("association", Structure.Kind.ASSOCIATION),
        ("Association référente RSA", Structure.Kind.ASSOCIATION_RSA),
        ("mairie", Structure.Kind.COLLECTIVITE),
        ("Commune", Structure.Kind.COLLECTIVITE),
        ("collectivite", Structure.Kind.COLLECTIVITE),
        ("service social départemental", Structure.Kind.SERVICE_SOCIAL),
        ("SSD", Structure.Kind.SERVICE_SOCIAL),
        ("médiation numérique", Structure.Kind.MEDIATION_NUMERIQUE),
        ("Autre", Structure.Kind.OTHER),
    ],
)
def test_type_structure_accepts_codes_labels_and_common_spellings(value, kind):
    report = run(csv_bytes([person(type_structure=value)]), dry_run=True)

    assert not report.has_errors, report.lines[0].messages
    assert report.warning_count == 0
    planned = report.structures_to_create[0]
    assert (planned.kind, planned.kind_label) == (kind, "")


def test_parse_kind_unknown_type_is_none():
    assert parse_kind("Foyer rural") is None
    assert parse_kind("") is None


def test_unknown_type_creates_structure_of_kind_other_keeping_the_label_with_a_warning():
    content = csv_bytes(
        [
            person(nom="Martin", structure="Foyer rural de Bavay", type_structure="Foyer rural"),
            person(nom="Bernard", structure="Foyer rural de Bavay", type_structure=""),
        ]
    )

    report = run(content)

    assert not report.has_errors and report.applied
    structure = Structure.objects.get(name="Foyer rural de Bavay")
    assert (structure.kind, structure.kind_label) == (Structure.Kind.OTHER, "Foyer rural")
    assert line(report, 2).warnings == [
        "Type de structure inconnu « Foyer rural » : la structure sera créée avec le type "
        "« Autre » (le type déclaré est gardé sur sa fiche pour la reclasser)."
    ]
    assert line(report, 3).warnings == []
    assert report.warning_count == 1
    assert Participant.objects.filter(structure=structure).count() == 2
    assert "1 avertissement." in report.summary()


def test_file_with_one_person_twice_and_an_unknown_type_imports_with_warnings(coordinator):
    content = csv_bytes(
        [
            person(
                nom="Martin",
                prenom="Hélène",
                email="Helene.Martin@example.org",
                structure="Foyer rural de Bavay",
                type_structure="Foyer rural",
            ),
            person(
                nom="Petit",
                prenom="Léa",
                email="lea@example.org",
                structure="Foyer rural de Bavay",
                type_structure="Foyer rural",
            ),
            person(
                nom="MARTIN",
                prenom="helene",
                email=" helene.martin@EXAMPLE.org ",
                structure="foyer rural de bavay",
                type_structure="Foyer rural",
            ),
        ]
    )

    report = run(content, actor=coordinator)

    assert not report.has_errors and report.applied
    assert (report.created_count, report.same_count, report.existing_count) == (2, 1, 0)
    repeated = line(report, 4)
    assert repeated.outcome == Outcome.SAME and repeated.same_as is line(report, 2)
    assert repeated.outcome_label == "même personne que la ligne 2"
    assert repeated.errors == [] and repeated.participant is None
    assert Participant.objects.filter(email__iexact="helene.martin@example.org").count() == 1
    assert Participant.objects.count() == 2
    structure = Structure.objects.get()
    assert (structure.kind, structure.kind_label) == ("other", "Foyer rural")
    assert [w.line_number for w in report.warnings] == [2]
    entry = AuditEntry.objects.get(action="participants_imported")
    assert entry.data["same_person_lines"] == [[4, 2]]
    assert "1 ligne en double (même personne)" in report.summary()


def test_same_email_with_another_name_is_refused_naming_both_lines():
    before = counts()
    content = csv_bytes(
        [
            person(nom="Martin", prenom="Hélène", email="same@example.org"),
            person(nom="Durand", prenom="Paul", email="Same@Example.org"),
        ]
    )

    report = run(content)

    assert report.has_errors
    assert counts() == before
    assert not AuditEntry.objects.exists()
    assert line(report, 2).outcome == Outcome.CREATE
    assert line(report, 3).errors == [
        "Même e-mail « Same@Example.org » que la ligne 2, mais un autre nom (ligne 2 : "
        "MARTIN Hélène ; ligne 3 : DURAND Paul). Une adresse désigne une seule personne : "
        "corrigez l'une des deux lignes."
    ]


def test_same_email_and_name_in_another_structure_is_a_conflicting_duplicate():
    content = csv_bytes(
        [
            person(
                nom="Martin",
                email="helene@example.org",
                structure="CCAS de Lens",
                type_structure="ccas",
            ),
            person(
                nom="Martin",
                email="helene@example.org",
                structure="Centre social Vauban",
                type_structure="centre social",
            ),
        ]
    )

    report = run(content)

    assert report.has_errors and counts() == (0, 0)
    message = line(report, 3).errors[0]
    assert message.startswith("Même e-mail et même nom que la ligne 2, mais une autre structure")
    assert "« CCAS de Lens »" in message and "« Centre social Vauban »" in message
    assert "doublon contradictoire" in message


def test_same_name_and_structure_with_another_email_is_a_conflicting_duplicate():
    content = csv_bytes(
        [
            person(nom="Martin", prenom="Hélène", email="one@example.org"),
            person(
                nom="MARTIN",
                prenom="Helene",
                email="two@example.org",
                structure="SOCIETE SAINT VINCENT",
            ),
        ]
    )

    report = run(content)

    assert report.has_errors and counts() == (0, 0)
    assert line(report, 3).errors == [
        "Mêmes nom, prénom et structure que la ligne 2, mais une autre adresse e-mail "
        "(ligne 2 : one@example.org ; ligne 3 : two@example.org) : doublon contradictoire, "
        "gardez une seule adresse."
    ]


def test_same_name_and_structure_without_email_is_one_person():
    content = csv_bytes(
        [
            person(nom="Lefèvre", prenom="Jean-Pierre", email=""),
            person(
                nom="LEFEVRE", prenom="jean pierre", email="", structure="Société  Saint-Vincent"
            ),
        ]
    )

    report = run(content)

    assert not report.has_errors
    assert line(report, 3).outcome == Outcome.SAME
    assert Participant.objects.count() == 1


def test_repeated_line_fills_in_details_and_says_which_differ():
    content = csv_bytes(
        [
            person(nom="Martin", email="", telephone="0601020304"),
            person(
                nom="Martin",
                email="helene@example.org",
                telephone="0699999999",
                fonction="Agente d'accueil",
            ),
            person(nom="Martin", email="HELENE@example.org"),
        ]
    )

    report = run(content)

    assert not report.has_errors
    assert [item.outcome for item in report.lines] == ["create", "same", "same"]
    helene = Participant.objects.get()
    assert (helene.email, helene.phone, helene.job_title) == (
        "helene@example.org",
        "+33601020304",
        "Agente d'accueil",
    )
    assert line(report, 2).warnings == [
        "Complété par la ligne 3 (même personne) : email, fonction."
    ]
    assert line(report, 3).warnings == [
        "Même personne que la ligne 2, mais telephone différent : la valeur de la ligne 2 est "
        "gardée."
    ]
    assert line(report, 4).same_as is line(report, 2)


def test_repeated_line_of_a_known_person_creates_nobody():
    known = ParticipantFactory(email="zoe@example.org", last_name="Dupont", first_name="Zoé")
    row = person(
        nom="Dupont",
        prenom="Zoé",
        email="zoe@example.org",
        structure=known.structure.name,
        type_structure="",
    )

    report = run(csv_bytes([row, row]))

    assert (report.existing_count, report.same_count, report.created_count) == (1, 1, 0)
    assert Participant.objects.count() == 1


def test_repeated_line_does_not_hide_an_error_of_the_first():
    content = csv_bytes(
        [
            person(nom="Martin", email="helene@example.org", date="31/02/2021"),
            person(nom="Martin", email="helene@example.org"),
        ]
    )

    report = run(content)

    assert report.has_errors and counts() == (0, 0)
    assert line(report, 2).outcome == Outcome.ERROR
    assert line(report, 3).outcome == Outcome.SAME


def test_type_may_be_given_on_a_later_line_of_the_new_structure():
    content = csv_bytes(
        [
            person(nom="A", structure="Maison Vauban", type_structure="", commune=""),
            person(
                nom="B",
                structure="maison vauban",
                type_structure="Maison de quartier",
                commune="Lille",
            ),
        ]
    )

    report = run(content)

    assert not report.has_errors, [item.messages for item in report.lines]
    structure = Structure.objects.get()
    assert (structure.name, structure.kind, structure.commune) == (
        "Maison Vauban",
        Structure.Kind.MAISON_QUARTIER,
        "Lille",
    )


def test_conflicting_types_for_one_new_structure_are_a_warning_first_type_kept():
    content = csv_bytes(
        [
            person(nom="A", type_structure="association"),
            person(nom="B", type_structure="ccas"),
            person(nom="C", type_structure="Asso"),
        ]
    )

    report = run(content)

    assert not report.has_errors
    assert line(report, 3).warnings == [
        "Type de structure « ccas » différent de celui donné ligne 2 pour la nouvelle "
        "structure « Société Saint-Vincent » : le type de la ligne 2 (« Association ») est "
        "retenu."
    ]
    assert line(report, 4).warnings == []
    assert Structure.objects.get().kind == Structure.Kind.ASSOCIATION


def test_type_given_for_existing_structure_is_a_warning_not_an_error():
    StructureFactory(name="Société Saint-Vincent", kind=Structure.Kind.CENTRE_SOCIAL)

    report = run(csv_bytes([person(type_structure="ccas")]))

    assert not report.has_errors
    assert line(report, 2).warnings == [
        "La structure « Société Saint-Vincent » existe déjà avec le type « Centre social » : "
        "le type du fichier est ignoré (« ccas »)."
    ]
    assert Structure.objects.count() == 1


def test_existing_structure_keeps_its_type_and_declared_label():
    existing = StructureFactory(
        name="Foyer rural de Bavay", kind=Structure.Kind.OTHER, kind_label="Foyer rural"
    )
    content = csv_bytes(
        [
            person(nom="A", structure="Foyer rural de Bavay", type_structure="foyer  rural"),
            person(nom="B", structure="Foyer rural de Bavay", type_structure="Foyer"),
        ]
    )

    report = run(content)

    assert not report.has_errors
    assert line(report, 2).warnings == []
    assert "le type du fichier est ignoré (« Foyer »)" in line(report, 3).warnings[0]
    existing.refresh_from_db()
    assert (existing.kind, existing.kind_label) == ("other", "Foyer rural")


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_with_date_cells_and_string_dates():
    content = xlsx_bytes(
        [
            person(nom="Martin", email="a@example.org", date=dt.datetime(2019, 3, 15)),
            person(nom="Bernard", email="b@example.org", date="06/01/2020", telephone=612345678),
            person(nom="Petit", email="c@example.org", date=dt.date(2021, 9, 1)),
            [None] * len(HEADER),
            person(nom="Roux", email="d@example.org", date=None),
        ]
    )

    report = run(content, name="Participants.XLSX")

    assert not report.has_errors, [item.messages for item in report.lines]
    assert [item.line_number for item in report.lines] == [2, 3, 4, 6]
    dates = dict(Participant.objects.values_list("last_name", "post_taken_on"))
    assert dates == {
        "Martin": dt.date(2019, 3, 15),
        "Bernard": dt.date(2020, 1, 6),
        "Petit": dt.date(2021, 9, 1),
        "Roux": None,
    }
    # The leading zero the spreadsheet dropped is put back: a French mobile.
    assert Participant.objects.get(last_name="Bernard").phone == "+33612345678"


def test_xlsx_bad_line_is_reported_with_its_row_number():
    content = xlsx_bytes(
        [
            person(nom="Martin", email="a@example.org"),
            person(nom="Bernard", email="b@example.org", date="demain"),
        ]
    )

    report = run(content, name="liste.xlsx")

    assert line(report, 3).outcome == Outcome.ERROR
    assert "« demain »" in line(report, 3).messages[0]
    assert Participant.objects.count() == 0


# --- Pure validation and races --------------------------------------------------------------


def test_validate_table_is_pure_over_rows_and_known_records():
    structure = Structure(pk=7, name="CCAS de Tourcoing", kind=Structure.Kind.CCAS)
    person_known = Participant(
        pk=3, last_name="Dupont", first_name="Zoé", email="z@example.org", structure=structure
    )
    known = KnownRecords(
        structures={"ccas de tourcoing": [structure]},
        participants_by_email={"z@example.org": person_known},
    )
    table = Table(
        header=["nom", "prenom", "email", "structure"],
        header_line=1,
        rows=[
            (2, ["Dupont", "Zoé", "Z@example.org", "CCAS de Tourcoing"]),
            (3, ["Durand", "Léo", "", "CCAS DE TOURCOING"]),
        ],
        format="csv",
    )

    report = validate_table(table, known=known, file_name="x.csv")

    assert [item.outcome for item in report.lines] == ["existing", "create"]
    assert report.lines[1].structure is structure


def test_person_created_meanwhile_is_found_again_inside_the_transaction(monkeypatch):
    structure = StructureFactory(name="Société Saint-Vincent")
    original = writing.known_records_for
    calls = []

    def known_records_then_concurrent_write(table):
        known = original(table)
        if not calls:
            # Another coordinator saves the same person between preview and write.
            ParticipantFactory(
                last_name="Martin", first_name="Hélène", email="", structure=structure
            )
        calls.append(1)
        return known

    monkeypatch.setattr(writing, "known_records_for", known_records_then_concurrent_write)

    report = run(csv_bytes([person(nom="Martin", prenom="Hélène", type_structure="")]))

    assert len(calls) == 2
    assert line(report, 2).outcome == Outcome.EXISTING
    assert Participant.objects.count() == 1


def test_race_lost_on_unique_email_writes_nothing(monkeypatch):
    ParticipantFactory(email="helene@example.org")
    before = counts()
    # Simulate a writer the re-check cannot see: the database constraint must catch it.
    monkeypatch.setattr(writing, "known_records_for", lambda table: KnownRecords())
    content = csv_bytes(
        [
            person(nom="Autre", email="autre@example.org", structure="Nouvelle structure"),
            person(nom="Martin", email="helene@example.org", structure="Nouvelle structure"),
        ]
    )

    report = run(content)

    assert report.file_errors == [RACE_MESSAGE]
    assert counts() == before
    assert not AuditEntry.objects.exists()


# --- Real concurrency (PostgreSQL) ----------------------------------------------------------


def _import_in_threads(content, times=2):
    import threading

    from django.db import connection

    barrier = threading.Barrier(times)
    reports, failures = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            reports.append(run(content))
        except Exception as exc:  # surfaced by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return reports


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("new_structure", [False, True])
def test_concurrent_imports_of_one_file_never_duplicate(new_structure):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (DATABASE_URL)")
    if not new_structure:
        StructureFactory(name="Société Saint-Vincent", kind=Structure.Kind.ASSOCIATION)
    # No e-mails: only the name + structure rule, hence the lock, can stop a duplicate.
    content = csv_bytes([person(nom="Martin"), person(nom="Bernard", prenom="Luc")])

    reports = _import_in_threads(content)

    assert Participant.objects.filter(last_name="Martin").count() == 1
    assert Participant.objects.filter(last_name="Bernard").count() == 1
    assert Structure.objects.filter(name__iexact="Société Saint-Vincent").count() == 1
    assert sorted(report.created_count for report in reports) == [0, 2]
    for report in reports:
        # The loser either sees everyone as known, or lost the race cleanly.
        assert (
            report.created_count == 2
            or report.existing_count == 2
            or (report.file_errors == [RACE_MESSAGE])
        )


def _queries_for_import(row_count, *, dry_run):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [
        person(nom=f"Nom{i}", email=f"p{i}@example.org", structure=f"Structure {i % 3}")
        for i in range(row_count)
    ]
    with CaptureQueriesContext(connection) as queries:
        report = run(csv_bytes(rows), dry_run=dry_run)
    assert report.created_count == row_count
    return len(queries)


@pytest.mark.parametrize("dry_run", [True, False])
def test_import_query_count_does_not_grow_with_rows(dry_run):
    small = _queries_for_import(6, dry_run=dry_run)
    Participant.objects.all().delete()
    Structure.objects.all().delete()

    large = _queries_for_import(60, dry_run=dry_run)

    assert large == small


def test_every_listed_spelling_gives_its_own_type():
    # A spelling shadowed by another type's label or code would silently misfile structures.
    for kind, spellings in importing.KIND_SPELLINGS.items():
        for spelling in spellings:
            assert parse_kind(spelling) == kind, spelling
