import base64
import datetime as dt
import json
import time

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from formations import outbox, sms
from formations.consent import may_contact
from formations.models import AuditEntry, ContactConsent, SmsEvent
from tests.factories import ContactConsentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-partage"
URL = "/webhooks/sms/brevo/"


@pytest.fixture(autouse=True)
def brevo_settings(settings):
    settings.SMS_BACKEND = "formations.sms.brevo.SmsBackend"
    settings.SUIVI_BREVO_API_KEY = "xkeysib-test"
    settings.SUIVI_SMS_WEBHOOK_SECRET = SECRET


def post(client, payload, *, token=SECRET, auth=None, url=URL):
    headers = {}
    if auth is not None:
        headers["Authorization"] = auth
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", headers=headers)


def delivered(message_id=1511882900176220, status="delivered", **extra):
    return {
        "id": 26570,
        "to": "262639691234",
        "sms_count": 1,
        "credits_used": 1.5,
        "messageId": message_id,
        "msg_status": status,
        "date": "2026-03-02 10:15:00",
        "ts_event": int(time.time()) - 60,
        "type": "transactional",
        **extra,
    }


def test_url_is_the_documented_one():
    assert reverse("formations:sms_webhook", args=["brevo"]) == URL


def test_a_delivery_receipt_is_recorded_once(client):
    response = post(client, delivered(ts_event=1772442900))
    again = post(client, delivered(ts_event=1772442900))

    assert response.status_code == 200
    assert response.json() == {"received": 1, "recorded": 1}
    assert again.json() == {"received": 1, "recorded": 0}
    event = SmsEvent.objects.get()
    assert (event.provider, event.status, event.message_id, event.phone) == (
        "brevo",
        "delivered",
        "1511882900176220",
        "+262639691234",
    )
    assert event.occurred_at.isoformat() == "2026-03-02T09:15:00+00:00"


def test_a_bounce_is_a_failure_with_its_reason(client):
    post(client, delivered(status="hard_bounce", reason="unknown subscriber"))

    event = SmsEvent.objects.get()
    assert (event.status, event.provider_status, event.text) == (
        "failed",
        "hard_bounce",
        "unknown subscriber",
    )


def test_batched_events_are_all_recorded(client):
    response = post(client, [delivered(1, "sent"), delivered(1, "delivered")])

    assert response.json() == {"received": 2, "recorded": 2}
    assert sorted(SmsEvent.objects.values_list("status", flat=True)) == ["delivered", "sent"]


def test_basic_authentication_from_the_webhook_url_is_accepted(client):
    credentials = base64.b64encode(f"brevo:{SECRET}".encode()).decode()

    response = post(client, delivered(), auth=f"Basic {credentials}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Bearer faux-secret",
        f"Bearer {SECRET}x",
        "Basic " + base64.b64encode(b"brevo:faux").decode(),
        "Basic pas-du-base64",
        f"Token {SECRET}",
    ],
)
def test_unsigned_or_forged_calls_are_refused(client, auth):
    response = post(client, delivered(), token=None, auth=auth)

    assert response.status_code == 403
    assert "authentification" in response.content.decode()
    assert not SmsEvent.objects.exists()


def test_without_a_configured_secret_every_call_is_refused(client, settings):
    settings.SUIVI_SMS_WEBHOOK_SECRET = ""

    assert post(client, delivered(), token="").status_code == 403
    assert not SmsEvent.objects.exists()


def test_an_unreadable_body_is_a_bad_request(client):
    response = post(client, b"{not json")

    assert response.status_code == 400
    assert not SmsEvent.objects.exists()


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_numbers_json_does_not_have_are_a_bad_request(client, constant):
    body = json.dumps(delivered()).encode().replace(b"1.5", constant)

    assert post(client, body).status_code == 400
    assert not SmsEvent.objects.exists()


def test_only_the_configured_provider_has_a_webhook(client, settings):
    assert post(client, delivered(), url="/webhooks/sms/autre/").status_code == 404
    settings.SMS_BACKEND = "formations.sms.locmem.SmsBackend"
    assert post(client, delivered()).status_code == 404


def test_the_webhook_takes_only_post(client):
    assert client.get(URL).status_code == 405


# --- STOP ---------------------------------------------------------------------------------


@pytest.fixture
def person():
    """Consenting to everything since a paper form signed a month ago."""
    person = ParticipantFactory(phone="+262639691234", email="awa@example.org")
    signed = timezone.now() - dt.timedelta(days=30)
    for channel in ("sms", "email"):
        for purpose in ("news_campaigns", "evaluation_follow_up"):
            ContactConsentFactory(participant=person, channel=channel, purpose=purpose, at=signed)
    return person


def reply(text, **extra):
    return delivered(status="replied", reply=text, **extra)


def test_a_stop_reply_withdraws_the_sms_consents_of_that_number(client, person):
    response = post(client, reply("Stop"))

    assert response.status_code == 200
    assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")
    assert may_contact(person, "sms", "evaluation_follow_up") == (False, "consent_withdrawn")
    assert may_contact(person, "email", "news_campaigns") == (True, "consent")
    withdrawals = ContactConsent.objects.filter(action="withdrawn")
    assert {(w.channel, w.method, w.collected_by) for w in withdrawals} == {
        ("sms", "sms_stop", None)
    }
    assert "Réponse « Stop » au SMS 1511882900176220 (brevo)" in withdrawals[0].note
    assert AuditEntry.objects.filter(action="consent_withdrawn").count() == 2
    assert SmsEvent.objects.get().status == "reply"


