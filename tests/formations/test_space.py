"""The participant's own space: the one-time sign-in link, the separate session, contact
details and consents (formations.space, formations.views_space)."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone

from formations import space
from formations.models import (
    AuditEntry,
    ContactConsent,
    OutboxMessage,
    SpaceLinkRequest,
    SpaceSignInLink,
)
from formations.sms import outbox as sms_outbox
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("space:sign_in")
HOME = reverse("space:home")
LINK = re.compile(r"https?://\S+/mon-espace/lien/\S+/")


@pytest.fixture
def person(db):
    return ParticipantFactory(
        first_name="Aïcha", last_name="Madi", email="aicha.madi@example.org", phone=""
    )


def ask(client, address, **extra):
    return client.post(SIGN_IN, {"address": address}, **extra)


def link_of(message: OutboxMessage) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(0)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def request_link(client, person, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, person.email)
    message = OutboxMessage.objects.filter(participant=person, purpose="space_link").latest("pk")
    return path_of(link_of(message))


# --------------------------------------------------------------------------- asking


def test_known_address_gets_a_link_by_email_through_the_outbox(
    client, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "  AICHA.madi@example.org ")

    assert response.status_code == 302 and response.url == reverse("space:sign_in_sent")
    message = OutboxMessage.objects.get(purpose="space_link")
    assert message.participant == person
    # Sent to the address on record, never to the spelling typed.
    assert message.channel == "email" and message.recipient == "aicha.madi@example.org"
    assert message.legal_basis == "service"
    assert message.status == OutboxMessage.Status.SENT
    assert message.expires_at == SpaceSignInLink.objects.get().expires_at
    assert "15 minutes" in message.body
    assert len(mail.outbox) == 1 and link_of(message) in mail.outbox[0].body
    entry = AuditEntry.objects.get(action="space.link_requested")
    assert entry.object_id == str(person.pk) and entry.data["channel"] == "email"
    # The row keeps a digest of the nonce, never the link.
    assert SpaceSignInLink.objects.get().nonce_hash not in message.body


@pytest.mark.parametrize(
    "look_alike",
    ["aicha.madi@example.org".replace("i", "ı", 1), "aıcha.madı@example.org"],
)
def test_a_look_alike_address_gets_no_link(look_alike, person):
    """« ı » (dotless) is « I » in PostgreSQL's UPPER(): the database finds the person, the
    link must still not go to an address someone else may own (CVE-2019-19844)."""
    assert space.space_links_send(address=look_alike) == []
    assert not OutboxMessage.objects.exists()
    assert space.space_links_send(address="Aicha.Madi@EXAMPLE.org")[0].recipient == person.email


def test_a_mobile_number_gets_the_link_by_sms(client, django_capture_on_commit_callbacks):
    person = ParticipantFactory(email="", phone="+33612345678")
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "06 12 34 56 78")

    message = OutboxMessage.objects.get(purpose="space_link")
    assert (message.channel, message.recipient, message.participant) == (
        "sms",
        "+33612345678",
        person,
    )
    assert len(sms_outbox) == 1 and "/mon-espace/lien/" in sms_outbox[0].body


def test_unknown_and_known_addresses_get_the_same_page(
    client, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(SIGN_IN, {"address": person.email}, follow=True)
        unknown = client.post(SIGN_IN, {"address": "personne@example.org"}, follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    assert OutboxMessage.objects.count() == 1
    assert AuditEntry.objects.filter(action="space.link_requested").count() == 1


def test_both_addresses_enqueue_the_same_task(client, person, settings):
    """The lookup happens in the task, off the request: the page does the same work."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    ask(client, person.email, REMOTE_ADDR="10.0.0.1")
    ask(client, "personne@example.org", REMOTE_ADDR="10.0.0.1")

    calls = [(r.task.name, r.args, r.kwargs) for r in default_task_backend.results]
    default_task_backend.clear()
    asked = list(SpaceLinkRequest.objects.order_by("pk"))
    # The task is given the id of the row holding the address, never the address.
    assert calls == [("send_space_links", [row.pk], {}) for row in asked]
    assert [(r.address, r.ip_address) for r in asked] == [
        (person.email, "10.0.0.1"),
        ("personne@example.org", "10.0.0.1"),
    ]
    assert not OutboxMessage.objects.exists()


