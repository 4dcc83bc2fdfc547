"""Demo data of the formations app, read from `fixtures/demo.json`: the five tenders (four
programmes, five formations) with their real structures, fictional participants, and one
account per role.

Idempotent: every object is keyed by a natural key and updated in place, so running
`load_demo` twice leaves the same data.
"""

import datetime as dt
import json
import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from formations.consent import current_wording
from formations.models import (
    Channel,
    ContactConsent,
    Formation,
    Funder,
    Participant,
    Programme,
    ProviderIdentity,
    Purpose,
    Structure,
    User,
)

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
DEMO_PASSWORD = "demo-suivi"
DEMO_EMAIL_DOMAIN = "demo.example.org"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    description: str


DEMO_ACCOUNTS = [
    DemoAccount(
        "coordination",
        User.Role.COORDINATOR,
        "coordinatrice : met en place programmes et sessions, gère les comptes",
    ),
    DemoAccount(
        "formateur", User.Role.TRAINER, "formateur : anime les sessions, recueille les émargements"
    ),
    DemoAccount("formatrice", User.Role.TRAINER, "formatrice : anime les labos de Mayotte"),
    DemoAccount(
        "auditeur",
        User.Role.FUNDER_AUDITOR,
        "auditeur FEDER et FSE : consulte et télécharge les justificatifs",
    ),
    DemoAccount(
        "auditrice93",
        User.Role.FUNDER_AUDITOR,
        "auditrice du Département de la Seine-Saint-Denis : reçoit les synthèses d'évaluation",
    ),
    DemoAccount(
        "referent",
        User.Role.STRUCTURE_REFERENT,
        "référente du CCAS de Mamoudzou : ne voit que sa structure",
    ),
]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower().replace(" ", "-") if c.isalnum() or c == "-")


def load_fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


# The programme of the live demo session: its dates follow the calendar so that what is
# signed today falls inside its execution period (the tenders' own programmes are over).
LIVE_PROGRAMME = "DEMO-EN-DIRECT"
LIVE_FORMATION = "DEMO-EN-DIRECT-NUM"
LIVE_STRUCTURE_TERRITORIES = ("Seine-Saint-Denis", "Mayotte")


@transaction.atomic
def load(*, data: dict | None = None, today: dt.date | None = None) -> dict:
    """Creates or updates the demo programmes, structures, participants and accounts."""
    data = data or load_fixture()
    today = today or timezone.localdate()
    funders = {}
    for item in data["funders"]:
        funders[item["name"]], _ = Funder.objects.update_or_create(
            name=item["name"],
            defaults={"kind": item["kind"], "publicity_sentence": item["publicity_sentence"]},
        )
    structures = {}
    for item in data["structures"]:
        defaults = {
            k: item.get(k, "")
            for k in ("kind", "address", "postal_code", "commune", "territory", "phone")
        }
        structures[item["name"]], _ = Structure.objects.update_or_create(
            name=item["name"], defaults=defaults
        )
    programmes = {}
    for item in data["programmes"]:
        programme, _ = Programme.objects.update_or_create(
            reference=item["reference"],
            defaults={
                "title": item["title"],
                "carrier": item["carrier"],
                "start_date": dt.date.fromisoformat(item["start_date"]),
                "end_date": dt.date.fromisoformat(item["end_date"]),
                "description": item["description"],
                "publicity_sentence": item["publicity_sentence"],
            },
        )
        programme.funders.set([funders[name] for name in item["funders"]])
        programme.structures.set([structures[name] for name in item["structures"]])
        programmes[item["reference"]] = programme
    formations = {}
    for item in data["formations"]:
        defaults = {k: v for k, v in item.items() if k not in ("programme", "contract_reference")}
        for key in ("amount", "unit_price", "planned_units", "min_hours_per_day"):
            if key in defaults:
                defaults[key] = Decimal(defaults[key])
        for key in ("start_date", "end_date"):
            if key in defaults:
                defaults[key] = dt.date.fromisoformat(defaults[key])
        defaults["programme"] = programmes[item["programme"]]
        formations[item["contract_reference"]], _ = Formation.objects.update_or_create(
            contract_reference=item["contract_reference"], defaults=defaults
        )
    programmes[LIVE_PROGRAMME], formations[LIVE_FORMATION] = _load_live_programme(
        today, funders, structures
    )
    participants = _load_participants(data, structures)
    accounts = _load_accounts(funders, structures)
    _load_provider_identity()
    return {
        "funders": funders,
        "structures": structures,
        "programmes": programmes,
        "formations": formations,
        "participants": participants,
        "accounts": accounts,
    }


def _load_live_programme(
    today: dt.date, funders: dict, structures: dict
) -> tuple[Programme, Formation]:
    """A programme running this year and next, for the demo's live and upcoming sessions:
    signing, the tablet and the QR code can be tried at any hour without the contract
    panel flagging a session outside its execution period."""
    start, end = dt.date(today.year, 1, 1), dt.date(today.year + 1, 12, 31)
    programme, _ = Programme.objects.update_or_create(
        reference=LIVE_PROGRAMME,
        defaults={
            "title": "Émargement en direct (démonstration)",
            "carrier": "Organisme de formation de démonstration",
            "start_date": start,
            "end_date": end,
            "description": (
                "Programme de démonstration, daté de l'année en cours : une session est "
                "ouverte à l'émargement à toute heure, pour essayer la tablette, le QR code "
                "et les liens à distance."
            ),
            "publicity_sentence": "",
        },
    )
    # FEDER (audited by the demo auditor) and the Département: their sentences suit Bobigny.
    programme.funders.set([funders["FEDER"], funders["Département de la Seine-Saint-Denis"]])
    programme.structures.set(
        [s for s in structures.values() if s.territory in LIVE_STRUCTURE_TERRITORIES]
    )
    formation, _ = Formation.objects.update_or_create(
        contract_reference=LIVE_FORMATION,
        defaults={
            "programme": programme,
            "title": "Accompagner les démarches en ligne (démonstration)",
            "amount": Decimal("12000.00"),
            "pricing_mode": Formation.PricingMode.GLOBAL,
            "planned_units": Decimal("1"),
            "start_date": start,
            "end_date": end,
            "group_size_min": 10,
            "group_size_max": 15,
            "attendees_per_structure_max": 3,
        },
    )
    return programme, formation


def _participants_per_structure(structure: Structure) -> int:
    return {
        Structure.Kind.CCAS: 3,
        Structure.Kind.UDCCAS: 2,
        Structure.Kind.MAISON_QUARTIER: 2,
    }.get(
        structure.kind,
        4
        if structure.territory == "Lille Sud"
        else (12 if structure.territory == "Seine-Saint-Denis" else 2),
    )


def _load_participants(data: dict, structures: dict) -> list[Participant]:
    # A fixed seed: the same fictional people every time, so the demo stays idempotent.
    rng = random.Random(2026)
    names = data["names"]
    participants = []
    for structure in structures.values():
        mayotte = structure.territory == "Mayotte"
        last_names = names["mayotte_last"] if mayotte else names["metro_last"]
        first_names = names["mayotte_first"] if mayotte else names["metro_first"]
        if structure.kind in (Structure.Kind.CCAS, Structure.Kind.UDCCAS):
            jobs = names["jobs_ccas"]
        elif structure.territory == "Seine-Saint-Denis":
            jobs = names["jobs_ssd"]
        else:
            jobs = names["jobs_centre_social"]
        for index in range(_participants_per_structure(structure)):
            last_name, first_name = rng.choice(last_names), rng.choice(first_names)
            local_part = f"{_slug(first_name)}.{_slug(last_name)}.{structure.pk}-{index + 1}"
            email = f"{local_part}@{DEMO_EMAIL_DOMAIN}"
            job_title = rng.choice(jobs)
            digits = "".join(str(rng.randint(10, 99)) for _ in range(4))
            # Mobiles in E.164 (formations.phones): 0639 69 … in Mayotte, 06 1… elsewhere.
            phone = f"+26263969{digits[:4]}" if mayotte else f"+3361{digits[1:]}"
            participant, _ = Participant.objects.update_or_create(
                email=email,
                defaults={
                    "last_name": last_name,
                    "first_name": first_name,
                    "structure": structure,
                    "job_title": job_title,
                    "phone": phone,
                    "post_taken_on": dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 400)),
                },
            )
            if rng.random() < 0.8:
                _demo_consents(participant, sms=index % 3 == 0)
            participants.append(participant)
    return participants


def _demo_consents(participant: Participant, *, sms: bool) -> None:
    """Evaluation follow-up by e-mail (and by SMS for some), as if given on the paper form
    of the first day; left alone when the person already has consent records."""
    if participant.consents.exists():
        return
    channels = [Channel.EMAIL, Channel.SMS] if sms else [Channel.EMAIL]
    ContactConsent.objects.bulk_create(
        ContactConsent(
            participant=participant,
            channel=channel,
            purpose=Purpose.EVALUATION_FOLLOW_UP,
            action=ContactConsent.Action.GIVEN,
            wording_version=current_wording(channel, Purpose.EVALUATION_FOLLOW_UP).version,
            method=ContactConsent.Method.PAPER,
        )
        for channel in channels
    )


def _load_accounts(funders: dict, structures: dict) -> dict[str, User]:
    names = {
        "coordination": ("Claire", "Vasseur"),
        "formateur": ("Julien", "Masson"),
        "formatrice": ("Anissa", "Boura"),
        "auditeur": ("Marc", "Delattre"),
        "auditrice93": ("Nadia", "Belkacem"),
        "referent": ("Zaïnaba", "Ahamada"),
    }
    accounts = {}
    for account in DEMO_ACCOUNTS:
        first_name, last_name = names[account.username]
        user, created = User.objects.get_or_create(username=account.username)
        user.first_name, user.last_name = first_name, last_name
        user.email = f"{account.username}@{DEMO_EMAIL_DOMAIN}"
        user.role = account.role
        # Nobody in the demo is a superuser: the coordinator works in the application's
        # own pages (accounts included), which keep the services' rules; the Django admin
        # is for a technical administrator made with `createsuperuser`.
        user.is_staff = False
        user.is_superuser = False
        user.is_active = True
        user.structure = (
            structures["CCAS de Mamoudzou"]
            if account.role in (User.Role.STRUCTURE_REFERENT, User.Role.STRUCTURE_ADMIN)
            else None
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        if account.username == "auditrice93":
            user.funders.set([funders["Département de la Seine-Saint-Denis"]])
        elif account.role == User.Role.FUNDER_AUDITOR:
            user.funders.set([funders["FEDER"], funders["FSE"]])
        accounts[account.username] = user
    return accounts


def _load_provider_identity() -> None:
    """The training organisation the demo's certificates are signed by. Created once: a
    visitor who edits it on the « Organisme » page keeps what they wrote."""
    if ProviderIdentity.objects.exists():
        return
    ProviderIdentity.objects.create(
        legal_name="Formations du Littoral (démonstration)",
        address="12 rue des Arts\n59000 Lille",
        siret="73282932000074",
        activity_declaration_number="31590000059",
        representative_name="Marie Dupont",
        representative_role="Gérante",
        signing_place="Lille",
    )
