"""Deleting in the Django admin never cascades through evidence: the records that
émargements, sessions and the journal point at are kept, with a page saying why (never a
server error)."""

import pytest

from formations.audit import log_action
from formations.models import Formation, Funder, Participant, Structure, User
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _delete(admin_client, model, pk):
    return admin_client.post(f"/admin/formations/{model}/{pk}/delete/", {"post": "yes"})


def test_admin_keeps_an_enrolled_participant_with_a_clear_page(admin_client):
    participant = EnrolmentFactory().participant

    response = _delete(admin_client, "participant", participant.pk)

    assert response.status_code == 200
    assert "Impossible de supprimer" in response.content.decode()
    assert Participant.objects.filter(pk=participant.pk).exists()


def test_admin_keeps_a_structure_with_participants(admin_client):
    structure = ParticipantFactory().structure

    response = _delete(admin_client, "structure", structure.pk)

    assert response.status_code == 200
    assert "Impossible de supprimer" in response.content.decode()
    assert Structure.objects.filter(pk=structure.pk).exists()


def test_admin_keeps_a_formation_with_sessions(admin_client):
    formation = TrainingSessionFactory().formation

    response = admin_client.post(
        "/admin/formations/formation/",
        {"action": "delete_selected", "_selected_action": [formation.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert "Impossible de supprimer" in response.content.decode()
    assert Formation.objects.filter(pk=formation.pk).exists()


def test_admin_keeps_the_funder_of_a_programme(admin_client):
    funder = FunderFactory(name="FSE+", kind=Funder.Kind.FSE_PLUS)
    ProgrammeFactory().funders.add(funder)
    unused = FunderFactory(name="CAF du Nord", kind=Funder.Kind.CAF)

    refused = _delete(admin_client, "funder", funder.pk)
    bulk = admin_client.post(
        "/admin/formations/funder/",
        {"action": "delete_selected", "_selected_action": [funder.pk], "post": "yes"},
    )
    deleted = _delete(admin_client, "funder", unused.pk)

    assert refused.status_code == 403
    assert "financeur d&#x27;au moins un programme" in bulk.content.decode()
    assert Funder.objects.filter(pk=funder.pk).exists()
    assert deleted.status_code == 302
    assert not Funder.objects.filter(pk=unused.pk).exists()


def test_admin_keeps_a_user_named_in_the_journal(admin_client):
    author = UserFactory(role=User.Role.TRAINER)
    log_action(actor=author, action="slot.countersign", summary="Contre-signature")
    newcomer = UserFactory(role=User.Role.TRAINER)

    refused = _delete(admin_client, "user", author.pk)
    deleted = _delete(admin_client, "user", newcomer.pk)

    assert refused.status_code == 403
    assert User.objects.filter(pk=author.pk).exists()
    assert deleted.status_code == 302
    assert not User.objects.filter(pk=newcomer.pk).exists()
