import pytest

from formations.sms import SmsError, SmsMessage, get_connection
from formations.sms.brevo import SmsBackend, needs_unicode


@pytest.fixture
def brevo(fake_brevo):
    return SmsBackend(api_key="xkeysib-test", url=fake_brevo.url, sender="CSCArbris")


def test_send_posts_brevo_json_and_returns_its_message_id(brevo, fake_brevo):
    [message_id] = brevo.send_messages(
        [SmsMessage(to="+262639691234", body="Convocation lundi 9 h", idempotency_key="ob-42")]
    )

    assert message_id == "1511882900176220"
    [request] = fake_brevo.requests
    assert request["path"] == "/v3/transactionalSMS/send"
    assert request["headers"]["api-key"] == "xkeysib-test"
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["accept"] == "application/json"
    assert request["json"] == {
        "sender": "CSCArbris",
        "recipient": "262639691234",
        "content": "Convocation lundi 9 h",
        "type": "transactional",
        "unicodeEnabled": False,
        "tag": "ob-42",
    }


def test_each_message_gets_its_own_request_and_id(brevo, fake_brevo):
    ids = brevo.send_messages(
        [SmsMessage(to="+33612345678", body="a"), SmsMessage(to="+33612345679", body="b")]
    )

    assert ids == ["1511882900176220", "1511882900176221"]
    assert [r["json"]["recipient"] for r in fake_brevo.requests] == ["33612345678", "33612345679"]


def test_marketing_sms_carry_the_stop_mention_and_type(brevo, fake_brevo):
    brevo.send_messages([SmsMessage(to="+33612345678", body="Forum lundi", marketing=True)])

    sent = fake_brevo.requests[0]["json"]
    assert sent["type"] == "marketing"
    assert sent["content"] == "Forum lundi\nSTOP au [STOP CODE]"
    assert "tag" not in sent


def test_accents_outside_the_sms_alphabet_switch_unicode_on():
    assert not needs_unicode("Réunion à 9 h, salle É")
    assert needs_unicode("Fête de fin de formation")
    assert needs_unicode("l’accueil")


def test_http_error_raises_with_the_providers_message(brevo, fake_brevo):
    fake_brevo.respond(400, {"code": "invalid_parameter", "message": "recipient is not valid"})

    with pytest.raises(SmsError) as error:
        brevo.send_messages([SmsMessage(to="+33612345678", body="x")])

    assert error.value.code == "invalid_parameter"
    assert error.value.status == 400
    assert error.value.provider_message == "recipient is not valid"
    assert not error.value.retryable
    assert "HTTP 400" in error.value.message and "recipient is not valid" in error.value.message


def test_server_errors_and_rate_limits_may_be_retried(brevo, fake_brevo):
    fake_brevo.respond(503, b"<html>busy</html>")
    fake_brevo.respond(429, {"code": "too_many_requests", "message": "slow down"})

    with pytest.raises(SmsError) as unavailable:
        brevo.send_messages([SmsMessage(to="+33612345678", body="x")])
    with pytest.raises(SmsError) as limited:
        brevo.send_messages([SmsMessage(to="+33612345678", body="x")])

    assert (unavailable.value.code, unavailable.value.retryable) == ("http_503", True)
    assert "busy" in unavailable.value.message
    assert (limited.value.code, limited.value.retryable) == ("too_many_requests", True)


def test_a_failure_says_which_messages_of_the_call_were_sent(brevo, fake_brevo):
    fake_brevo.respond(201, {"messageId": 7})
    fake_brevo.respond(400, {"code": "invalid_parameter", "message": "bad"})

    with pytest.raises(SmsError) as error:
        brevo.send_messages(
            [SmsMessage(to="+33612345678", body="a"), SmsMessage(to="+33612345679", body="b")]
        )

    assert error.value.sent_ids == ["7"]


def test_an_answer_without_message_id_is_an_error(brevo, fake_brevo):
    fake_brevo.respond(201, {})

    with pytest.raises(SmsError) as error:
        brevo.send_messages([SmsMessage(to="+33612345678", body="x")])

    assert error.value.code == "no_message_id"


def test_unreachable_provider_is_a_retryable_error(closed_port_url):
    backend = SmsBackend(api_key="k", url=closed_port_url, timeout=2)

    with pytest.raises(SmsError) as error:
        backend.send_messages([SmsMessage(to="+33612345678", body="x")])

    assert (error.value.code, error.value.retryable) == ("unreachable", True)


def test_without_api_key_nothing_is_sent(fake_brevo):
    backend = SmsBackend(api_key="", url=fake_brevo.url)

    with pytest.raises(SmsError) as error:
        backend.send_messages([SmsMessage(to="+33612345678", body="x")])

    assert error.value.code == "not_configured"
    assert fake_brevo.requests == []


def test_settings_configure_the_backend(settings, fake_brevo):
    settings.SMS_BACKEND = "formations.sms.brevo.SmsBackend"
    settings.SUIVI_BREVO_API_KEY = "from-settings"
    settings.SUIVI_BREVO_SMS_URL = fake_brevo.url
    settings.SMS_SENDER = "Suivi"

    get_connection().send_messages([SmsMessage(to="+33612345678", body="x")])

    request = fake_brevo.requests[0]
    assert request["headers"]["api-key"] == "from-settings"
    assert request["json"]["sender"] == "Suivi"
