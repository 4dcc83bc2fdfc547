"""factory_boy factories shared by the whole suite. No surprising defaults: a factory
builds the smallest valid object; tests state what matters to them."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from formations.models import (
    ContactConsent,
    Formation,
    Funder,
    Participant,
    Programme,
    ProviderIdentity,
    Structure,
    User,
)
from sessions.models import Attendance, Enrolment, Slot, TrainingSession


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder
        django_get_or_create = ["name"]

    name = "FEDER"
    kind = Funder.Kind.FEDER
    publicity_sentence = "Ce projet est cofinancé par l'Union européenne avec le FEDER"


class ProviderIdentityFactory(factory.django.DjangoModelFactory):
    """The training organisation certificates are signed by (a valid SIRET)."""

    class Meta:
        model = ProviderIdentity

    legal_name = "Formations du Nord SCOP"
    address = "12 rue des Arts\n59000 Lille"
    siret = "73282932000074"
    activity_declaration_number = "31590000059"
    representative_name = "Marie Dupont"
    representative_role = "Gérante"
    signing_place = "Lille"


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Centre social n°{n}")
    kind = Structure.Kind.CENTRE_SOCIAL
    commune = "Lille"
    territory = "Lille Sud"


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    reference = factory.Sequence(lambda n: f"PRG-{n}")
    title = factory.Sequence(lambda n: f"Programme {n}")
    carrier = "Centre social et culturel de l'Arbrisseau"
    start_date = dt.date(2021, 1, 1)
    end_date = dt.date(2022, 12, 31)


class FormationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Formation

    programme = factory.SubFactory(ProgrammeFactory)
    contract_reference = factory.Sequence(lambda n: f"FEDER-2021-AO.{n}")
    title = factory.Sequence(lambda n: f"Formation {n}")
    amount = Decimal("25000.00")
    pricing_mode = Formation.PricingMode.GLOBAL


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    last_name = factory.Sequence(lambda n: f"Nom{n}")
    first_name = "Camille"
    email = factory.Sequence(lambda n: f"participant{n}@example.org")
    structure = factory.SubFactory(StructureFactory)


class ContactConsentFactory(factory.django.DjangoModelFactory):
    """A consent given (on paper, by nobody in particular), e-mail for evaluation
    follow-up unless told otherwise."""

    class Meta:
        model = ContactConsent

    participant = factory.SubFactory(ParticipantFactory)
    channel = "email"
    purpose = "evaluation_follow_up"
    action = ContactConsent.Action.GIVEN
    wording_version = "v1"
    method = ContactConsent.Method.PAPER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    role = User.Role.COORDINATOR
    password = factory.PostGenerationMethodCall("set_password", "motdepasse")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    formation = factory.SubFactory(FormationFactory)
    code = factory.Sequence(lambda n: f"S-{n:04d}")
    place = "Centre social l'Arbrisseau, Lille"


class SlotFactory(factory.django.DjangoModelFactory):
    """A morning half-day, 09:00–12:30 in the session's time zone."""

    class Meta:
        model = Slot

    class Params:
        day = dt.date(2021, 10, 4)

    session = factory.SubFactory(TrainingSessionFactory)
    starts_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.day, dt.time(9, 0)), o.session.tzinfo)
    )
    ends_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.day, dt.time(12, 30)), o.session.tzinfo)
    )


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(TrainingSessionFactory)
    participant = factory.SubFactory(ParticipantFactory)


class AttendanceFactory(factory.django.DjangoModelFactory):
    """A raw row, for selector tests; real code writes through sessions.services."""

    class Meta:
        model = Attendance

    enrolment = factory.SubFactory(EnrolmentFactory)
    slot = factory.SubFactory(SlotFactory, session=factory.SelfAttribute("..enrolment.session"))
    status = Attendance.Status.PRESENT
    method = Attendance.Method.TABLET
    signature = factory.LazyFunction(
        lambda: {"width": 300, "height": 150, "strokes": [[[10, 10, 0], [50, 40, 16]]]}
    )
    signed_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.update(partial_times(kwargs["slot"], kwargs.get("status"), kwargs))
        return super()._create(model_class, *args, **kwargs)


def partial_times(slot, status, given: dict) -> dict:
    """The arrival / departure a raw partial row needs (database constraint), derived from
    its minutes attended as the services would: late → arrived `missed` minutes after the
    start, left early → left `missed` minutes before the end."""
    minutes = given.get("minutes_attended")
    if status not in Attendance.PARTIAL_STATUSES or minutes is None:
        return {}
    missed = dt.timedelta(minutes=slot.planned_minutes - minutes)
    times = {}
    if status in Attendance.ARRIVAL_STATUSES and given.get("arrived_at") is None:
        times["arrived_at"] = slot.starts_at + missed
    if status in Attendance.DEPARTURE_STATUSES and given.get("left_at") is None:
        times["left_at"] = slot.ends_at - missed
    return times
