"""A notice to the old e-mail address or mobile number when a participant's contact
details change, from their space or from the coordinator's form
(`formations.contact_notice`)."""

import pytest
from django.core import mail
from django.urls import reverse

from formations import space
from formations.contact_notice import mask_email
from formations.models import ContactConsent, OutboxMessage
from formations.sms import outbox as sms_outbox
from tests.factories import ContactConsentFactory, ParticipantFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return ParticipantFactory(
        first_name="Aïcha",
        last_name="Madi",
        email="aicha.madi@example.org",
        phone="+33612345678",
        structure=StructureFactory(territory="Métropole"),
    )


def notices():
    return list(OutboxMessage.objects.filter(purpose="contact_changed").order_by("channel"))


def update(person, *, email, phone, committed):
    with committed(execute=True):
        return space.space_contact_update(
            participant=person, actor=person, email=email, phone=phone
        )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_a_new_address_from_the_space_warns_the_old_one(person, committed):
    update(person, email="nouvelle.adresse@autre.fr", phone="06 12 34 56 78", committed=committed)

    [notice] = notices()
    assert (notice.channel, notice.recipient, notice.participant) == (
        "email",
        "aicha.madi@example.org",
        person,
    )
    assert notice.legal_basis == "service" and notice.status == OutboxMessage.Status.SENT
    assert notice.subject == "Vos coordonnées ont été modifiées"
    body = notice.body
    assert "ont été modifiées depuis votre espace le" in body
    assert "nouvelle adresse e-mail : n***@a***.fr (masquée)" in body
    assert "nouvelle.adresse" not in body and "autre.fr" not in body
    assert "Si vous n'êtes pas à l'origine de ce changement" in body
    [sent] = mail.outbox
    assert sent.to == ["aicha.madi@example.org"]
    assert not sms_outbox


def test_a_new_number_from_the_coordinator_s_form_warns_the_old_number_by_sms(
    coordinator_client, coordinator, person, committed
):
    url = reverse("formations:participant_edit", args=[person.pk])
    data = {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "email": "AICHA.MADI@example.org",  # the same address, but for case: no notice
        "phone": "06 98 76 54 32",
        "job_title": "",
        "structure": person.structure_id,
        "post_taken_on": "",
    }
    with committed(execute=True):
        response = coordinator_client.post(url, data)

    assert response.status_code == 302
    [notice] = notices()
    assert (notice.channel, notice.recipient, notice.requested_by) == (
        "sms",
        "+33612345678",
        coordinator,
    )
    assert "le numéro de mobile de votre espace a été modifié le" in notice.body
    assert "98 76" not in notice.body and "0698765432" not in notice.body
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "+33612345678"


def test_both_changed_by_the_coordination_warns_both_old_ones(
    coordinator_client, person, committed
):
    data = {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "email": "a.madi@example.org",
        "phone": "",
        "job_title": "",
        "structure": person.structure_id,
        "post_taken_on": "",
    }
    with committed(execute=True):
        coordinator_client.post(reverse("formations:participant_edit", args=[person.pk]), data)

    email, sms = notices()
    assert (email.recipient, sms.recipient) == ("aicha.madi@example.org", "+33612345678")
    assert "par la coordination de votre formation" in email.body
    assert "numéro de mobile retiré" in email.body
    assert "a***@e***.org" in email.body


def test_no_notice_when_the_old_value_was_empty_or_nothing_changed(person, committed):
    person.phone = ""
    person.save()
    update(person, email=person.email, phone="06 12 34 56 78", committed=committed)
    update(person, email=person.email, phone="06 12 34 56 78", committed=committed)

    assert notices() == []


def test_a_withdrawn_consent_does_not_stop_the_security_notice(person, committed):
    for channel in ("email", "sms"):
        ContactConsentFactory(
            participant=person,
            channel=channel,
            purpose="news_campaigns",
            action=ContactConsent.Action.WITHDRAWN,
        )
    update(person, email="autre@example.org", phone="06 11 22 33 44", committed=committed)

    assert [(n.channel, n.status) for n in notices()] == [
        ("email", OutboxMessage.Status.SENT),
        ("sms", OutboxMessage.Status.SENT),
    ]


def test_a_refused_change_sends_nothing(person, committed):
    ParticipantFactory(email="deja@example.org")
    with pytest.raises(space.SpaceError):
        update(person, email="deja@example.org", phone="", committed=committed)

    assert notices() == []


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("aicha.madi@example.org", "a***@e***.org"),
        ("x@localhost", "x***@l***"),
        ("pas-une-adresse", "***"),
    ],
)
def test_the_new_address_is_only_hinted_at(address, masked):
    assert mask_email(address) == masked
