"""A programme with partner structures, themes and a fiche to work on (issue 11)."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from formations.models import Programme, Structure, User
from projects.models import Theme
from tests.factories import FormationFactory, ProgrammeFactory, StructureFactory, UserFactory


def make_themes(programme: Programme, *labels: str) -> list[Theme]:
    labels = labels or ("Accès aux droits", "Inclusion numérique", "Lutte contre l'isolement")
    return [
        Theme.objects.create(programme=programme, label=label, position=index)
        for index, label in enumerate(labels, start=1)
    ]


@dataclass
class ProjectWorld:
    programme: Programme
    ccas: Structure
    other: Structure
    themes: list[Theme]
    coordinator: User
    referent: User
    other_referent: User


def project_world(*, team_max: int | None = 3, team_min: int | None = 1) -> ProjectWorld:
    """A programme whose formation says 1 to 3 people per structure, two partner CCAS with
    a referent each, three themes. The programme runs from a year ago to a year ahead."""
    today = timezone.localdate()
    programme = ProgrammeFactory(
        title="DESIGN PALAS",
        start_date=today - dt.timedelta(days=365),
        end_date=today + dt.timedelta(days=365),
    )
    FormationFactory(
        programme=programme,
        attendees_per_structure_min=team_min,
        attendees_per_structure_max=team_max,
    )
    ccas = StructureFactory(name="CCAS de Mamoudzou", kind=Structure.Kind.CCAS, territory="Mayotte")
    other = StructureFactory(name="CCAS de Dzaoudzi", kind=Structure.Kind.CCAS, territory="Mayotte")
    programme.structures.add(ccas, other)
    return ProjectWorld(
        programme=programme,
        ccas=ccas,
        other=other,
        themes=make_themes(programme),
        coordinator=UserFactory(role=User.Role.COORDINATOR),
        referent=UserFactory(
            role=User.Role.STRUCTURE_REFERENT, structure=ccas, first_name="Zaïnaba", last_name="Ali"
        ),
        other_referent=UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=other),
    )
