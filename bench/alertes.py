"""Alertes (issue 12, seed 002) at a social centre's real volumes: the members list, a
campaign's preview of its recipients, the statistics and the week page, the sending of a
campaign, the reminders run and the member import.

This script builds a throwaway test database (SQLite, or PostgreSQL when DATABASE_URL is
set) and one structure filled twice: first to a tenth of its size, then to its full size
(`--scale 1`: 5,000 members in 12 groups, 80 % of them with consents on both channels,
dates of birth spread over 0–90 years, 3,000 administrative steps, 200 sent campaigns with
their `CampaignRecipient` and `OutboxMessage` rows, ~150,000 messages over twelve months),
plus a second structure of the same size (its rows must not weigh on the first's pages).
Rows are written in bulk, not through the services.

It measures, as the structure's administrator, at both sizes: queries of a first call and
median time of `--runs` more of the members list, a scheduled campaign's detail (preview
of its recipients, 3 groups), the statistics page and the week page; then, at the full
size, `campaign_send` of a campaign to ~2,000 members (×`--scale`) on both channels
(messages written per second), `remind_due_steps` over the steps (then a run with nothing
left) and the member import of a 2,000-line CSV (×`--scale`: dry run, then real).

Deliveries are not measured: the task backend is Django's dummy one for the whole bench
(the outbox only enqueues; in production a worker delivers), so the figures are writes.

Budgets: queries do not grow with the members; pages under 1 s; campaign_send at least
~500 messages per second.

    .venv/bin/python bench/alertes.py [--scale 0.2] [--runs 5] [--profile]
"""

