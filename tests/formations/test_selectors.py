import pytest
from django.test import RequestFactory

from formations import filters, selectors
from formations.models import Funder
from formations.selectors import structures_with_counts
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(auditor, referent, trainer):
    feder = auditor.funders.get()
    audited = ProgrammeFactory(reference="FEDER-OP")
    audited.funders.add(feder)
    audited.structures.add(referent.structure)
    other = ProgrammeFactory(reference="CAF-OP")
    other.funders.add(FunderFactory(name="CAF", kind=Funder.Kind.CAF))
    other_structure = StructureFactory()
    other.structures.add(other_structure)

    session = TrainingSessionFactory(formation=FormationFactory(programme=audited))
    session.trainers.add(trainer)
    own = ParticipantFactory(structure=referent.structure)
    colleague = ParticipantFactory(structure=referent.structure)
    EnrolmentFactory(session=session, participant=own)
    outsider = ParticipantFactory(structure=other_structure)
    EnrolmentFactory(session__formation=FormationFactory(programme=other), participant=outsider)
    return {
        "audited": audited,
        "other": other,
        "own": own,
        "colleague": colleague,
        "outsider": outsider,
        "referent_structure": referent.structure,
        "other_structure": other_structure,
    }


def pks(qs):
    return set(qs.values_list("pk", flat=True))


def test_coordinator_sees_everything(coordinator, world):
    assert pks(selectors.programmes_visible_to(user=coordinator)) == {
        world["audited"].pk,
        world["other"].pk,
    }
    assert len(pks(selectors.participants_visible_to(user=coordinator))) == 3


def test_referent_sees_own_structure_and_its_people(referent, world):
    assert pks(selectors.structures_visible_to(user=referent)) == {world["referent_structure"].pk}
    assert pks(selectors.participants_visible_to(user=referent)) == {
        world["own"].pk,
        world["colleague"].pk,
    }
    assert pks(selectors.programmes_visible_to(user=referent)) == {world["audited"].pk}


def test_auditor_sees_programmes_of_their_funders(auditor, world):
    assert pks(selectors.programmes_visible_to(user=auditor)) == {world["audited"].pk}
    assert pks(selectors.formations_visible_to(user=auditor)) == pks(
        world["audited"].formations.all()
    )
    assert pks(selectors.participants_visible_to(user=auditor)) == {world["own"].pk}
    assert world["other_structure"].pk not in pks(selectors.structures_visible_to(user=auditor))


def test_trainer_sees_participants_of_own_sessions(trainer, world):
    assert pks(selectors.participants_visible_to(user=trainer)) == {world["own"].pk}
    assert pks(selectors.structures_visible_to(user=trainer)) == {world["referent_structure"].pk}


def test_structures_with_counts_counts_only_visible_participants(trainer, coordinator, world):
    as_trainer = {s.pk: s.participant_count for s in structures_with_counts(user=trainer)}
    assert as_trainer == {world["referent_structure"].pk: 1}
    as_coordinator = {s.pk: s.participant_count for s in structures_with_counts(user=coordinator)}
    assert as_coordinator[world["referent_structure"].pk] == 2
    assert as_coordinator[world["other_structure"].pk] == 1


def test_filter_choices_are_scoped(auditor, referent, world):
    request = RequestFactory().get("/")
    request.user = auditor
    assert list(filters.visible_programmes(request)) == [world["audited"]]
    assert list(filters.visible_funders(request)) == list(auditor.funders.all())
    request.user = referent
    assert list(filters.visible_structures(request)) == [world["referent_structure"]]
    territories = filters.ParticipantFilter(request=request).filters["territory"].extra["choices"]
    assert territories == [(referent.structure.territory, referent.structure.territory)]


def test_filter_choices_without_request_are_empty():
    assert not filters.visible_programmes(None).exists()
    assert not filters.visible_structures(None).exists()


def test_auditor_with_two_funders_of_one_programme_sees_each_row_once(auditor, world):
    region = FunderFactory(name="Région", kind=Funder.Kind.REGION)
    auditor.funders.add(region)
    world["audited"].funders.add(region)
    world["audited"].structures.add(StructureFactory())
    EnrolmentFactory(
        session__formation=FormationFactory(programme=world["audited"]), participant=world["own"]
    )

    for selector in (
        selectors.programmes_visible_to,
        selectors.formations_visible_to,
        selectors.structures_visible_to,
        selectors.participants_visible_to,
    ):
        rows = list(selector(user=auditor).values_list("pk", flat=True))
        assert len(rows) == len(set(rows)) > 0, selector.__name__
    request = RequestFactory().get("/")
    request.user = auditor
    assert list(filters.visible_funders(request)) == sorted(
        auditor.funders.all(), key=lambda f: f.name
    )


@pytest.mark.parametrize("role", ["coordinator", "trainer", "auditor", "referent"])
def test_scoping_and_filters_nest_no_in_subquery(request, role, world):
    # Nested `IN (SELECT …)` made PostgreSQL plan nested loops of sequential scans: with
    # stale statistics an auditor's list page took minutes.
    user = request.getfixturevalue(role)
    http = RequestFactory().get("/")
    http.user = user
    programme = world["audited"]
    querysets = [
        selectors.programmes_visible_to(user=user),
        selectors.formations_visible_to(user=user),
        selectors.structures_visible_to(user=user),
        selectors.participants_visible_to(user=user),
        filters.visible_funders(http),
        filters.ParticipantFilter(
            {"programme": programme.pk}, queryset=selectors.participants_visible_to(user=user)
        ).filter_programme(selectors.participants_visible_to(user=user), "programme", programme),
        filters.StructureFilter().filter_programme(
            selectors.structures_visible_to(user=user), "programme", programme
        ),
        filters.ProgrammeFilter().filter_territory(
            selectors.programmes_visible_to(user=user), "territory", "Lille Sud"
        ),
        filters.FormationFilter().filter_territory(
            selectors.formations_visible_to(user=user), "territory", "Lille Sud"
        ),
    ]
    for queryset in querysets:
        assert "IN (SELECT" not in str(queryset.query).upper()


def test_trainer_sees_the_partner_structures_of_the_programmes_they_train(client, trainer, world):
    """She edits their fiches projet: their page opens, showing only her sessions' people."""
    partner = StructureFactory(name="UDCCAS de Mayotte")
    world["audited"].structures.add(partner)
    stranger = ParticipantFactory(structure=partner, last_name="Inconnue")
    # Someone of the partner structure in another programme's session: not hers to see.
    EnrolmentFactory(
        session__formation=FormationFactory(programme=world["other"]), participant=stranger
    )
    visible = pks(selectors.structures_visible_to(user=trainer))
    assert visible == {world["referent_structure"].pk, partner.pk}
    assert world["other_structure"].pk not in visible
    client.force_login(trainer)
    page = client.get(partner.get_absolute_url())
    assert page.status_code == 200
    assert "Inconnue" not in page.content.decode()
    assert client.get(world["other_structure"].get_absolute_url()).status_code == 404
