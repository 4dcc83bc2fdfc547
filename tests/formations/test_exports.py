import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from formations.exports import neutralise
from formations.models import Formation, Funder, Structure
from tests.factories import (
    ContactConsentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff"), "a BOM lets a French Excel read UTF-8"
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def _xlsx(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
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
    _, xrows = _xlsx(
        coordinator_client.get(reverse("formations:participant_list") + "?_export=xlsx")
    )
    assert xrows[1][0] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("-2", "-2"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("Awa", "Awa"),
        (None, None),
        (3, 3),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected
