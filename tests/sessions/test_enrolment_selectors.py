import pytest

from sessions.selectors.enrolment import enrolment_candidates
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
)


@pytest.mark.django_db
def test_enrolment_candidates_put_partner_structures_first_and_skip_enrolled(coordinator):
    session = TrainingSessionFactory()
    partner = StructureFactory(name="Zeta partenaire")
    session.formation.programme.structures.add(partner)
    outsider = ParticipantFactory(last_name="Aaron", structure=StructureFactory(name="Alpha"))
    insider = ParticipantFactory(last_name="Zoé", structure=partner)
    enrolled = ParticipantFactory(structure=partner)
    EnrolmentFactory(session=session, participant=enrolled)

    candidates = list(enrolment_candidates(session=session, user=coordinator))

    assert candidates == [insider, outsider]


@pytest.mark.django_db
def test_enrolment_candidates_match_every_word(coordinator):
    session = TrainingSessionFactory()
    wanted = ParticipantFactory(last_name="Madi", first_name="Hadidja")
    ParticipantFactory(last_name="Madi", first_name="Rachidi")

    candidates = enrolment_candidates(session=session, user=coordinator, query="madi hadi")

    assert list(candidates) == [wanted]


@pytest.mark.django_db
def test_enrolment_candidates_are_scoped_for_a_referent(referent):
    session = TrainingSessionFactory()
    own = ParticipantFactory(structure=referent.structure)
    ParticipantFactory()

    assert list(enrolment_candidates(session=session, user=referent)) == [own]
