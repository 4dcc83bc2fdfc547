"""A programme whose partner CCAS has a filled fiche projet, a sealed labo, follow-up
entries, intersession tasks and issued certificates: what the fiches print."""

import datetime as dt
from dataclasses import dataclass

from formations.models import Funder, Participant, Structure, User
from livrables.models import IssuedDocument
from livrables.services import issue_certificate, issue_structure_certificate
from projects.models import (
    ActionStatus,
    FollowUpEntry,
    IntersessionTask,
    Project,
    ProjectStage,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
)
from projects.services import fiche_edit
from sessions.models import TrainingSession
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    ProviderIdentityFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import make_slot
from tests.factories.projects import ProjectWorld, project_world
from tests.factories.sessions import close, sign


@dataclass
class FicheWorld:
    world: ProjectWorld
    trainer: User
    session: TrainingSession
    awa: Participant
    ravi: Participant


def fill_fiche(world: ProjectWorld, structure: Structure, *, referent: str = "Awa Madi") -> None:
    """A complete fiche: data sheet, themes, both projects, a team of two agents and a
    partner, lessons, and a road map of two axes created out of priority order."""
    with fiche_edit(
        actor=None, programme=world.programme, structure=structure, part="Tout"
    ) as fiche:
        fiche.territory = "Grande-Terre"
        fiche.staff_size = 12
        fiche.public_served = "Familles & personnes âgées isolées"
        fiche.partners = "UDCCAS <Mayotte>"
        fiche.priority_theme = world.themes[1]  # Inclusion numérique
        fiche.secondary_theme = world.themes[2]  # Lutte contre l'isolement
        fiche.lessons_learned = "Aller vers les familles.\nCommencer petit."
        fiche.save()
        Project.objects.create(
            fiche=fiche,
            kind=Project.Kind.EXPERIMENTED,
            title="Permanence numérique mobile",
            problem="Démarches en ligne impossibles sans accompagnement",
            stage=ProjectStage.EXPERIMENTED,
        )
        Project.objects.create(
            fiche=fiche,
            kind=Project.Kind.PROPOSED,
            title="Visites de convivialité",
            stage=ProjectStage.IDEA,
        )
        TeamMember.objects.create(
            fiche=fiche,
            kind=TeamMember.Kind.AGENT,
            full_name=referent,
            role="Directrice du CCAS",
            is_referent=True,
            position=1,
        )
        TeamMember.objects.create(
            fiche=fiche, kind=TeamMember.Kind.AGENT, full_name="Ravi Ndzaki", position=2
        )
        TeamMember.objects.create(
            fiche=fiche,
            kind=TeamMember.Kind.PARTNER,
            full_name="Association Nayma",
            position=3,
        )
        second = RoadmapAxis.objects.create(fiche=fiche, position=2, title="Former les agents")
        first = RoadmapAxis.objects.create(
            fiche=fiche, position=1, title="Ouvrir la permanence", description="Deux communes"
        )
        RoadmapAction.objects.create(
            axis=first,
            position=2,
            title="Acheter deux tablettes",
            owner="Ravi Ndzaki",
            due_on=dt.date(2022, 3, 15),
            status=ActionStatus.DONE,
        )
        RoadmapAction.objects.create(
            axis=first,
            position=1,
            title="Trouver un local",
            owner="Awa Madi",
            due_on=dt.date(2022, 2, 1),
            status=ActionStatus.IN_PROGRESS,
        )
        RoadmapAction.objects.create(axis=second, position=1, title="Atelier France Services")


def fiche_world() -> FicheWorld:
    ProviderIdentityFactory()
    world = project_world()
    world.programme.funders.add(
        FunderFactory(name="FSE+", kind=Funder.Kind.FSE_PLUS)
        if hasattr(Funder.Kind, "FSE_PLUS")
        else FunderFactory(name="FEDER", kind=Funder.Kind.FEDER)
    )
    fill_fiche(world, world.ccas)
    trainer = UserFactory(role=User.Role.TRAINER)
    formation = world.programme.formations.get()
    session = TrainingSessionFactory(formation=formation, code="LABO-1")
    session.trainers.add(trainer)
    morning = make_slot(
        session, dt.date(2021, 6, 7), dt.time(9), dt.time(12, 30), countersigned=False
    )
    afternoon = make_slot(
        session, dt.date(2021, 6, 7), dt.time(13, 30), dt.time(17), countersigned=False
    )
    awa = ParticipantFactory(structure=world.ccas, first_name="Awa", last_name="Madi")
    ravi = ParticipantFactory(structure=world.ccas, first_name="Ravi", last_name="Ndzaki")
    awa_enrolment = EnrolmentFactory(session=session, participant=awa)
    ravi_enrolment = EnrolmentFactory(session=session, participant=ravi)
    EnrolmentFactory(session=session, participant=ParticipantFactory(structure=world.other))
    sign(awa_enrolment, morning)
    sign(awa_enrolment, afternoon)
    sign(ravi_enrolment, morning)
    close(morning, trainer)
    close(afternoon, trainer)
    FollowUpEntry.objects.create(
        programme=world.programme,
        structure=world.ccas,
        occurred_on=dt.date(2021, 7, 1),
        kind=FollowUpEntry.Kind.CONTACT,
        channel=FollowUpEntry.Channel.PHONE,
        summary="Point d'étape",
    )
    FollowUpEntry.objects.create(
        programme=world.programme,
        structure=world.ccas,
        occurred_on=dt.date(2021, 7, 20),
        kind=FollowUpEntry.Kind.QUESTION,
        channel=FollowUpEntry.Channel.EMAIL,
        summary="Quel budget pour les tablettes ?",
    )
    IntersessionTask.objects.create(
        programme=world.programme,
        structure=world.ccas,
        kind=IntersessionTask.Kind.DOCUMENT,
        title="Diagnostic territorial",
        due_on=dt.date(2021, 9, 1),
        done_at=dt.datetime(2021, 8, 30, 10, tzinfo=dt.UTC),
    )
    IntersessionTask.objects.create(
        programme=world.programme,
        structure=world.ccas,
        kind=IntersessionTask.Kind.OTHER,
        title="Carte des partenaires",
        due_on=dt.date(2021, 10, 1),
    )
    coordinator = world.coordinator
    issue_certificate(
        kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE,
        participant=awa,
        formation=formation,
        actor=coordinator,
    )
    issue_structure_certificate(structure=world.ccas, formation=formation, actor=coordinator)
    return FicheWorld(world=world, trainer=trainer, session=session, awa=awa, ravi=ravi)


def many_structures(world: ProjectWorld, count: int) -> list[Structure]:
    """`count` more partner CCAS, each with a complete fiche."""
    added = []
    for index in range(count):
        structure = StructureFactory(
            name=f"CCAS de Commune {index + 1:02d}", kind=Structure.Kind.CCAS
        )
        world.programme.structures.add(structure)
        fill_fiche(world, structure, referent=f"Référente {index + 1:02d}")
        added.append(structure)
    return added
