"""The participant import reads phones into E.164 and consent columns into records."""

import pytest

from formations.consent import may_contact
from formations.importing import import_participants
from formations.models import AuditEntry, ContactConsent, Participant
from tests.factories import StructureFactory
from tests.factories.importing import HEADER, csv_bytes, person

pytestmark = pytest.mark.django_db

CONSENT_HEADER = [*HEADER, "consentement_email", "consentement_sms"]


def run(content, *, actor=None):
    return import_participants(file_name="liste.csv", content=content, actor=actor)


def row(nom, telephone="", email_ok="", sms_ok="", **kwargs):
    return [
        *person(nom=nom, email=f"{nom.lower()}@example.org", telephone=telephone, **kwargs),
        email_ok,
        sms_ok,
    ]


def test_phones_are_stored_in_e164_with_the_structures_territory():
    StructureFactory(name="CCAS de Dembeni", territory="Mayotte")
    content = csv_bytes(
        [
            row("Madi", "0639 69 12 34", structure="CCAS de Dembeni"),
            row("Martin", "06.12.34.56.78"),
            row("Payet", "+262 692 12 34 56"),
        ],
        header=CONSENT_HEADER,
    )

    report = run(content)

    assert not report.has_errors, [line.messages for line in report.lines]
    phones = dict(Participant.objects.values_list("last_name", "phone"))
    assert phones == {
        "Madi": "+262639691234",
        "Martin": "+33612345678",
        "Payet": "+262692123456",
    }


def test_an_invalid_phone_refuses_the_file_naming_line_and_value():
    content = csv_bytes([row("Madi", "0639 12"), row("Martin", "06 12 34 56 78")])

    report = run(content)

    assert report.has_errors
    [error_line] = report.error_lines
    assert error_line.line_number == 2
    assert error_line.errors[0].startswith("Numéro de téléphone invalide : « 0639 12 ».")
    assert not Participant.objects.exists()


def test_the_same_number_written_two_ways_is_the_same_person():
    content = csv_bytes([row("Madi", "0639 69 12 34"), row("Madi", "+262639691234")])

    report = run(content)

    assert [line.outcome for line in report.lines] == ["create", "same"]
    assert report.lines[1].warnings == []


def test_consent_columns_become_consent_records_of_the_import(coordinator):
    content = csv_bytes(
        [
            row("Madi", "0639 69 12 34", email_ok="oui", sms_ok="Oui"),
            row("Martin", email_ok="non", sms_ok=""),
        ],
        header=CONSENT_HEADER,
    )

    report = run(content, actor=coordinator)

    assert not report.has_errors
    madi = Participant.objects.get(last_name="Madi")
    rows = ContactConsent.objects.order_by("channel")
    assert [(r.participant, r.channel, r.purpose) for r in rows] == [
        (madi, "email", "evaluation_follow_up"),
        (madi, "sms", "evaluation_follow_up"),
    ]
    assert {(r.method, r.collected_by, r.wording_version, r.note) for r in rows} == {
        ("import", coordinator, "v1", "« liste.csv », ligne 2")
    }
    assert may_contact(madi, "sms", "evaluation_follow_up") == (True, "consent")
    martin = Participant.objects.get(last_name="Martin")
    assert may_contact(martin, "email", "evaluation_follow_up") == (False, "no_consent")
    entry = AuditEntry.objects.get(action="participants_imported")
    assert entry.data["consent_ids"] == [r.pk for r in ContactConsent.objects.order_by("pk")]


def test_a_consent_value_that_is_neither_yes_nor_no_is_an_error():
    content = csv_bytes([row("Madi", email_ok="peut-être")], header=CONSENT_HEADER)

    report = run(content)

    assert report.lines[0].errors == [
        "« consentement_email » : « peut-être » n'est ni « oui » ni « non »."
    ]
    assert not ContactConsent.objects.exists()
