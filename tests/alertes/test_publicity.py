"""FEDER publicity (seed 002): the EU emblem and the EU fund's sentence on every Alertes page
of a structure partner of an EU-funded programme, and on that programme's own pages; the
texts come from the funders and the programme."""

import pytest
from django.urls import reverse

from formations.models import Funder
from formations.publicity import EU_STATEMENT, structure_eu_publicity
from tests.factories import FunderFactory, ProgrammeFactory
from tests.factories.members import alertes_world

pytestmark = pytest.mark.django_db

FEDER_2014 = "Ce projet est cofinancé par l'Union Européenne avec le FEDER"


def _feder_programme(structure, **kwargs):
    feder = FunderFactory(name="FEDER", kind=Funder.Kind.FEDER, publicity_sentence=FEDER_2014)
    region = FunderFactory(
        name="Région", kind=Funder.Kind.REGION, publicity_sentence="Avec la Région"
    )
    programme = ProgrammeFactory(
        title="Centres sociaux connectés",
        reference="CSC-MEL-2018",
        publicity_sentence="Opération ITI de la MEL.",
        **kwargs,
    )
    programme.funders.set([feder, region])
    programme.structures.add(structure)
    return programme


def test_alertes_pages_of_a_partner_of_a_feder_programme_show_the_emblem_and_sentence(client):
    world = alertes_world()
    _feder_programme(world.arbrisseau)
    client.force_login(world.admin)

    page = client.get(reverse("alertes:structure_home", args=[world.arbrisseau.pk]))

    text = page.content.decode()
    assert "img/eu-emblem" in text and 'alt="Emblème de l' in text
    assert "Ce projet est cofinancé par l&#x27;Union Européenne avec le FEDER" in text
    assert "Opération ITI de la MEL." in text and "CSC-MEL-2018" in text
    assert "Avec la Région" not in text  # only the EU funds beside the emblem

    client.force_login(world.other_admin)  # Chemin Rouge is not a partner
    page = client.get(reverse("alertes:structure_home", args=[world.chemin_rouge.pk]))
    assert "eu-emblem" not in page.content.decode()


def test_an_eu_fund_without_sentence_gets_the_2021_2027_statement():
    world = alertes_world()
    programme = _feder_programme(world.arbrisseau)
    Funder.objects.filter(kind=Funder.Kind.FEDER).update(publicity_sentence="")

    (block,) = structure_eu_publicity(world.arbrisseau)

    assert block.sentences == (EU_STATEMENT,)
    assert block.programme_pk == programme.pk and block.funds == ("FEDER",)


def test_the_programme_and_formation_pages_of_a_feder_programme_carry_it(client):
    from tests.factories import FormationFactory, UserFactory

    world = alertes_world()
    programme = _feder_programme(world.arbrisseau)
    formation = FormationFactory(programme=programme)
    client.force_login(UserFactory(role="coordinator"))
    for url in (
        reverse("formations:programme_detail", args=[programme.pk]),
        reverse("formations:formation_detail", args=[formation.pk]),
    ):
        text = client.get(url).content.decode()
        assert "img/eu-emblem" in text, url
        assert "cofinancé par l&#x27;Union Européenne avec le FEDER" in text

    other = ProgrammeFactory()
    text = client.get(reverse("formations:programme_detail", args=[other.pk])).content.decode()
    assert "img/eu-emblem" not in text


def test_each_eu_programme_of_the_structure_is_one_block_read_in_one_query(
    django_assert_num_queries,
):
    import datetime as dt

    world = alertes_world()
    older = _feder_programme(world.arbrisseau, start_date=dt.date(2018, 1, 15))
    fse = FunderFactory(name="FSE+", kind=Funder.Kind.FSE_PLUS, publicity_sentence="")
    newer = ProgrammeFactory(
        reference="FSE-2024", start_date=dt.date(2024, 1, 1), end_date=dt.date(2027, 12, 31)
    )
    newer.funders.set([fse, Funder.objects.get(name="FEDER")])
    newer.structures.add(world.arbrisseau)
    ProgrammeFactory(reference="REG").structures.add(world.arbrisseau)  # no EU fund

    with django_assert_num_queries(1):
        blocks = structure_eu_publicity(world.arbrisseau)

    assert [block.programme_pk for block in blocks] == [newer.pk, older.pk]
    assert blocks[0].sentences == (FEDER_2014, EU_STATEMENT)
