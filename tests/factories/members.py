"""Members of structures (seed 002, Alertes): groups, memberships, administrative steps,
campaigns, and a world of two centres sociaux with their accounts."""

import datetime as dt
from dataclasses import dataclass

import factory
from django.utils import timezone

from alertes.models import AdministrativeStep, AlertCampaign
from formations.consent import consent_give
from formations.models import ContactConsent, MemberGroup, Membership, Participant, Structure, User
from tests.factories import StructureFactory, UserFactory


class MemberGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberGroup

    structure = factory.SubFactory(StructureFactory)
    name = factory.Sequence(lambda n: f"Groupe {n}")


class MemberPersonFactory(factory.django.DjangoModelFactory):
    """A resident registered by `structure` (no membership: see `MembershipFactory`)."""

    class Meta:
        model = Participant

    kind = Participant.Kind.RESIDENT
    last_name = factory.Sequence(lambda n: f"Habitant{n}")
    first_name = "Anaïs"
    email = factory.Sequence(lambda n: f"habitant{n}@example.org")
    phone = factory.Sequence(lambda n: f"+336{n:08d}")
    date_of_birth = dt.date(1985, 6, 15)
    structure = factory.SubFactory(StructureFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A person followed by a structure. `groups=[...]` sets their groups."""

    class Meta:
        model = Membership
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    participant = factory.SubFactory(
        MemberPersonFactory, structure=factory.SelfAttribute("..structure")
    )

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.set(extracted)


def give_structure_consent(membership: Membership, *channels: str, purpose="structure_news"):
    """The member agreed (on paper) with their structure, on each of `channels`."""
    for channel in channels or ("sms", "email"):
        consent_give(
            participant=membership.participant,
            channel=channel,
            purpose=purpose,
            structure=membership.structure,
            method=ContactConsent.Method.PAPER,
            actor=None,
        )


class AdministrativeStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeStep

    membership = factory.SubFactory(MembershipFactory)
    title = "Actualisation France Travail"
    category = AdministrativeStep.Category.EMPLOYMENT
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=2))
    followed_by = factory.SubFactory(
        UserFactory,
        role=User.Role.STRUCTURE_STAFF,
        structure=factory.SelfAttribute("..membership.structure"),
    )
    remind_days_before = 3
    remind_by_sms = True


class AlertCampaignFactory(factory.django.DjangoModelFactory):
    """A campaign by SMS scheduled in an hour; `groups=[...]` sets its groups."""

    class Meta:
        model = AlertCampaign
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    title = factory.Sequence(lambda n: f"Campagne {n}")
    body = "Bonjour {prénom}, la sortie au parc a lieu samedi à 14 h."
    send_sms = True
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=1))

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.set(extracted)


@dataclass
class AlertesWorld:
    """Two centres sociaux, each with an administrator, a staff account and a group; a
    coordinator; the structures' Lille Sud names as in seed 002."""

    arbrisseau: Structure
    chemin_rouge: Structure
    admin: User  # l'Arbrisseau's administrator
    staff: User  # l'Arbrisseau's staff
    other_admin: User  # Chemin Rouge's administrator
    coordinator: User
    group: MemberGroup  # « Petite enfance » at l'Arbrisseau
    other_group: MemberGroup  # « Jeunesse » at Chemin Rouge


def alertes_world() -> AlertesWorld:
    arbrisseau = StructureFactory(name="Centre social l'Arbrisseau", postal_code="59000")
    chemin_rouge = StructureFactory(
        name="Centre social du Chemin Rouge", postal_code="59155", commune="Faches-Thumesnil"
    )
    return AlertesWorld(
        arbrisseau=arbrisseau,
        chemin_rouge=chemin_rouge,
        admin=UserFactory(role=User.Role.STRUCTURE_ADMIN, structure=arbrisseau),
        staff=UserFactory(role=User.Role.STRUCTURE_STAFF, structure=arbrisseau),
        other_admin=UserFactory(role=User.Role.STRUCTURE_ADMIN, structure=chemin_rouge),
        coordinator=UserFactory(role=User.Role.COORDINATOR),
        group=MemberGroupFactory(structure=arbrisseau, name="Petite enfance"),
        other_group=MemberGroupFactory(structure=chemin_rouge, name="Jeunesse"),
    )