@pytest.mark.parametrize("text", ["STOP", "stop merci", " Arrêt ", "STOP SMS"])
def test_stop_words_in_any_case_withdraw(client, person, text):
    post(client, reply(text))

    assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")


def test_the_providers_unsubscribe_event_withdraws_too(client, person):
    post(client, delivered(status="unsubscribe"))

    assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")


def test_another_reply_changes_nothing(client, person):
    post(client, reply("Merci, je ne pourrai pas venir : pas stop"))

    assert may_contact(person, "sms", "news_campaigns") == (True, "consent")
    assert SmsEvent.objects.get().text == "Merci, je ne pourrai pas venir : pas stop"


def test_a_stop_from_an_unknown_number_is_journaled(client, person):
    post(client, reply("STOP", to="33612345678"))

    entry = AuditEntry.objects.get(action="sms_stop_unmatched")
    assert "+33612345678" in entry.summary
    assert may_contact(person, "sms", "news_campaigns") == (True, "consent")


def test_a_consent_given_after_the_stop_counts_again(client, person):
    post(client, reply("STOP"))
    ContactConsentFactory(participant=person, channel="sms", purpose="news_campaigns")

    assert may_contact(person, "sms", "news_campaigns") == (True, "consent")


def test_a_stop_received_twice_withdraws_once(client, person):
    post(client, reply("STOP"))
    post(client, reply("STOP", ts_event=int(time.time()) - 30))

    assert ContactConsent.objects.filter(action="withdrawn").count() == 2  # one per purpose


@pytest.fixture
def news(monkeypatch):
    """A purpose that needs consent (the messaging issue adds the real ones)."""
    monkeypatch.setitem(
        outbox.PURPOSES,
        "news",
        outbox.MessagePurpose("Actualités", contact_purpose="news_campaigns"),
    )
    return "news"


def _sms(person, body, purpose):
    return outbox.outbox_enqueue(
        channel="sms",
        purpose=purpose,
        recipient=person.phone,
        participant=person,
        body=body,
        deliver=False,
    )


def _deliver(message):
    """Delivered through the memory backend; the webhook stays Brevo's."""
    with override_settings(SMS_BACKEND="formations.sms.locmem.SmsBackend"):
        return outbox.deliver_pending(message_ids=[message.pk]).get(message.pk)


def test_an_sms_to_a_withdrawn_consent_is_not_sent(client, person, news):
    first = _sms(person, "Forum lundi", news)
    written_before_the_stop = _sms(person, "Forum mardi", news)
    assert first.legal_basis == written_before_the_stop.legal_basis == "consent"
    assert _deliver(first) == "sent"
    assert len(sms.outbox) == 1

    post(client, reply("STOP"))
    after = _sms(person, "Forum mercredi", news)

    assert _deliver(written_before_the_stop) == "abandoned"
    written_before_the_stop.refresh_from_db()
    assert written_before_the_stop.refused_reason == "Refusé à l'envoi : consentement retiré."
    assert (after.status, after.refused_reason) == ("abandoned", "Refusé : consentement retiré.")
    assert _deliver(after) is None  # abandoned rows are never claimed
    assert [m.body for m in sms.outbox] == ["Forum lundi"]


def test_a_service_sms_goes_whatever_the_consents_say(client, person):
    post(client, reply("STOP"))

    message = _sms(person, "Votre lien d'émargement", "remote_link")

    assert message.legal_basis == "service"
    assert _deliver(message) == "sent"
    assert [m.body for m in sms.outbox] == ["Votre lien d'émargement"]


def test_a_consent_message_without_consent_is_recorded_refused(news):
    stranger = ParticipantFactory(phone="+33612345678")

    message = _sms(stranger, "Forum", news)

    assert (message.status, message.legal_basis) == ("abandoned", "consent")
    assert message.refused_reason == "Refusé : pas de consentement pour ce canal."


def test_delivery_receipts_update_the_outbox_row(client, person):
    delivered_one = _sms(person, "Convocation", "convocation")
    bounced = _sms(person, "Lien", "remote_link")
    _deliver(delivered_one)
    _deliver(bounced)
    delivered_one.refresh_from_db()
    bounced.refresh_from_db()

    post(client, delivered(message_id=delivered_one.provider_message_id, ts_event=1772442900))
    post(
        client,
        delivered(
            message_id=bounced.provider_message_id,
            status="hard_bounce",
            reason="unknown subscriber",
        ),
    )

    delivered_one.refresh_from_db()
    bounced.refresh_from_db()
    assert delivered_one.status == "delivered"
    assert delivered_one.delivered_at.isoformat() == "2026-03-02T09:15:00+00:00"
    assert bounced.status == "failed"
    assert bounced.last_error.startswith("Non délivré selon le fournisseur : hard_bounce")
