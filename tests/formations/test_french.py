import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import translation

from formations.french import de_structure, hours_label, long_date, time_zone_label


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (dt.date(2026, 1, 1), "j F Y", "1er janvier 2026"),
        (dt.date(2026, 1, 2), "j F Y", "2 janvier 2026"),
        (dt.date(2026, 1, 11), "j F Y", "11 janvier 2026"),
        (dt.date(2026, 1, 21), "j F Y", "21 janvier 2026"),
        (dt.date(2026, 1, 1), "l j F Y", "jeudi 1er janvier 2026"),
        (dt.datetime(2026, 6, 1, 9, 30), "l j F, H:i", "lundi 1er juin, 09:30"),
        (dt.date(2026, 1, 1), r"\j j F", "j 1er janvier"),
        (None, "j F Y", ""),
    ],
)
def test_long_date_writes_the_first_of_the_month_1er(value, fmt, expected):
    assert long_date(value, fmt) == expected


def test_long_date_filter_shows_datetimes_in_the_active_time_zone():
    # 31 December 22:30 UTC is already 1 January in Mayotte (UTC+3).
    moment = dt.datetime(2025, 12, 31, 22, 30, tzinfo=dt.UTC)
    template = Template(
        '{% load french tz %}{% timezone "Indian/Mayotte" %}'
        '{{ moment|long_date:"l j F Y, H:i" }}{% endtimezone %}'
    )

    assert template.render(Context({"moment": moment})) == "jeudi 1er janvier 2026, 01:30"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CCAS de Mamoudzou", "du CCAS de Mamoudzou"),
        ("Centre social Dutemple", "du Centre social Dutemple"),
        ("Mission locale de Saint-Ouen", "de la Mission locale de Saint-Ouen"),
        ("Maison de quartier Beaujardin", "de la Maison de quartier Beaujardin"),
        ("MDE de Clichy-sous-Bois", "de la MDE de Clichy-sous-Bois"),
        ("UDCCAS de Mayotte", "de l'UDCCAS de Mayotte"),
        ("Association référente RSA de Bobigny", "de l'Association référente RSA de Bobigny"),
        ("Espace de médiation numérique de Sevran", "de l'Espace de médiation numérique de Sevran"),
        ("État", "de l'État"),
        ("FSE+", "du FSE+"),
        ("France Travail — agence de Pantin", "de France Travail — agence de Pantin"),
        ("Le Phare d'Onnaing", "du Phare d'Onnaing"),
        ("Les Florales", "des Florales"),
        ("La Briquette", "de la Briquette"),
        ("L'Arbrisseau", "de L'Arbrisseau"),
        ("Restos du cœur", "des Restos du cœur"),
        ("Emmaüs Connect", "d'Emmaüs Connect"),
        ("", ""),
    ],
)
def test_de_structure_contracts_the_article(name, expected):
    assert de_structure(name) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Paris", "heure de Paris"),
        ("Indian/Mayotte", "heure de Mayotte"),
        ("Indian/Reunion", "heure de La Réunion"),
        ("America/Martinique", "heure de la Martinique"),
        ("America/Guadeloupe", "heure de la Guadeloupe"),
        ("America/Cayenne", "heure de la Guyane"),
        ("Pacific/Noumea", "heure de Nouméa"),
        ("Pacific/Tahiti", "heure de Tahiti"),
        ("America/Sao_Paulo", "fuseau America/Sao_Paulo"),
    ],
)
def test_time_zone_label_names_the_place(zone, expected):
    assert time_zone_label(zone) == expected


def test_every_session_time_zone_choice_has_a_french_label():
    from sessions.models import TrainingSession

    for zone, label in TrainingSession.TIME_ZONE_CHOICES:
        zoneinfo.ZoneInfo(zone)
        assert time_zone_label(zone).startswith("heure de"), zone
        assert str(label) == f"H{time_zone_label(zone)[1:]} ({zone})"


def test_filters_in_templates():
    template = Template(
        "{% load french %}{{ name|de_structure }} · {{ zone|time_zone_label }} · "
        "{{ day|long_date }}"
    )

    rendered = template.render(
        Context({"name": "CCAS de Mamoudzou", "zone": "Indian/Mayotte", "day": dt.date(2026, 5, 1)})
    )

    assert rendered == "du CCAS de Mamoudzou · heure de Mayotte · 1er mai 2026"


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, "0 h"), (None, "0 h"), (5, "0 h 05"), (210, "3 h 30"), (420, "7 h"), (1500, "25 h")],
)
def test_hours_label(minutes, expected):
    assert hours_label(minutes) == expected


def test_one_hours_label_for_the_formation_page_and_the_contract_warnings(coordinator_client):
    """7.5 hours a day reads « 7 h 30 » on the formation page and in the rule's warning
    alike (the page said « 7,5 h » while the warning said « 7 h 30 »)."""
    from decimal import Decimal

    from sessions.selectors.contract import contract_status
    from tests.factories import FormationFactory

    formation = FormationFactory(min_hours_per_day=Decimal("7.5"))
    rules = dict(coordinator_client.get(formation.get_absolute_url()).context["rules"])
    assert rules["Heures de formation par jour"] == "7 h 30 au moins"
    rule = contract_status(formation=formation).rule("min_hours_per_day")
    assert "7 h 30" in rule.expected
