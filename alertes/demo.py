"""Demo data of Alertes (issue 12, seed 002), called by `load_demo` after the other apps.

The two Lille Sud centres of the tender, « Centre social et culturel de l'Arbrisseau » and
« Centre social intercommunal du Chemin Rouge » (the demo's structures when the formations
demo loaded them, else created), partners of a FEDER-funded programme (the demo's
« Centres sociaux connectés » when it exists, else `FEDER-2018-PS.4.2`) so that the
publicity shows. For each centre:

* an administrator and a staff account (`DEMO_ACCOUNTS`, password `demo-suivi`);
* its groups, and some fifty fictional members (residents, volunteers, partners; teenagers
  to seniors), each in one to three groups, registered through
  `formations.members.member_register` (the real rules) and backdated for the history;
* consents to the structure's news by SMS and e-mail for most, never asked for some,
  withdrawn for a few: one by a STOP reply to a campaign's SMS (through the provider hook,
  `sms_events_record`), one from the member's page (`consent_withdraw(structure=)`), and
  reminder requests (`admin_reminders`) for the members whose steps are reminded;
* administrative dates (France Travail each month, CAF, titre de séjour, accueil de
  loisirs, yearly ones), several due this week counted from the day of the load, followed
  by the staff accounts, with a couple of past reminders in the outbox;
* campaigns: sent ones over the last months with their recipients and outbox messages
  (delivered, sent, failed, and those without consent kept apart), one cancelled and,
  at l'Arbrisseau, one scheduled in the coming days.

A person followed by both centres is two records (the coordinators' duplicates page).

The sent campaigns' history is written here, message by message, because the demo needs
it dated in the past; once `alertes.services_campaigns.campaign_send` exists, the lead may
switch `_write_sent_campaign` to it (then backdate its rows as below).

Idempotent: groups and accounts are kept up to date, members are found again by
`member_register` (nothing written twice), and the steps, campaigns and their history are
written once per centre (a second `load_demo` adds nothing).
"""

import calendar
import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from alertes.constants import CAMPAIGN_PURPOSE, STEP_REMINDER_PURPOSE
from alertes.models import AdministrativeStep, AlertCampaign, CampaignRecipient, StepReminder
from formations.consent import consent_give, consent_withdraw, current_wording, may_contact_many
from formations.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, DemoAccount
from formations.demo import _slug as slug_text
from formations.members import MemberData, member_register
from formations.models import (
    Channel,
    ContactConsent,
    Funder,
    MemberGroup,
    Membership,
    OutboxMessage,
    Participant,
    Programme,
    Purpose,
    SmsEvent,
    Structure,
    User,
)
from formations.outbox import outbox_enqueue
from formations.sms.base import ProviderEvent
from formations.sms.receipts import sms_events_record

ARBRISSEAU = "Centre social et culturel de l'Arbrisseau"
CHEMIN_ROUGE = "Centre social intercommunal du Chemin Rouge"
STRUCTURES = {
    ARBRISSEAU: {
        "kind": Structure.Kind.CENTRE_SOCIAL,
        "address": "194 rue Vaisseau le Vengeur",
        "postal_code": "59000",
        "commune": "Lille",
        "territory": "Lille Sud",
    },
    CHEMIN_ROUGE: {
        "kind": Structure.Kind.CENTRE_SOCIAL,
        "address": "80 chemin des Margueritois",
        "postal_code": "59155",
        "commune": "Faches-Thumesnil",
        "territory": "Lille Sud",
    },
}
PROGRAMME_REFERENCE = "FEDER-2018-PS.4.2"
FEDER_SENTENCE = "Ce projet est cofinancé par l'Union Européenne avec le FEDER"

DEMO_ACCOUNTS = [
    DemoAccount(
        "arbrisseau",
        User.Role.STRUCTURE_ADMIN,
        "administratrice de l'Arbrisseau (Alertes) : ses adhérent·es, campagnes et comptes",
    ),
    DemoAccount(
        "animatrice",
        User.Role.STRUCTURE_STAFF,
        "animatrice, référente familles de l'Arbrisseau : suit les démarches des adhérent·es",
    ),
    DemoAccount(
        "chemin-rouge",
        User.Role.STRUCTURE_ADMIN,
        "administrateur du Chemin Rouge (Alertes) : ne voit que sa structure",
    ),
    DemoAccount(
        "travailleur",
        User.Role.STRUCTURE_STAFF,
        "travailleur social du Chemin Rouge : suit les démarches des adhérent·es",
    ),
]
ACCOUNT_NAMES = {
    "arbrisseau": ("Aya", "Elshaarawy", ARBRISSEAU),
    "animatrice": ("Nadège", "Vandewalle", ARBRISSEAU),
    "chemin-rouge": ("Rémi", "Doresse", CHEMIN_ROUGE),
    "travailleur": ("Karim", "Haddou", CHEMIN_ROUGE),
}

