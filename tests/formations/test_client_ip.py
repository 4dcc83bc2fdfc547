"""The client's address behind reverse proxies (`formations.client_ip`), as the audit
journal, the signatures and the space's sign-in limit per address read it."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from formations.audit import AuditRequestMiddleware, current_ip
from formations.client_ip import client_ip
from formations.models import OutboxMessage
from tests.factories import ParticipantFactory

PROXY = "10.0.0.2"  # what REMOTE_ADDR holds behind the proxy: the same for everyone


def request(forwarded=None, remote=PROXY):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxy_the_header_is_ignored(settings):
    settings.SUIVI_TRUSTED_PROXY_COUNT = 0

    assert client_ip(request("203.0.113.9", remote="198.51.100.1")) == "198.51.100.1"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # The client wrote « 192.0.2.66 » itself; the proxy appended what it saw.
        (1, "192.0.2.66, 203.0.113.9", "203.0.113.9"),
        (1, "192.0.2.66,203.0.113.9 ", "203.0.113.9"),
        # Two proxies: the outer one appended the client, the inner one the outer one.
        (2, "192.0.2.66, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (1, " 2001:DB8::7 ", "2001:db8::7"),
    ],
)
def test_the_n_th_address_from_the_right_is_the_client(settings, count, forwarded, expected):
    settings.SUIVI_TRUSTED_PROXY_COUNT = count

    assert client_ip(request(forwarded)) == expected


@pytest.mark.parametrize(
    ("count", "forwarded"),
    [
        (1, None),  # not through the proxy
        (1, ""),
        (2, "203.0.113.9"),  # shorter than the proxies declared
        (1, "192.0.2.66, pas-une-adresse"),
        (1, "192.0.2.66, unknown"),
    ],
)
def test_a_missing_short_or_invalid_header_falls_back_to_remote_addr(settings, count, forwarded):
    settings.SUIVI_TRUSTED_PROXY_COUNT = count

    assert client_ip(request(forwarded)) == PROXY


def test_the_audit_journal_keeps_the_client_behind_the_proxy(settings):
    settings.SUIVI_TRUSTED_PROXY_COUNT = 1
    seen = []
    middleware = AuditRequestMiddleware(lambda request: seen.append(current_ip()))

    middleware(request("192.0.2.66, 203.0.113.9"))

    assert seen == ["203.0.113.9"]


@pytest.mark.django_db
def test_the_space_limit_per_ip_counts_clients_not_the_proxy(
    client, settings, django_capture_on_commit_callbacks
):
    """Behind one proxy, two clients are two addresses; one client forging the leftmost
    entry of X-Forwarded-For is still counted as itself."""
    settings.SUIVI_TRUSTED_PROXY_COUNT = 1
    settings.SUIVI_SPACE_LINK_REQUESTS_PER_IP_HOUR = 2
    people = ParticipantFactory.create_batch(6)
    sign_in = reverse("space:sign_in")
    with django_capture_on_commit_callbacks(execute=True):
        for i, person in enumerate(people[:4]):
            # The same client, a different forged address each time.
            client.post(
                sign_in,
                {"address": person.email},
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9",
            )
        for person in people[4:]:
            client.post(
                sign_in,
                {"address": person.email},
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR="203.0.113.10",
            )

    sent_to = set(OutboxMessage.objects.values_list("participant", flat=True))
    assert sent_to == {people[0].pk, people[1].pk, people[4].pk, people[5].pk}