def tables_holding(text: str) -> list[str]:
    """The tables (every one: the task queue's results, the cache…) with a row holding
    ``text``, case ignored."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            if any(text.lower() in str(row).lower() for row in cursor.fetchall()):
                found.append(table)
    return found


@pytest.fixture
def database_task_queue(settings):
    """django-tasks-db, as in the demo and in production, run by its worker."""
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def run_worker():
        call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*")

    return run_worker


# The worker closes the database connection between tasks: no test transaction around it.
@pytest.mark.django_db(transaction=True)
def test_no_table_keeps_an_address_typed_at_sign_in(client, person, database_task_queue):
    from django_tasks_db.models import DBTaskResult

    ask(client, "Quelquun.Dautre@Example.org", REMOTE_ADDR="10.0.0.1")
    ask(client, "AICHA.madi@example.org", REMOTE_ADDR="10.0.0.1")
    assert SpaceLinkRequest.objects.count() == 2
    database_task_queue()

    results = DBTaskResult.objects.filter(task_path="formations.tasks.send_space_links")
    assert [(r.status, r.return_value) for r in results.order_by("enqueued_at")] == [
        ("SUCCESSFUL", 0),
        ("SUCCESSFUL", 1),
    ]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
    assert not SpaceLinkRequest.objects.exists()
    # Nobody's address typed by someone is kept anywhere, task results included.
    assert tables_holding("quelquun.dautre@example.org") == []
    # A known one is where it was (the person's record) and in the message sent to it.
    assert sorted(tables_holding(person.email)) == [
        "formations_outboxmessage",
        "formations_participant",
    ]


def test_the_task_takes_its_request_once(person):
    asked = SpaceLinkRequest.objects.create(address=person.email)

    assert len(space.space_link_request_send(request_id=asked.pk)) == 1
    assert space.space_link_request_send(request_id=asked.pk) == []
    assert OutboxMessage.objects.count() == 1


def test_requests_no_task_took_are_pruned_by_run_periodic(person):
    from formations.periodic import run_periodic

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        SpaceLinkRequest.objects.create(address=person.email)
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        recent = SpaceLinkRequest.objects.create(address="autre@example.org")
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        outcomes = {o.name: o for o in run_periodic()}

    assert outcomes["space.forget_link_requests"].result == {"deleted": 1}
    assert list(SpaceLinkRequest.objects.all()) == [recent]


def test_requests_are_limited_per_address(
    client, person, settings, django_capture_on_commit_callbacks
):
    settings.SUIVI_SPACE_LINKS_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        pages = [ask(client, person.email, REMOTE_ADDR=f"10.0.0.{i}") for i in range(4)]

    assert OutboxMessage.objects.count() == 2
    assert {p.status_code for p in pages} == {302}
    assert {p.url for p in pages} == {reverse("space:sign_in_sent")}


def test_requests_are_limited_per_ip(client, settings, django_capture_on_commit_callbacks):
    settings.SUIVI_SPACE_LINK_REQUESTS_PER_IP_HOUR = 3
    people = ParticipantFactory.create_batch(5)
    with django_capture_on_commit_callbacks(execute=True):
        for p in people:
            ask(client, p.email, REMOTE_ADDR="192.0.2.7")

    assert OutboxMessage.objects.count() == 3


def test_a_typed_text_that_is_no_address_sends_nothing_and_says_the_same(
    client, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "pas un numéro")

    assert response.status_code == 302 and response.url == reverse("space:sign_in_sent")
    assert not OutboxMessage.objects.exists()


def test_outbox_page_hides_the_link_outside_the_demo(coordinator_client, person, settings):
    settings.SUIVI_DEMO_MAILBOX = False
    message = space.space_links_send(address=person.email)[0]
    page = coordinator_client.get(reverse("formations:outbox_message", args=[message.pk]))
    assert link_of(message).encode() not in page.content

    settings.SUIVI_DEMO_MAILBOX = True
    page = coordinator_client.get(reverse("formations:outbox_message", args=[message.pk]))
    assert link_of(message).encode() in page.content


# --------------------------------------------------------------------------- the link


def test_opening_the_link_does_not_sign_in_the_button_does(
    client, person, django_capture_on_commit_callbacks
):
    url = request_link(client, person, django_capture_on_commit_callbacks)

    page = client.get(url)
    assert page.status_code == 200
    assert "Ouvrir mon espace" in page.content.decode()
    assert client.get(HOME).url == SIGN_IN  # a GET (a mail scanner) signed nobody in
    assert SpaceSignInLink.objects.get().used_at is None

    response = client.post(url)
    assert response.status_code == 302 and response.url == HOME
    home = client.get(HOME)
    assert home.status_code == 200 and "Bonjour Aïcha" in home.content.decode()
    assert AuditEntry.objects.filter(action="space.signed_in", object_id=str(person.pk)).exists()


def test_the_link_works_once(client, person, django_capture_on_commit_callbacks):
    url = request_link(client, person, django_capture_on_commit_callbacks)
    client.post(url)
    client.post(reverse("space:sign_out"))

    again = client.post(url)

    assert "Ce lien a déjà servi" in again.content.decode()
    assert client.get(HOME).url == SIGN_IN
    with pytest.raises(space.SpaceError) as exc:
        space.space_sign_in(token=url.rstrip("/").rsplit("/", 1)[1])
    assert exc.value.code == "used"


def test_the_link_expires_after_15_minutes(client, person, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        url = request_link(client, person, django_capture_on_commit_callbacks)
    token = url.rstrip("/").rsplit("/", 1)[1]

    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=50), tick=False):
        assert space.space_link_check(token=token).participant == person
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        with pytest.raises(space.SpaceError) as exc:
            space.space_sign_in(token=token)
        assert exc.value.code == "expired"
        page = client.post(url)
    assert "Ce lien a expiré" in page.content.decode()
    assert SpaceSignInLink.objects.get().used_at is None


def test_a_forged_or_altered_link_is_refused(client, person, django_capture_on_commit_callbacks):
    url = request_link(client, person, django_capture_on_commit_callbacks)
    altered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]

    for bad in (altered, reverse("space:link", args=["forged"])):
        page = client.post(bad)
        assert page.status_code == 200 and "Lien non valable" in page.content.decode()
    assert client.get(HOME).url == SIGN_IN


def test_signing_in_ends_the_other_pending_links(
    client, person, settings, django_capture_on_commit_callbacks
):
    first = request_link(client, person, django_capture_on_commit_callbacks)
    second = request_link(client, person, django_capture_on_commit_callbacks)
    client.post(second)
    client.post(reverse("space:sign_out"))

    assert "déjà servi" in client.post(first).content.decode()


def test_sign_out_ends_the_session_and_is_journaled(
    client, person, django_capture_on_commit_callbacks
):
    client.post(request_link(client, person, django_capture_on_commit_callbacks))

    assert client.get(reverse("space:sign_out")).status_code == 405
    response = client.post(reverse("space:sign_out"))

    assert response.url == SIGN_IN
    assert client.get(HOME).url == SIGN_IN
    assert AuditEntry.objects.filter(action="space.signed_out").count() == 1


# --------------------------------------------------------------------------- separation


def test_a_participant_is_no_staff_user(client, person, django_capture_on_commit_callbacks):
    client.post(request_link(client, person, django_capture_on_commit_callbacks))

    for name in ("dashboard", "formations:participant_list", "sessions:session_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name
    assert client.get(reverse("formations:participant_detail", args=[person.pk])).url.startswith(
        reverse("login")
    )


def test_a_staff_user_is_not_a_participant(client, coordinator, person):
    client.force_login(coordinator)
    assert client.get(HOME).url == SIGN_IN


def test_signing_in_by_link_ends_a_staff_login(
    client, coordinator, person, django_capture_on_commit_callbacks
):
    url = request_link(client, person, django_capture_on_commit_callbacks)
    client.force_login(coordinator)
    old_key = client.session.session_key

    client.post(url)

    assert client.session.session_key != old_key
    assert client.get(reverse("dashboard")).url.startswith(reverse("login"))
    assert client.get(HOME).status_code == 200


def test_a_staff_login_afterwards_drops_the_participant(
    client, coordinator, person, django_capture_on_commit_callbacks
):
    client.post(request_link(client, person, django_capture_on_commit_callbacks))
    client.force_login(coordinator)

    assert client.get(HOME).url == SIGN_IN
    assert space.SESSION_KEY not in client.session


# --------------------------------------------------------------------------- own record


@pytest.fixture
def signed_in(client, person, django_capture_on_commit_callbacks):
    client.post(request_link(client, person, django_capture_on_commit_callbacks))
    return client


def test_an_address_longer_than_the_record_holds_is_refused_with_a_message(signed_in, person):
    long_address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"

    response = signed_in.post(reverse("space:contact"), {"email": long_address, "phone": ""})

    assert response.status_code == 200  # the form again, with its error
    assert "au plus 254 caractères" in response.content.decode()
    person.refresh_from_db()
    assert person.email == "aicha.madi@example.org"


def test_erasing_both_email_and_phone_is_refused(signed_in, person):
    response = signed_in.post(reverse("space:contact"), {"email": "", "phone": ""})

    assert "Gardez au moins une adresse e-mail ou un numéro de mobile" in response.content.decode()
    person.refresh_from_db()
    assert person.email == "aicha.madi@example.org"


def test_contact_details_are_corrected_with_a_valid_phone(signed_in, person):
    response = signed_in.post(
        reverse("space:contact"), {"email": "a.madi@example.org", "phone": "0639 01 23 45"}
    )

    assert response.url == HOME
    person.refresh_from_db()
    assert (person.email, person.phone) == ("a.madi@example.org", "+262639012345")
    entry = AuditEntry.objects.get(action="space.contact_updated")
    assert entry.actor is None and entry.data["fields"] == ["email", "phone"]


def test_an_invalid_phone_is_refused_with_a_message(signed_in, person):
    response = signed_in.post(reverse("space:contact"), {"email": person.email, "phone": "0639 12"})

    assert response.status_code == 200
    assert "Numéro de téléphone invalide : « 0639 12 »" in response.content.decode()
    person.refresh_from_db()
    assert person.phone == ""
    assert not AuditEntry.objects.filter(action="space.contact_updated").exists()


def test_an_email_held_by_someone_else_is_refused(signed_in, person):
    ParticipantFactory(email="deja@example.org")
    response = signed_in.post(reverse("space:contact"), {"email": "DEJA@example.org", "phone": ""})

    assert response.status_code == 200
    assert "Cette adresse ne peut pas être enregistrée ici" in response.content.decode()
    person.refresh_from_db()
    assert person.email == "aicha.madi@example.org"


def test_consents_given_and_withdrawn_from_the_space_are_web_link_rows(signed_in, person):
    url = reverse("space:consents")
    signed_in.post(
        url, {"consent_sms_news_campaigns": "on", "consent_email_evaluation_follow_up": "on"}
    )

    rows = ContactConsent.objects.filter(participant=person).order_by("pk")
    assert [(r.channel, r.purpose, r.action, r.method, r.collected_by) for r in rows] == [
        ("email", "evaluation_follow_up", "given", "web_link", None),
        ("sms", "news_campaigns", "given", "web_link", None),
    ]
    assert rows[0].wording_version == "v1"

    signed_in.post(url, {"consent_email_evaluation_follow_up": "on"})

    last = ContactConsent.objects.filter(participant=person).latest("pk")
    assert (last.channel, last.purpose, last.action, last.method) == (
        "sms",
        "news_campaigns",
        "withdrawn",
        "web_link",
    )
    assert ContactConsent.objects.filter(participant=person).count() == 3
    assert AuditEntry.objects.filter(action__startswith="consent_").count() == 3


def test_a_participant_records_only_their_own_consents(person):
    other = ParticipantFactory()
    with pytest.raises(PermissionDenied):
        space.space_consents_record(
            participant=other, actor=person, changes=[("email", "news_campaigns", True)]
        )
    from formations.consent import consent_give

    with pytest.raises(PermissionDenied):  # not by another method than their link
        consent_give(
            participant=person,
            channel="email",
            purpose="news_campaigns",
            method=ContactConsent.Method.PAPER,
            actor=person,
        )
    with pytest.raises(PermissionDenied):
        space.space_contact_update(participant=other, actor=person, email="x@example.org", phone="")
    with pytest.raises(PermissionDenied):
        space.space_contact_update(
            participant=person, actor=UserFactory(), email="x@example.org", phone=""
        )
    assert not ContactConsent.objects.exists()


# --------------------------------------------------------------------------- not found


def test_a_page_not_found_in_the_space_keeps_the_space_s_layout(signed_in, person):
    response = signed_in.get("/mon-espace/nulle-part/")

    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 404
    assert "ne fait pas partie de votre espace" in page and "votre compte" not in page
    assert f'href="{HOME}">Revenir à mon espace' in page
    assert "Mon espace formation" in page and "Aïcha Madi" in page  # the space's header
    assert reverse("space:sign_out") in page
    assert 'aria-label="Navigation principale"' not in page


def test_a_staff_user_lost_in_the_space_gets_no_staff_menu_there(coordinator_client):
    page = coordinator_client.get("/mon-espace/nulle-part/").content.decode()

    assert 'aria-label="Navigation principale"' not in page
    assert "Revenir à mon espace" in page
    # Elsewhere, the site's own page and menu.
    elsewhere = coordinator_client.get("/nulle-part/").content.decode()
    assert 'aria-label="Navigation principale"' in elsewhere