GROUPS = {
    ARBRISSEAU: (
        ("Petite enfance", "Parents d'enfants de 0 à 6 ans : halte-garderie, éveil"),
        ("Jeunesse", "Les 12-25 ans : accompagnement scolaire, sorties, projets"),
        ("RSA", "Allocataires accompagné·es dans leurs démarches"),
        ("Culture", "Sorties culturelles, théâtre, chorale"),
        ("Parentalité", "Café des parents, ateliers parents-enfants"),
        ("Seniors", "Repas partagés, gym douce, lutte contre l'isolement"),
    ),
    CHEMIN_ROUGE: (
        ("Accueil de loisirs", "Familles des enfants inscrits aux mercredis et vacances"),
        ("Jeunesse", "Espace jeunes et chantiers éducatifs"),
        ("RSA", "Allocataires accompagné·es dans leurs démarches"),
        ("Numérique", "Ateliers numériques et démarches en ligne"),
        ("Parentalité", "Rencontres de parents"),
        ("Seniors", "Club des aîné·es"),
    ),
}

# Fictional people: French names with accents, and names no Latin-1 font has (ő, ș, ł, ễ…).
LAST_NAMES = (
    "Dupont",
    "Lefebvre",
    "Vanhoutte",
    "Delcourt",
    "Benali",
    "Diallo",
    "Traoré",
    "N'Diaye",
    "Lemaire",
    "Caron",
    "Boulanger",
    "Hadjadj",
    "Nguyễn",
    "Wiśniewski",
    "Popescu",
    "Yılmaz",
    "Ferreira",
    "Cœurdevey",
    "Dubois",
    "Mokrani",
    "Kowalczyk",
    "Petrović",
    "Haddad",
    "Desmet",
    "Van Damme",
    "Mbappé",
    "Lê",
    "Saïdi",
    "Bouchareb",
    "Delattre",
    "Fontaine",
    "Ouédraogo",
    "Szabó",
    "Çelik",
    "Ramírez",
    "Janssens",
    "Laurent",
    "Mercier",
    "Koné",
)
FIRST_NAMES = {
    "f": (
        "Anaïs",
        "Zoë",
        "Hélène",
        "Inès",
        "Aïcha",
        "Fatoumata",
        "Samira",
        "Chloé",
        "Thérèse",
        "Françoise",
        "Maëlle",
        "Ayşe",
        "Thị Hoa",
        "Agnieszka",
        "Ioana",
        "Nadia",
        "Léa",
        "Océane",
        "Yasmine",
        "Émilie",
        "Khadija",
        "Noémie",
        "Dragana",
        "Marie-José",
    ),
    "m": (
        "Kévin",
        "Benoît",
        "Jérôme",
        "Maël",
        "Noé",
        "Youssef",
        "Mamadou",
        "Ibrahima",
        "Gaëtan",
        "Łukasz",
        "Dragoș",
        "Văn Minh",
        "Mehmet",
        "Loïc",
        "Hervé",
        "Rachid",
        "Théo",
        "Anthony",
        "José",
        "Moussa",
        "Zoltán",
        "Jean-François",
    ),
}


