"""The project team of a fiche: the contract's maximum on the structure's agents (elected
members and partners beside them), the referent among the agents, and who may do what."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from formations.models import User
from projects.exceptions import ProjectsError
from projects.models import FicheRevision, ProjectFiche, TeamMember
from projects.services_team import (
    member_add,
    member_move,
    member_remove,
    member_update,
    referent_set,
)
from tests.factories import (
    FunderFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db
Kind = TeamMember.Kind


def _add(world, actor=None, **fields):
    fiche = ProjectFiche.objects.filter(programme=world.programme, structure=world.ccas).first()
    return member_add(
        actor=actor or world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=fiche.revision if fiche else 0,
        **fields,
    )


def _agents(world, count):
    return [
        _add(world, kind=Kind.AGENT, participant=ParticipantFactory(structure=world.ccas))
        for _ in range(count)
    ]


def _revision(world) -> int:
    return ProjectFiche.objects.get(programme=world.programme, structure=world.ccas).revision


def test_a_fourth_agent_is_refused_when_the_contract_says_at_most_three():
    world = project_world(team_max=3)
    _agents(world, 3)
    with pytest.raises(ProjectsError) as error:
        _add(world, kind=Kind.AGENT, full_name="MADI Fatima")
    assert error.value.code == "team_full"
    assert "L'équipe projet compte déjà 3 agents de la structure" in error.value.message
    assert "au plus 3" in error.value.message
    assert TeamMember.objects.filter(kind=Kind.AGENT).count() == 3


def test_a_partner_and_an_elected_member_join_three_agents():
    world = project_world(team_max=3)
    _agents(world, 3)
    _add(world, kind=Kind.PARTNER, full_name="SOULA Ali", role="Association Nayma")
    _add(world, kind=Kind.ELECTED, full_name="ABDOU Mariam", role="adjointe aux affaires sociales")
    assert TeamMember.objects.count() == 5
    assert list(TeamMember.objects.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_partner_turned_agent_counts_against_the_maximum():
    world = project_world(team_max=2)
    _agents(world, 2)
    partner = _add(world, kind=Kind.PARTNER, full_name="SOULA Ali")
    with pytest.raises(ProjectsError) as error:
        member_update(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            member=partner,
            expected_revision=_revision(world),
            kind=Kind.AGENT,
            full_name="SOULA Ali",
        )
    assert error.value.code == "team_full"
    assert TeamMember.objects.get(pk=partner.pk).kind == Kind.PARTNER


def test_without_a_maximum_any_number_of_agents_is_accepted():
    world = project_world(team_max=None, team_min=None)
    _agents(world, 5)
    assert TeamMember.objects.count() == 5


def test_a_participant_of_another_structure_is_refused_as_agent():
    world = project_world()
    stranger = ParticipantFactory(structure=world.other, last_name="Ailleurs")
    with pytest.raises(ProjectsError) as error:
        _add(world, kind=Kind.AGENT, participant=stranger)
    assert error.value.code == "other_structure"
    assert not TeamMember.objects.exists()


def test_an_agent_is_taken_from_the_structure_with_their_job_title():
    world = project_world()
    person = ParticipantFactory(
        structure=world.ccas, last_name="Madi", first_name="Awa", job_title="directrice"
    )
    member = _add(world, kind=Kind.AGENT, participant=person)
    assert (member.full_name, member.role, member.participant) == ("MADI Awa", "directrice", person)
    with pytest.raises(ProjectsError) as error:
        _add(world, kind=Kind.AGENT, participant=person)
    assert error.value.code == "already_member"


def test_the_referent_must_be_an_agent():
    world = project_world()
    partner = _add(world, kind=Kind.PARTNER, full_name="SOULA Ali")
    with pytest.raises(ProjectsError) as error:
        referent_set(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            member=partner,
            expected_revision=_revision(world),
        )
    assert error.value.code == "referent_not_agent"
    assert "est un agent de la structure" in error.value.message
    assert not TeamMember.objects.filter(is_referent=True).exists()


def test_choosing_a_referent_moves_the_role_from_the_previous_one():
    world = project_world()
    first, second = _agents(world, 2)
    for member in (first, second):
        referent_set(
            actor=world.referent,
            programme=world.programme,
            structure=world.ccas,
            member=member,
            expected_revision=_revision(world),
        )
    assert list(TeamMember.objects.filter(is_referent=True)) == [second]
    revision = FicheRevision.objects.order_by("-number").first()
    assert revision.part == "Équipe projet"
    assert {change["field"] for change in revision.changes} == {
        f"Équipe projet › {first.full_name}",
        f"Équipe projet › {second.full_name}",
    }


def test_the_referent_cannot_become_a_partner():
    world = project_world()
    (agent,) = _agents(world, 1)
    referent_set(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        member=agent,
        expected_revision=_revision(world),
    )
    with pytest.raises(ProjectsError) as error:
        member_update(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            member=agent,
            expected_revision=_revision(world),
            kind=Kind.PARTNER,
            full_name="X",
        )
    assert error.value.code == "referent_not_agent"


def test_removing_and_moving_keep_positions_contiguous():
    world = project_world(team_max=None)
    a, b, c, d = _agents(world, 4)
    member_remove(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        member=b,
        expected_revision=_revision(world),
    )
    member_move(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        member=d,
        direction="up",
        expected_revision=_revision(world),
    )
    assert list(TeamMember.objects.order_by("position").values_list("pk", "position")) == [
        (a.pk, 1),
        (d.pk, 2),
        (c.pk, 3),
    ]


def test_someone_who_may_not_edit_is_refused_by_the_service():
    world = project_world()
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    for actor in (world.other_referent, auditor):
        with pytest.raises(PermissionDenied):
            _add(world, actor=actor, kind=Kind.PARTNER, full_name="SOULA Ali")
    assert not TeamMember.objects.exists()


# --- Real concurrency (PostgreSQL) ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_additions_cannot_exceed_the_maximum():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (DATABASE_URL)")
    world = project_world(team_max=3)
    _agents(world, 2)
    newcomers = [ParticipantFactory(structure=world.ccas) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes, failures = [], []

    def worker(person):
        try:
            barrier.wait(timeout=10)
            member_add(
                actor=world.coordinator,
                programme=world.programme,
                structure=world.ccas,
                expected_revision=None,
                kind=Kind.AGENT,
                participant=person,
            )
            outcomes.append("added")
        except ProjectsError as error:
            outcomes.append(error.code)
        except Exception as exc:  # surfaced by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(person,)) for person in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(outcomes) == ["added", "team_full"]
    assert TeamMember.objects.filter(kind=Kind.AGENT).count() == 3


# --- Pages ---------------------------------------------------------------------------------


def _url(world, name="fiche_team", *args, structure=None):
    return reverse(
        f"projects:{name}", args=[world.programme.pk, (structure or world.ccas).pk, *args]
    )


def test_the_referent_adds_a_partner_beside_three_agents_through_the_page(client):
    world = project_world(team_max=3)
    _agents(world, 3)
    client.force_login(world.referent)
    response = client.post(
        _url(world, "fiche_team_add"),
        {"revision": _revision(world), "kind": "partner", "full_name": "SOULA Ali", "role": "X"},
    )
    assert response.status_code == 302
    refused = client.post(
        _url(world, "fiche_team_add"),
        {"revision": _revision(world), "kind": "agent", "full_name": "MADI Fatima"},
    )
    assert refused.status_code == 200
    assert "le marché en prévoit au plus 3" in refused.content.decode()
    page = client.get(_url(world)).content.decode()
    assert "SOULA Ali" in page
    assert "3 agents de la structure dans l'équipe" in page
    assert "pas encore de référent·e" in page


def test_a_referent_of_another_structure_gets_404_on_get_and_post(client):
    world = project_world()
    (agent,) = _agents(world, 1)
    client.force_login(world.other_referent)
    urls = [
        _url(world),
        _url(world, "fiche_team_add"),
        _url(world, "fiche_team_edit", agent.pk),
        _url(world, "fiche_team_remove", agent.pk),
        _url(world, "fiche_team_move", agent.pk),
        _url(world, "fiche_team_referent", agent.pk),
    ]
    assert client.get(urls[0]).status_code == 404
    for url in urls[1:]:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"revision": 1, "direction": "up"}).status_code == 404, url
    assert TeamMember.objects.get().is_referent is False


def test_an_auditor_reads_the_team_without_buttons(client):
    world = project_world()
    _agents(world, 1)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    funder = FunderFactory()
    world.programme.funders.add(funder)
    auditor.funders.add(funder)
    client.force_login(auditor)
    page = client.get(_url(world))
    assert page.status_code == 200
    assert "Ajouter un membre" not in page.content.decode()
    assert client.get(_url(world, "fiche_team_add")).status_code == 403


def test_choosing_a_partner_as_referent_says_why_in_french(client):
    world = project_world()
    partner = _add(world, kind=Kind.PARTNER, full_name="SOULA Ali")
    client.force_login(world.coordinator)
    response = client.post(
        _url(world, "fiche_team_referent", partner.pk), {"revision": _revision(world)}, follow=True
    )
    assert "ne peut pas l&#x27;être" in response.content.decode()


def test_a_stale_form_is_refused_on_the_page(client):
    world = project_world()
    _agents(world, 1)
    client.force_login(world.coordinator)
    response = client.post(
        _url(world, "fiche_team_add"), {"revision": 0, "kind": "partner", "full_name": "SOULA Ali"}
    )
    assert "La fiche a été modifiée entre-temps" in response.content.decode()
    assert TeamMember.objects.count() == 1


@pytest.mark.parametrize("count", [1, 6])
def test_the_team_page_query_count_does_not_grow_with_members(
    client, django_assert_max_num_queries, count
):
    world = project_world(team_max=None)
    _agents(world, count)
    for index in range(count):
        _add(world, kind=Kind.PARTNER, full_name=f"Partenaire {index}")
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(9):
        response = client.get(_url(world))
    assert response.content.decode().count('class="team-member"') == 2 * count


def test_a_trainer_of_the_programme_edits_the_team_and_a_stranger_trainer_gets_404(client):
    world = project_world()
    trainer, stranger = (UserFactory(role=User.Role.TRAINER) for _ in range(2))
    TrainingSessionFactory(formation=world.programme.formations.get()).trainers.add(trainer)
    client.force_login(trainer)
    response = client.post(
        _url(world, "fiche_team_add"), {"revision": 0, "kind": "elected", "full_name": "ABDOU M."}
    )
    assert response.status_code == 302
    assert TeamMember.objects.get().kind == Kind.ELECTED
    client.force_login(stranger)
    assert client.get(_url(world)).status_code == 404


def test_moving_a_member_records_the_new_order_in_a_revision():
    world = project_world(team_max=None)
    a, b = _agents(world, 2)
    before = _revision(world)
    member_move(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        member=b,
        direction="up",
        expected_revision=before,
    )
    revision = FicheRevision.objects.order_by("-number").first()
    assert revision.number == before + 1
    [change] = revision.changes
    assert change["field"] == "Équipe projet › Ordre de l'équipe"
    assert change["after"] == f"{b.full_name}, {a.full_name}"


def test_a_change_to_one_of_two_namesakes_records_its_own_revision():
    world = project_world(team_max=3)
    first = _add(world, kind=Kind.PARTNER, full_name="Awa Dupont", role="CAF")
    # Typing a member's name again is refused; namesakes still exist (two participants,
    # or rows written before that rule): each keeps its own row in the versions.
    second = _add(world, kind=Kind.PARTNER, full_name="Awa Dupond", role="Mairie")
    TeamMember.objects.filter(pk=second.pk).update(full_name=first.full_name)
    second.refresh_from_db()
    member_update(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        member=second,
        expected_revision=_revision(world),
        kind=Kind.PARTNER,
        full_name="Awa Dupont",
        role="Département",
    )
    last = FicheRevision.objects.order_by("-number").first()
    assert last.number == 3
    assert [(c["before"], c["after"]) for c in last.changes] == [
        ("Partenaire — Mairie", "Partenaire — Département")
    ]
    assert last.changes[0]["field"].endswith("Awa Dupont (2)")
    rows = dict(last.snapshot["sections"][4]["rows"])
    assert rows["Ordre de l'équipe"] == "Awa Dupont, Awa Dupont (2)"
