import io

import pytest

from formations import sms
from formations.sms import SmsError, SmsMessage, get_connection
from formations.sms.console import SmsBackend as ConsoleBackend
from formations.sms.filebased import SmsBackend as FileBackend
from formations.sms.locmem import SmsBackend as MemoryBackend


def test_tests_use_the_memory_backend_which_keeps_messages_and_returns_ids():
    connection = get_connection()

    ids = connection.send_messages(
        [
            SmsMessage(to="+262639691234", body="Convocation"),
            SmsMessage(to="+33612345678", body="b"),
        ]
    )

    assert isinstance(connection, MemoryBackend)
    assert len(set(ids)) == 2 and all(i.startswith("locmem-") for i in ids)
    assert [m.to for m in sms.outbox] == ["+262639691234", "+33612345678"]
    assert sms.outbox[0].sender == "Formations"


def test_get_connection_takes_a_dotted_path():
    stream = io.StringIO()

    connection = get_connection("formations.sms.console.SmsBackend", stream=stream)

    assert isinstance(connection, ConsoleBackend)


def test_console_backend_writes_number_key_and_text():
    stream = io.StringIO()
    with ConsoleBackend(stream=stream) as connection:
        [message_id] = connection.send_messages(
            [SmsMessage(to="+262639691234", body="Rendez-vous lundi", idempotency_key="k-1")]
        )

    text = stream.getvalue()
    assert message_id in text
    assert "À : +262639691234" in text
    assert "Clé : k-1" in text
    assert "Rendez-vous lundi" in text


def test_file_backend_writes_one_file_per_message(tmp_path):
    connection = FileBackend(file_path=tmp_path / "sms")

    ids = connection.send_messages(
        [SmsMessage(to="+33612345678", body="un"), SmsMessage(to="+33612345679", body="deux")]
    )

    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    assert all(any(i in f.name for i in ids) for f in files)
    contents = {f.read_text(encoding="utf-8").splitlines()[-1] for f in files}
    assert contents == {"un", "deux"}


def test_file_backend_uses_the_setting(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "boite"

    get_connection("formations.sms.filebased.SmsBackend").send_messages(
        [SmsMessage(to="+33612345678", body="x")]
    )

    assert len(list((tmp_path / "boite").iterdir())) == 1


def test_without_a_configured_provider_every_sms_fails_saying_why():
    connection = get_connection("formations.sms.base.DisabledSmsBackend")

    with pytest.raises(SmsError) as error:
        connection.send_messages([SmsMessage(to="+33612345678", body="x")])

    assert error.value.code == "not_configured"
    assert "SUIVI_SMS_BACKEND" in error.value.message
    assert connection.send_messages([]) == []


def test_send_sms_hands_one_message_to_the_configured_backend():
    message_id = sms.send_sms(to="+262639691234", body="Lien", idempotency_key="row-7")

    assert message_id.startswith("locmem-")
    [message] = sms.outbox
    assert (message.to, message.body, message.idempotency_key, message.marketing) == (
        "+262639691234",
        "Lien",
        "row-7",
        False,
    )