@dataclass(frozen=True)
class AlertesDemo:
    structures: int
    members: int
    steps: int
    campaigns: int
    messages: int


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _at(structure: Structure, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`day` at `hour` in the structure's time zone (an aware datetime)."""
    zone = zoneinfo.ZoneInfo(structure.time_zone or "Europe/Paris")
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


@transaction.atomic
def load(*, today: dt.date | None = None, password_hash: str = "") -> AlertesDemo:
    """Creates (once) the Alertes demo of the two Lille Sud centres; see the module.
    `password_hash`: an encoded `DEMO_PASSWORD` (a formations demo account's, which
    `load_demo` has just set) to spare a second slow hashing; made here when not given."""
    today = today or timezone.localdate()
    structures = _load_structures()
    _load_programme(structures)
    accounts = _load_accounts(structures, password_hash)
    steps = campaigns = messages = 0
    for seed, (name, structure) in enumerate(structures.items()):
        groups = _load_groups(structure, GROUPS[name])
        admin, staff = _structure_accounts(accounts, name)
        if AlertCampaign.objects.filter(structure=structure).exists():
            # Written by an earlier load: the centre keeps what it has (and what a visitor did).
            continue
        rng = random.Random(2019 + seed)
        people = _load_members(structure, groups, staff, rng, today, seed=seed)
        steps += _load_steps(structure, people, groups, staff, rng, today)
        written, sent = _load_campaigns(structure, groups, admin, staff, people, today)
        campaigns += written
        messages += sent
    _load_shared_person(structures)
    return AlertesDemo(
        structures=len(structures),
        members=Membership.objects.filter(structure__in=structures.values()).count(),
        steps=steps,
        campaigns=campaigns,
        messages=messages,
    )


# --------------------------------------------------------------------------- centres


def _load_structures() -> dict[str, Structure]:
    structures = {}
    for name, defaults in STRUCTURES.items():
        structures[name], _ = Structure.objects.get_or_create(name=name, defaults=defaults)
    return structures


def _load_programme(structures: dict[str, Structure]) -> None:
    """The centres take part in a FEDER-funded programme (its emblem and sentence on the
    Alertes pages): the demo's « Centres sociaux connectés » when both are its partners,
    else seed 002's operation."""
    funded = Programme.objects.filter(funders__kind=Funder.Kind.FEDER)
    if all(funded.filter(structures=s).exists() for s in structures.values()):
        return
    feder, _ = Funder.objects.get_or_create(
        name="FEDER", defaults={"kind": Funder.Kind.FEDER, "publicity_sentence": FEDER_SENTENCE}
    )
    programme, _ = Programme.objects.get_or_create(
        reference=PROGRAMME_REFERENCE,
        defaults={
            "title": "Centres sociaux connectés",
            "carrier": ARBRISSEAU,
            "start_date": dt.date(2018, 1, 1),
            "end_date": dt.date(2020, 12, 31),
            "description": (
                "Opération FEDER « Centres sociaux connectés » (Lille Sud), programme "
                "opérationnel 2014-2020 de la Région Hauts-de-France, axe prioritaire 2 : "
                "« Alertes SMS » des centres sociaux de l'Arbrisseau et du Chemin Rouge."
            ),
            "publicity_sentence": FEDER_SENTENCE,
        },
    )
    programme.funders.add(feder)
    programme.structures.add(*structures.values())


def _load_accounts(structures: dict[str, Structure], password_hash: str) -> dict[str, User]:
    accounts = {}
    password = password_hash
    for account in DEMO_ACCOUNTS:
        first_name, last_name, structure_name = ACCOUNT_NAMES[account.username]
        user, created = User.objects.get_or_create(username=account.username)
        user.first_name, user.last_name = first_name, last_name
        user.email = f"{account.username}@{DEMO_EMAIL_DOMAIN}"
        user.role = account.role
        user.structure = structures[structure_name]
        user.is_staff = user.is_superuser = False
        user.is_active = True
        if created:
            # One hash for the four accounts: hashing is slow on purpose (a second).
            password = password or make_password(DEMO_PASSWORD)
            user.password = password
        user.save()
        accounts[account.username] = user
    return accounts


def _structure_accounts(accounts: dict[str, User], name: str) -> tuple[User, User]:
    if name == ARBRISSEAU:
        return accounts["arbrisseau"], accounts["animatrice"]
    return accounts["chemin-rouge"], accounts["travailleur"]


def _load_groups(structure: Structure, specs) -> dict[str, MemberGroup]:
    groups = {}
    for name, description in specs:
        groups[name], _ = MemberGroup.objects.get_or_create(
            structure=structure, name=name, defaults={"description": description}
        )
    return groups


# --------------------------------------------------------------------------- members


@dataclass
class DemoMember:
    membership: Membership
    person: Participant
    groups: list[MemberGroup]
    registered_at: dt.datetime
    # (channel, purpose) pairs given on the paper form at registration.
    consents: list[tuple[str, str]]


STREETS = (
    "rue de Marquillies",
    "rue du Faubourg des Postes",
    "rue Arthur Rimbaud",
    "rue de la Plaine",
    "rue Carnot",
    "allée des Tilleuls",
)


def _member_data(structure, groups, rng, today, index, phone_prefix) -> MemberData:
    gender = rng.choice("fm")
    first_name = rng.choice(FIRST_NAMES[gender])
    last_name = rng.choice(LAST_NAMES)
    # Ages: a few teenagers, mostly adults, a fair share of seniors.
    band = rng.random()
    age = rng.randint(14, 17) if band < 0.1 else (rng.randint(66, 88) if band > 0.8 else None)
    age = age or rng.randint(19, 64)
    birth = dt.date(today.year - age, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
    if age < 18:
        names = ["Jeunesse"]
    elif age > 65:
        names = ["Seniors"]
    else:
        names = []
    pool = [name for name in groups if name not in ("Jeunesse", "Seniors")]
    names += rng.sample(pool, rng.choice((1, 1, 2)))
    if len(names) > 3:
        names = names[:3]
    kind = Participant.Kind.RESIDENT
    if index % 9 == 4:
        kind = Participant.Kind.VOLUNTEER
    elif index % 17 == 8:
        kind = Participant.Kind.PARTNER
    slug = f"{slug_text(first_name)}.{slug_text(last_name)}.{structure.pk}-{index + 1}"
    has_email = rng.random() < 0.8 or kind != Participant.Kind.RESIDENT
    has_phone = rng.random() < 0.92
    return MemberData(
        last_name=last_name,
        first_name=first_name,
        kind=kind,
        email=f"{slug}@{DEMO_EMAIL_DOMAIN}" if has_email else "",
        # Mobiles in E.164, distinct per centre and person.
        phone=f"+336{phone_prefix}{index:07d}" if has_phone else "",
        date_of_birth=birth,
        address=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
        postal_code=structure.postal_code,
        commune=structure.commune,
        groups=[groups[name] for name in dict.fromkeys(names)],
    )


def _load_members(structure, groups, staff, rng, today, *, seed) -> list[DemoMember]:
    count = 48 if seed == 0 else 44
    people, consent_rows = [], []
    for index in range(count):
        data = _member_data(structure, groups, rng, today, index, phone_prefix=7 + seed)
        registration = member_register(structure=structure, actor=None, data=data)
        # Registered on paper over the last year (a few only last week).
        days_ago = rng.randint(120, 420) if index % 12 else rng.randint(2, 6)
        registered_at = _at(structure, today - dt.timedelta(days=days_ago), 10) + dt.timedelta(
            minutes=rng.randint(0, 400)
        )
        Membership.objects.filter(pk=registration.membership.pk).update(
            registered_at=registered_at, registered_by=staff
        )
        consents = _consents_for(index)
        consent_rows += [
            _consent_row(
                registration.membership.participant,
                structure,
                channel,
                purpose,
                method=ContactConsent.Method.PAPER,
                collected_by=staff,
                at=registered_at,
            )
            for channel, purpose in consents
        ]
        people.append(
            DemoMember(
                membership=registration.membership,
                person=registration.membership.participant,
                groups=list(data.groups),
                registered_at=registered_at,
                consents=consents,
            )
        )
    ContactConsent.objects.bulk_create(consent_rows)
    return people


def _consent_row(person, structure, channel, purpose, **how) -> ContactConsent:
    """What the paper form signed at registration recorded, dated that day (written in
    bulk, as the formations demo does: the withdrawals go through the services)."""
    return ContactConsent(
        participant=person,
        structure=structure,
        channel=channel,
        purpose=purpose,
        action=ContactConsent.Action.GIVEN,
        wording_version=current_wording(channel, purpose).version,
        **how,
    )


def _consents_for(index: int) -> list[tuple[str, str]]:
    """Most agree to both channels; some only one; one in ten was never asked."""
    news_sms, news_email = (
        (Channel.SMS, Purpose.STRUCTURE_NEWS),
        (Channel.EMAIL, Purpose.STRUCTURE_NEWS),
    )
    if index % 10 == 7:
        return []
    if index % 7 == 3:
        return [news_email]
    if index % 11 == 5:
        return [news_sms]
    return [news_sms, news_email]


def _load_shared_person(structures: dict[str, Structure]) -> None:
    """Mme Dupont, whose child goes to both centres' activities: registered by each centre
    with the same name, date of birth and mobile, two records the coordinators may merge."""
    data = {
        "last_name": "Dupont",
        "first_name": "Madeleine",
        "email": f"madeleine.dupont@{DEMO_EMAIL_DOMAIN}",
        "phone": "+33678000001",
        "date_of_birth": dt.date(1987, 4, 12),
        "postal_code": "59000",
        "commune": "Lille",
        "address": "12 rue de Marquillies",
    }
    for name, structure in structures.items():
        group_name = "Petite enfance" if name == ARBRISSEAU else "Accueil de loisirs"
        group = MemberGroup.objects.get(structure=structure, name=group_name)
        registration = member_register(
            structure=structure,
            actor=None,
            data=MemberData(
                **data,
                groups=[group],
                note="Son fils Lucas (7 ans) est inscrit à l'accueil de loisirs.",
            ),
        )
        if registration.created:
            consent_give(
                participant=registration.membership.participant,
                channel=Channel.SMS,
                purpose=Purpose.STRUCTURE_NEWS,
                structure=structure,
                method=ContactConsent.Method.PAPER,
                actor=None,
            )


# --------------------------------------------------------------------------- steps


def _load_steps(structure, people, groups, staff, rng, today) -> int:
    """Administrative dates of about a third of the members, several due this week."""
    steps = []
    rsa = groups.get("RSA")
    childhood = groups.get("Petite enfance") or groups.get("Accueil de loisirs")
    adults = [m for m in people if m.person.date_of_birth.year <= today.year - 18]
    # The week page shows Monday to Sunday: the CAF appointments fill this very week
    # (whatever day the demo is loaded), the others come in the next seven days.
    monday = today - dt.timedelta(days=today.weekday())
    for position, member in enumerate(adults[:20]):
        offset = position % 7  # 0..6: from today on
        if rsa in member.groups or position % 5 == 0:
            steps.append(
                _step(
                    member,
                    staff,
                    "Actualisation France Travail",
                    AdministrativeStep.Category.EMPLOYMENT,
                    today + dt.timedelta(days=offset),
                    recurrence=AdministrativeStep.Recurrence.MONTHLY,
                    remind=2,
                    note="Entre le 28 et le 15 du mois suivant, sur francetravail.fr.",
                )
            )
        elif childhood in member.groups:
            steps.append(
                _step(
                    member,
                    staff,
                    "Inscription accueil de loisirs",
                    AdministrativeStep.Category.CHILD,
                    today + dt.timedelta(days=offset + 2),
                    remind=5,
                    note="Vacances d'hiver : apporter l'attestation de quotient familial.",
                )
            )
        elif position % 3 == 0:
            steps.append(
                _step(
                    member,
                    staff,
                    "Renouvellement du titre de séjour",
                    AdministrativeStep.Category.RESIDENCE,
                    today + dt.timedelta(days=20 + offset * 9),
                    remind=30,
                    note="Demande en ligne (ANEF) deux mois avant l'échéance.",
                )
            )
        else:
            steps.append(
                _step(
                    member,
                    staff,
                    "Rendez-vous CAF",
                    AdministrativeStep.Category.BENEFITS,
                    monday + dt.timedelta(days=offset),
                    remind=1,
                    note="Agence CAF de Lille, rue de Valmy : dossier d'aide au logement.",
                )
            )
        if position % 4 == 1:
            steps.append(
                _step(
                    member,
                    staff,
                    "Attestation de quotient familial",
                    AdministrativeStep.Category.BENEFITS,
                    _add_months(today, 2 + position % 5),
                    recurrence=AdministrativeStep.Recurrence.YEARLY,
                    remind=15,
                )
            )
        if position % 6 == 2:
            steps.append(
                _step(
                    member,
                    staff,
                    "Déclaration de revenus",
                    AdministrativeStep.Category.TAX,
                    dt.date(today.year + (today.month > 5), 5, 20),
                    recurrence=AdministrativeStep.Recurrence.YEARLY,
                    remind=10,
                )
            )
    # Two done last month: kept, reminding nothing more.
    for member in adults[20:22]:
        step = _step(
            member,
            staff,
            "Rendez-vous CPAM",
            AdministrativeStep.Category.HEALTH,
            today - dt.timedelta(days=24),
            remind=2,
        )
        step.ended_at = _at(structure, today - dt.timedelta(days=23), 17)
        steps.append(step)
    for step in steps:
        step.full_clean()
    AdministrativeStep.objects.bulk_create(steps)
    _request_reminders(structure, steps, staff, people)
    _load_past_reminders(structure, steps, today)
    return len(steps)


def _step(member, staff, title, category, due_on, *, recurrence="once", remind=3, note=""):
    person = member.person
    return AdministrativeStep(
        membership=member.membership,
        title=title,
        category=category,
        due_on=due_on,
        recurrence=recurrence,
        followed_by=staff,
        created_by=staff,
        remind_days_before=remind,
        # The member asked for reminders on the channels they can receive.
        remind_by_sms=bool(person.phone),
        remind_by_email=bool(person.email) and not person.phone,
        note=note,
    )


def _request_reminders(structure, steps, staff, people) -> None:
    """The reminder requests (`admin_reminders`) behind the steps' channels, noted by the
    staff member who entered the steps, the day the member was registered."""
    registered = {m.membership.pk: m.registered_at for m in people}
    wanted = {}
    for step in steps:
        person = step.membership.participant
        channels = wanted.setdefault(person.pk, (person, set(), registered[step.membership_id]))
        if step.remind_by_sms:
            channels[1].add(Channel.SMS)
        if step.remind_by_email:
            channels[1].add(Channel.EMAIL)
    ContactConsent.objects.bulk_create(
        _consent_row(
            person,
            structure,
            channel,
            Purpose.ADMIN_REMINDERS,
            method=ContactConsent.Method.ORAL,
            collected_by=staff,
            at=registered_at,
        )
        for person, channels, registered_at in wanted.values()
        for channel in sorted(channels)
    )


def _load_past_reminders(structure, steps, today) -> None:
    """Last month's reminders of a few monthly steps, delivered, as `run_periodic` writes
    them (`StepReminder` and its outbox row), dated when they went."""
    monthly = [s for s in steps if s.recurrence == AdministrativeStep.Recurrence.MONTHLY]
    for step in monthly[:3]:
        occurrence, first = _add_months(step.due_on, -1), _add_months(step.due_on, -2)
        if step.due_on.day != occurrence.day or step.due_on.day != first.day:
            continue
        # The step started before: its first date is the earlier month's.
        AdministrativeStep.objects.filter(pk=step.pk).update(due_on=first)
        step.refresh_from_db()
        person = step.membership.participant
        channel = Channel.SMS if step.remind_by_sms else Channel.EMAIL
        sent_at = _at(structure, occurrence - dt.timedelta(days=step.remind_days_before), 9)
        message = outbox_enqueue(
            purpose=STEP_REMINDER_PURPOSE,
            channel=channel,
            recipient=person.phone if channel == Channel.SMS else person.email,
            recipient_name=str(person),
            subject="" if channel == Channel.SMS else f"Rappel : {step.title}",
            body=(
                f"Bonjour {person.first_name}, rappel : {step.title} le "
                f"{occurrence:%d/%m}. {structure.name}"
            ),
            participant=person,
            structure=structure,
            about=step,
            deliver=False,
        )
        if message.status == OutboxMessage.Status.PENDING:
            _mark(message, sent_at, delivered=channel == Channel.SMS)
        StepReminder.objects.create(
            step=step, occurrence=occurrence, channel=channel, message=message
        )


# --------------------------------------------------------------------------- campaigns


CAMPAIGNS = {
    ARBRISSEAU: (
        {
            "days_ago": 68,
            "title": "Reprise des ateliers culture et parentalité",
            "category": AlertCampaign.Category.WORKSHOP,
            "groups": ("Culture", "Parentalité"),
            "sms": True,
            "email": True,
            "subject": "Les ateliers reprennent à l'Arbrisseau",
            "body": (
                "Bonjour {prénom}, les ateliers reprennent : chorale le mardi à 18 h, café "
                "des parents le jeudi à 9 h. Inscriptions à l'accueil. L'Arbrisseau"
            ),
        },
        {
            "days_ago": 26,
            "title": "Permanence d'aide aux dossiers CAF",
            "category": AlertCampaign.Category.RIGHTS,
            "groups": ("RSA",),
            "sms": True,
            "email": False,
            "body": (
                "Bonjour {prénom}, permanence CAF mercredi de 14 h à 17 h au centre : "
                "apportez votre numéro d'allocataire. L'Arbrisseau"
            ),
        },
    ),
    CHEMIN_ROUGE: (
        {
            "days_ago": 54,
            "title": "Inscriptions à l'accueil de loisirs",
            "category": AlertCampaign.Category.CHILDHOOD,
            "groups": ("Accueil de loisirs", "Parentalité"),
            "sms": True,
            "email": True,
            "subject": "Accueil de loisirs : les inscriptions sont ouvertes",
            "body": (
                "Bonjour {prénom}, les inscriptions à l'accueil de loisirs des vacances sont "
                "ouvertes jusqu'à vendredi. Centre social du Chemin Rouge"
            ),
        },
        {
            "days_ago": 9,
            "title": "Repas partagé du club des aîné·es",
            "category": AlertCampaign.Category.EVENT,
            "groups": ("Seniors",),
            "sms": True,
            "email": False,
            "body": (
                "Bonjour {prénom}, repas partagé jeudi à midi au centre, 3 € : "
                "réservez à l'accueil. Centre social du Chemin Rouge"
            ),
        },
    ),
}


def _load_campaigns(structure, groups, admin, staff, people, today) -> tuple[int, int]:
    """The sent campaigns in order, each followed by what happened after it (a STOP reply,
    a withdrawal noted on a member's page), then the cancelled and scheduled ones."""
    count = messages = 0
    specs = CAMPAIGNS[structure.name]
    for position, spec in enumerate(specs):
        campaign = _campaign(structure, groups, admin if position else staff, spec, today)
        messages += _write_sent_campaign(campaign, people)
        count += 1
        if position == 0:
            _withdraw_after(campaign, people, admin)
    cancelled = _campaign(
        structure,
        groups,
        admin,
        {
            "days_ago": -2,
            "title": "Atelier cuisine du monde",
            "category": AlertCampaign.Category.WORKSHOP,
            "groups": ("Parentalité",),
            "sms": True,
            "email": False,
            "body": "Bonjour {prénom}, atelier cuisine du monde samedi à 10 h au centre.",
        },
        today,
        status=AlertCampaign.Status.CANCELLED,
    )
    AlertCampaign.objects.filter(pk=cancelled.pk).update(
        cancelled_at=_at(structure, today - dt.timedelta(days=3), 11), cancelled_by=admin
    )
    count += 1
    if structure.name == ARBRISSEAU:
        _campaign(
            structure,
            groups,
            staff,
            {
                "days_ago": -3,
                "title": "Fête de fin d'année du centre",
                "category": AlertCampaign.Category.EVENT,
                "groups": ("Petite enfance", "Parentalité"),
                "sms": True,
                "email": True,
                "subject": "Fête de fin d'année à l'Arbrisseau",
                "body": (
                    "Bonjour {prénom}, la fête de fin d'année du centre a lieu samedi à "
                    "15 h : spectacle des enfants et goûter. Venez en famille ! L'Arbrisseau"
                ),
            },
            today,
            status=AlertCampaign.Status.SCHEDULED,
        )
        count += 1
    return count, messages


def _campaign(structure, groups, author, spec, today, status=AlertCampaign.Status.SENT):
    when = _at(structure, today - dt.timedelta(days=spec["days_ago"]), 10)
    campaign = AlertCampaign(
        structure=structure,
        title=spec["title"],
        category=spec["category"],
        body=spec["body"],
        email_subject=spec.get("subject", ""),
        send_sms=spec["sms"],
        send_email=spec["email"],
        scheduled_at=when,
        status=status,
        created_by=author,
        sent_at=when if status == AlertCampaign.Status.SENT else None,
    )
    campaign.full_clean()
    campaign.save()
    campaign.groups.set([groups[name] for name in spec["groups"]])
    AlertCampaign.objects.filter(pk=campaign.pk).update(
        created_at=min(when, timezone.now()) - dt.timedelta(days=2)
    )
    return campaign


def _write_sent_campaign(campaign: AlertCampaign, people) -> int:
    """One `CampaignRecipient` per member of its groups (registered by then) and channel:
    an outbox message when the member may receive it (then sent, mostly delivered for SMS,
    a few failed), none with the reason otherwise. To be replaced by `campaign_send`."""
    structure, when = campaign.structure, campaign.sent_at
    chosen = {group.pk for group in campaign.groups.all()}
    members = [m for m in people if m.registered_at <= when and chosen & {g.pk for g in m.groups}]
    channels = [
        c
        for c, on in ((Channel.SMS, campaign.send_sms), (Channel.EMAIL, campaign.send_email))
        if on
    ]
    written = 0
    recipients, their_groups = [], []
    for channel in channels:
        decisions = may_contact_many(
            [m.person for m in members], channel, Purpose.STRUCTURE_NEWS, structure=structure
        )
        for member in members:
            person, decision, message = member.person, decisions[member.person.pk], None
            if decision.allowed:
                message = outbox_enqueue(
                    purpose=CAMPAIGN_PURPOSE,
                    channel=channel,
                    recipient=person.phone if channel == Channel.SMS else person.email,
                    recipient_name=str(person),
                    subject=campaign.email_subject if channel == Channel.EMAIL else "",
                    body=campaign.body.replace("{prénom}", person.first_name),
                    participant=person,
                    structure=structure,
                    about=campaign,
                    deliver=False,
                )
                # About one SMS in twelve never reached the phone (the provider's receipt).
                failed = channel == Channel.SMS and written % 12 == 5
                _mark(message, when, delivered=channel == Channel.SMS, failed=failed)
                written += 1
            recipients.append(
                CampaignRecipient(
                    campaign=campaign,
                    membership=member.membership,
                    channel=channel,
                    message=message,
                    skipped_reason="" if decision.allowed else str(decision.label),
                )
            )
            their_groups.append([g for g in member.groups if g.pk in chosen])
    CampaignRecipient.objects.bulk_create(recipients)
    Through = CampaignRecipient.groups.through
    Through.objects.bulk_create(
        Through(campaignrecipient_id=recipient.pk, membergroup_id=group.pk)
        for recipient, groups in zip(recipients, their_groups, strict=True)
        for group in groups
    )
    return written


def _mark(message: OutboxMessage, when: dt.datetime, *, delivered=False, failed=False) -> None:
    """What the worker and the provider's receipts would have recorded then."""
    sent_at = when + dt.timedelta(seconds=5 + message.pk % 50)
    fields = {
        "status": OutboxMessage.Status.SENT,
        "created_at": when,
        "queued_at": when,
        "attempts": 1,
        "handovers": 1,
        "sent_at": sent_at,
        "finished_at": sent_at,
        "next_attempt_at": None,
        "provider_message_id": f"demo-{message.uuid}",
    }
    if failed:
        fields.update(
            status=OutboxMessage.Status.FAILED,
            last_error="Non délivré selon le fournisseur : numéro injoignable",
        )
    elif delivered:
        fields.update(
            status=OutboxMessage.Status.DELIVERED,
            delivered_at=sent_at + dt.timedelta(seconds=20 + message.pk % 90),
        )
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)


def _withdraw_after(campaign: AlertCampaign, people, admin) -> None:
    """After the first campaign: one member replies STOP to its SMS (the provider's hook
    records it and withdraws every SMS consent), another asks the centre to stop the
    e-mails, noted on their page by the administrator."""
    received = list(
        campaign.recipients.filter(
            channel=Channel.SMS, message__status=OutboxMessage.Status.DELIVERED
        ).select_related("message", "membership__participant")
    )
    if received:
        stop = received[len(received) // 2]
        sms_events_record(
            events=[
                ProviderEvent(
                    provider="brevo",
                    status=SmsEvent.Status.REPLY,
                    message_id=stop.message.provider_message_id,
                    phone=stop.membership.participant.phone,
                    text="STOP",
                    occurred_at=campaign.sent_at + dt.timedelta(hours=3),
                    payload={
                        "demo": "stop",
                        "campaign": campaign.pk,
                        "phone": stop.membership.participant.phone,
                    },
                )
            ]
        )
    by_email = [m for m in people if (Channel.EMAIL, Purpose.STRUCTURE_NEWS) in m.consents]
    if by_email:
        member = by_email[-1]
        consent_withdraw(
            participant=member.person,
            channel=Channel.EMAIL,
            method=ContactConsent.Method.ORAL,
            actor=admin,
            structure=campaign.structure,
            purposes=[Purpose.STRUCTURE_NEWS],
            at=campaign.sent_at + dt.timedelta(days=6),
            note="Ne souhaite plus recevoir la lettre d'information par e-mail.",
        )
