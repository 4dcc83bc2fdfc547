"""Members live in the participants' registry but are no trainees: the coordinators'
« Participant·es » list shows the professionals unless asked, and enrolling a structure
enrols its professionals only."""

import pytest
from django.urls import reverse

from formations.models import Participant
from sessions.services.enrolment import enrol_structure
from tests.factories import ParticipantFactory, TrainingSessionFactory
from tests.factories.members import MembershipFactory, alertes_world

pytestmark = pytest.mark.django_db


def test_the_participant_list_shows_professionals_unless_members_are_asked(client, coordinator):
    world = alertes_world()
    ParticipantFactory(structure=world.arbrisseau, last_name="Formée")
    MembershipFactory(structure=world.arbrisseau, participant__last_name="Habitante")
    client.force_login(coordinator)

    default = client.get(reverse("formations:participant_list")).content.decode()
    assert "FORMÉE" in default and "HABITANTE" not in default
    members = client.get(reverse("formations:participant_list"), {"person": "members"})
    assert "HABITANTE" in members.content.decode()
    assert "FORMÉE" not in members.content.decode()
    everyone = client.get(reverse("formations:participant_list"), {"person": "all"})
    assert "FORMÉE" in everyone.content.decode() and "HABITANTE" in everyone.content.decode()


def test_enrolling_a_structure_leaves_its_members_out(coordinator):
    world = alertes_world()
    professional = ParticipantFactory(structure=world.arbrisseau)
    MembershipFactory(structure=world.arbrisseau)
    session = TrainingSessionFactory()

    result = enrol_structure(session=session, structure=world.arbrisseau, actor=coordinator)

    assert result.enrolled == [professional]
    assert professional.kind == Participant.Kind.PROFESSIONAL