import argparse
import contextlib
import cProfile
import datetime as dt
import logging
import os
import pstats
import random
import statistics
import sys
import time
import zoneinfo
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Test settings: a throwaway database, DEBUG off (Django's query log would fill up).
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

import django  # noqa: E402

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection, reset_queries  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from alertes.models import (  # noqa: E402
    AdministrativeStep,
    AlertCampaign,
    CampaignRecipient,
)
from alertes.reminders import remind_due_steps  # noqa: E402
from alertes.services_campaigns import campaign_send  # noqa: E402
from formations.members_import import import_members  # noqa: E402
from formations.models import (  # noqa: E402
    ContactConsent,
    MemberGroup,
    Membership,
    OutboxMessage,
    Participant,
    Structure,
    User,
)
from tests.factories import ProviderIdentityFactory, UserFactory  # noqa: E402

FULL = {"members": 5000, "steps": 3000, "campaigns": 200, "send": 2000, "import": 2000}
GROUPS = (
    "Petite enfance",
    "Jeunesse",
    "RSA",
    "Culture",
    "Seniors",
    "Parentalité",
    "Numérique",
    "Français langue étrangère",
    "Sorties familles",
    "Emploi",
    "Santé",
    "Bénévoles",
)
FIRST_NAMES = ("Anaïs", "Zoë", "Fatoumata", "Loïc", "Nguyễn Thị", "Hélène", "Ömer", "Karim")
LAST_NAMES = ("Dupont", "Benali", "Nowak", "Traoré", "Lefèvre", "Çelik", "Diallo", "Martin")
KINDS = ("resident", "resident", "resident", "volunteer", "partner")
STEP_TITLES = (
    ("Actualisation France Travail", "employment"),
    ("Rendez-vous CAF", "benefits"),
    ("Renouvellement du titre de séjour", "residence"),
    ("Inscription au centre de loisirs", "child"),
    ("Déclaration de revenus", "tax"),
)
BATCH = 2000


def build(structure, *, tag: str, members: int, steps: int, campaigns: int, staff, rng, now):
    """Adds `members` members (with their consents), `steps` steps and `campaigns` sent
    campaigns (recipients, messages) to `structure`, whose groups exist already."""
    groups = list(MemberGroup.objects.filter(structure=structure).order_by("pk"))
    today = now.date()
    people = Participant.objects.bulk_create(
        (
            Participant(
                kind=KINDS[n % len(KINDS)],
                last_name=f"{LAST_NAMES[n % len(LAST_NAMES)]}-{tag}-{n:05d}",
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                email=f"m-{tag}-{n}@example.org" if n % 4 else "",
                phone=f"+336{rng.randint(10_000_000, 99_999_999)}",
                date_of_birth=today - dt.timedelta(days=rng.randint(0, 90 * 365)),
                commune="Lille",
                postal_code="59000",
                structure=structure,
            )
            for n in range(members)
        ),
        batch_size=BATCH,
    )
    memberships = Membership.objects.bulk_create(
        (Membership(structure=structure, participant=person) for person in people),
        batch_size=BATCH,
    )
    in_groups: dict[int, list[int]] = {}
    links = []
    for membership in memberships:
        chosen = rng.sample(groups, rng.choice((1, 1, 2, 2, 3)))
        in_groups[membership.pk] = [g.pk for g in chosen]
        links.extend(
            Membership.groups.through(membership_id=membership.pk, membergroup_id=g.pk)
            for g in chosen
        )
    Membership.groups.through.objects.bulk_create(links, batch_size=BATCH)

    # 80 % consent to the structure's news on both channels (one in 20 of them withdrew
    # the SMS later) and asked for their administrative reminders.
    consents, consenting = [], set()
    for n, person in enumerate(people):
        if n % 5 == 4:
            continue
        consenting.add(person.pk)
        given = now - dt.timedelta(days=rng.randint(30, 700))
        pairs = [("sms", "structure_news"), ("sms", "admin_reminders")]
        if person.email:
            pairs += [("email", "structure_news"), ("email", "admin_reminders")]
        for channel, purpose in pairs:
            consents.append(
                ContactConsent(
                    participant=person,
                    channel=channel,
                    purpose=purpose,
                    structure=structure,
                    action="given",
                    wording_version="v1",
                    at=given,
                    method="paper",
                    collected_by=staff,
                )
            )
        if n % 20 == 0:
            consents.append(
                ContactConsent(
                    participant=person,
                    channel="sms",
                    purpose="structure_news",
                    structure=structure,
                    action="withdrawn",
                    at=given + dt.timedelta(days=10),
                    method="sms_stop",
                )
            )
    ContactConsent.objects.bulk_create(consents, batch_size=BATCH)

    # Steps: dates from a month ago to three months ahead, a third recurring.
    recurrences = ("once", "once", "monthly", "yearly")
    AdministrativeStep.objects.bulk_create(
        (
            AdministrativeStep(
                membership=memberships[rng.randrange(len(memberships))],
                title=STEP_TITLES[s % len(STEP_TITLES)][0],
                category=STEP_TITLES[s % len(STEP_TITLES)][1],
                due_on=today + dt.timedelta(days=rng.randint(-30, 90)),
                recurrence=recurrences[s % len(recurrences)],
                followed_by=staff,
                remind_days_before=rng.choice((1, 3, 7)),
                remind_by_sms=s % 3 != 2,
                remind_by_email=s % 3 != 0,
                created_by=staff,
            )
            for s in range(steps)
        ),
        batch_size=BATCH,
    )

    # Sent campaigns over the last twelve months, each to 1–2 groups.
    sent = AlertCampaign.objects.bulk_create(
        AlertCampaign(
            structure=structure,
            title=f"Sortie {c} {tag}",
            category=AlertCampaign.Category.values[c % len(AlertCampaign.Category.values)],
            body="Bonjour {prénom}, sortie au parc samedi : inscriptions à l'accueil.",
            email_subject="Sortie au parc",
            send_sms=True,
            send_email=c % 3 == 0,
            scheduled_at=now - dt.timedelta(days=365 * (c + 1) / (campaigns + 1)),
            status=AlertCampaign.Status.SENT,
            sent_at=now - dt.timedelta(days=365 * (c + 1) / (campaigns + 1)),
            created_by=staff,
        )
        for c in range(campaigns)
    )
    by_group: dict[int, list] = {g.pk: [] for g in groups}
    for membership in memberships:
        for group_pk in in_groups[membership.pk]:
            by_group[group_pk].append(membership)
    statuses = ("delivered",) * 6 + ("sent",) * 3 + ("failed",)
    campaign_links = []
    for campaign in sent:
        targets = rng.sample(groups, rng.choice((1, 2)))
        campaign_links.extend(
            AlertCampaign.groups.through(alertcampaign_id=campaign.pk, membergroup_id=g.pk)
            for g in targets
        )
        chosen = {m.pk: m for g in targets for m in by_group[g.pk]}
        channels = ("sms", "email") if campaign.send_email else ("sms",)
        recipients, messages = [], []
        for membership in chosen.values():
            person = membership.participant
            for channel in channels:
                recipient = CampaignRecipient(
                    campaign=campaign, membership=membership, channel=channel
                )
                address = person.email if channel == "email" else person.phone
                if person.pk not in consenting or not address:
                    recipient.skipped_reason = "Pas de consentement sur ce canal"
                else:
                    status = statuses[rng.randrange(len(statuses))]
                    recipient.message = OutboxMessage(
                        channel=channel,
                        purpose="alertes_campaign",
                        legal_basis="consent",
                        recipient=address,
                        recipient_name=f"{person.first_name} {person.last_name}",
                        subject="Sortie au parc" if channel == "email" else "",
                        body=campaign.body.replace("{prénom}", person.first_name),
                        about_type="alertes.alertcampaign",
                        about_id=str(campaign.pk),
                        participant=person,
                        structure=structure,
                        status=status,
                        attempts=1,
                        sent_at=campaign.sent_at,
                        delivered_at=campaign.sent_at if status == "delivered" else None,
                        finished_at=campaign.sent_at,
                        last_error="Numéro injoignable" if status == "failed" else "",
                    )
                    messages.append(recipient.message)
                recipients.append(recipient)
        OutboxMessage.objects.bulk_create(messages, batch_size=BATCH)
        for recipient in recipients:
            if recipient.message is not None:
                recipient.message_id = recipient.message.pk
        CampaignRecipient.objects.bulk_create(recipients, batch_size=BATCH)
        CampaignRecipient.groups.through.objects.bulk_create(
            (
                CampaignRecipient.groups.through(
                    campaignrecipient_id=recipient.pk, membergroup_id=group_pk
                )
                for recipient in recipients
                for group_pk in in_groups[recipient.membership_id]
            ),
            batch_size=BATCH,
        )
    AlertCampaign.groups.through.objects.bulk_create(campaign_links, batch_size=BATCH)
    # The created_at of the messages is auto_now_add: spread them as the campaigns were.
    for campaign in sent:
        OutboxMessage.objects.filter(
            about_type="alertes.alertcampaign", about_id=str(campaign.pk)
        ).update(created_at=campaign.sent_at)
    return groups


def scheduled_campaign(structure, groups, *, staff, now, title) -> AlertCampaign:
    campaign = AlertCampaign.objects.create(
        structure=structure,
        title=title,
        body="Bonjour {prénom}, l'atelier cuisine reprend jeudi à 14 h. À bientôt !",
        email_subject="L'atelier cuisine reprend",
        send_sms=True,
        send_email=True,
        scheduled_at=now + dt.timedelta(days=2),
        created_by=staff,
    )
    campaign.groups.set(groups)
    return campaign


def groups_for(structure, target: int) -> list:
    """The fewest groups, in order, whose active members reach `target`."""
    chosen = []
    for group in MemberGroup.objects.filter(structure=structure).order_by("pk"):
        chosen.append(group)
        reached = (
            Membership.objects.filter(groups__in=chosen, ended_at__isnull=True).distinct().count()
        )
        if reached >= target:
            break
    return chosen


def import_csv(count: int, tag: str) -> bytes:
    lines = [
        "nom;prenom;email;telephone;date_naissance;groupes;consentement_sms;consentement_email"
    ]
    for n in range(count):
        lines.append(
            f"{LAST_NAMES[n % len(LAST_NAMES)]}-{tag}-{n:05d};{FIRST_NAMES[n % len(FIRST_NAMES)]};"
            f"i-{tag}-{n}@example.org;+3375{n:07d};{1 + n % 28:02d}/{1 + n % 12:02d}/"
            f"{1940 + n % 80};{GROUPS[n % 12]}, {GROUPS[(n + 5) % 12]};"
            f"{'oui' if n % 5 else 'non'};{'oui' if n % 3 else ''}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


@contextlib.contextmanager
def counting():
    """Counts the queries (Django's query log keeps only the last 9,000: sending a
    campaign runs more)."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(None)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield queries


def timed(function, runs: int) -> tuple[int, float]:
    """(queries of one call, median ms of `runs` further calls)."""
    with counting() as queries:
        function()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return len(queries), statistics.median(timings)


def once(function) -> tuple[int, float, object]:
    with counting() as queries:
        start = time.perf_counter()
        result = function()
        elapsed = (time.perf_counter() - start) * 1000
    return len(queries), elapsed, result


def profile(label: str, function, lines: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    print(f"\n--- profil : {label} ---")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(str(ROOT), lines)
    stats.sort_stats("tottime").print_stats(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=0.2, help="1 = 5,000 members, 150,000 messages"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile the slowest at the end")
    args = parser.parse_args()

    setup_test_environment()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Django empties the query log at each request: the page's queries would not count.
    request_started.disconnect(reset_queries)
    logging.getLogger("django.tasks").setLevel(logging.WARNING)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
        ):
            return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> int:
    ProviderIdentityFactory()
    rng = random.Random(2026)
    now = timezone.now()
    sizes = {key: max(1, round(value * args.scale)) for key, value in FULL.items()}
    places = []
    for name in ("Centre social l'Arbrisseau", "Centre social du Chemin Rouge"):
        place = Structure.objects.create(name=name, kind=Structure.Kind.CENTRE_SOCIAL)
        MemberGroup.objects.bulk_create(MemberGroup(structure=place, name=g) for g in GROUPS)
        places.append(place)
    structure, other = places
    admin = UserFactory(
        role=User.Role.STRUCTURE_ADMIN, structure=structure, email="admin@example.org"
    )
    other_staff = UserFactory(
        role=User.Role.STRUCTURE_STAFF, structure=other, email="staff2@example.org"
    )
    client = Client()
    client.force_login(admin)

    results: dict[tuple[str, int], tuple[int, float]] = {}
    labels: list[str] = []
    built = {}
    pages = {}
    steps = [sizes["steps"] // 10, sizes["steps"] - sizes["steps"] // 10]
    members = [sizes["members"] // 10, sizes["members"] - sizes["members"] // 10]
    campaigns = [sizes["campaigns"] // 10, sizes["campaigns"] - sizes["campaigns"] // 10]
    scales = []
    for number in range(2):
        start = time.perf_counter()
        groups = build(
            structure,
            tag=f"A{number}",
            members=members[number],
            steps=steps[number],
            campaigns=campaigns[number],
            staff=admin,
            rng=rng,
            now=now,
        )
        if number == 1:  # the second structure, as big: must not weigh on the first's pages
            build(
                other,
                tag="B",
                members=sizes["members"],
                steps=sizes["steps"],
                campaigns=sizes["campaigns"],
                staff=other_staff,
                rng=rng,
                now=now,
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        preview = scheduled_campaign(
            structure, groups[:3], staff=admin, now=now, title=f"Atelier cuisine {number}"
        )
        size = Membership.objects.filter(structure=structure).count()
        scales.append(size)
        built[size] = (
            time.perf_counter() - start,
            OutboxMessage.objects.filter(structure=structure).count(),
            OutboxMessage.objects.count(),
        )
        s = structure.pk
        pages = {
            "liste des adhérent·es": reverse("alertes:member_list", args=[s]),
            "campagne : aperçu (3 groupes)": reverse(
                "alertes:campaign_detail", args=[s, preview.pk]
            ),
            "statistiques": reverse("alertes:stats", args=[s]),
            "semaine (toutes les démarches)": reverse("alertes:week", args=[s]) + "?tous=1",
        }
        octets = {}
        for label, url in pages.items():

            def page(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response

            if label not in labels:
                labels.append(label)
            results[(label, size)] = timed(page, args.runs)
            octets[label] = len(page().content)
        built[(size, "octets")] = octets

    print(f"Base : {connection.vendor} ; échelle {args.scale}")
    for size in scales:
        seconds, own, everything = built[size]
        print(
            f"{size} adhérent·es (construit en {seconds:.1f} s) : {own} messages de la "
            f"structure, {everything} en tout ; octets : "
            + ", ".join(f"{k} {v}" for k, v in built[(size, "octets")].items())
        )
    small, large = scales
    print(f"\n{'page':<34} {'req.':>5} {'req.':>5}   {'ms':>8} {'ms':>8} {'rapport':>8}")
    print(f"{'(adhérent·es)':<34} {small:>5} {large:>5}   {small:>8} {large:>8}")
    for label in labels:
        q_small, t_small = results[(label, small)]
        q_large, t_large = results[(label, large)]
        print(
            f"{label:<34} {q_small:>5} {q_large:>5}   {t_small:>8.1f} {t_large:>8.1f} "
            f"{t_large / t_small:>8.2f}"
        )

    # Writes, at the full size.
    print()
    target = groups_for(structure, sizes["send"])
    campaign = scheduled_campaign(structure, target, staff=admin, now=now, title="Envoi mesuré")
    reached = Membership.objects.filter(groups__in=target).distinct().count()
    queries, elapsed, written = once(partial(campaign_send, campaign=campaign, now=now))
    rows = CampaignRecipient.objects.filter(campaign=campaign).count()
    print(
        f"campaign_send : {len(target)} groupes, {reached} adhérent·es, SMS + e-mail : "
        f"{written} messages écrits, {rows} destinataires, {queries} requêtes, "
        f"{elapsed:.0f} ms, {written / elapsed * 1000:.0f} messages/s"
    )
    # Reminders leave in the structure's daytime only (09:00–20:00): measured at 10:30 there.
    zone = zoneinfo.ZoneInfo(structure.time_zone)
    later = dt.datetime.combine(now.astimezone(zone).date(), dt.time(10, 30), tzinfo=zone)
    queries, elapsed, counts = once(partial(remind_due_steps, now=later))
    total = sum(counts.values())
    print(
        f"remind_due_steps ({2 * sizes['steps']} démarches dont "
        f"{AdministrativeStep.objects.filter(membership__structure=structure).count()} "
        f"ici) : {counts}, {queries} requêtes, {elapsed:.0f} ms, "
        f"{total / elapsed * 1000 if total else 0:.0f} rappels/s"
    )
    queries, elapsed = timed(partial(remind_due_steps, now=later), args.runs)
    print(f"remind_due_steps, rien à faire : {queries} requêtes, {elapsed:.0f} ms")

    content = import_csv(sizes["import"], "I")
    importer = partial(
        import_members, structure=structure, file_name="adherents.csv", content=content
    )
    queries, elapsed = timed(partial(importer, actor=admin, dry_run=True), max(1, args.runs // 2))
    print(f"import de {sizes['import']} lignes, aperçu : {queries} requêtes, {elapsed:.0f} ms")
    queries, elapsed, report = once(partial(importer, actor=admin))
    print(
        f"import de {sizes['import']} lignes, pour de bon : {queries} requêtes, {elapsed:.0f} ms "
        f"(erreurs : {report.has_errors}), "
        f"{Membership.objects.filter(structure=structure).count() - large} adhésions créées"
    )

    if args.profile:
        for label in ("campagne : aperçu (3 groupes)", "statistiques"):
            profile(f"page {label} ({large})", partial(client.get, pages[label]))
        again = scheduled_campaign(structure, target, staff=admin, now=now, title="Profil")
        profile("campaign_send", partial(campaign_send, campaign=again, now=now))
        profile(
            "import, aperçu",
            partial(
                import_members,
                structure=structure,
                file_name="adherents.csv",
                content=import_csv(sizes["import"], "P"),
                actor=admin,
                dry_run=True,
            ),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
