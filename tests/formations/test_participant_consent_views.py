"""The participant's form and page: phone numbers in E.164, consents per channel."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from formations.consent import may_contact
from formations.models import AuditEntry, ContactConsent, Participant
from tests.factories import ContactConsentFactory, ParticipantFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mayotte():
    return StructureFactory(name="CCAS de Dembeni", territory="Mayotte", commune="Dembeni")


def data(structure, **overrides):
    return {
        "last_name": "Madi",
        "first_name": "Zaïnaba",
        "email": "zainaba@example.org",
        "phone": "",
        "job_title": "",
        "structure": structure.pk,
        "post_taken_on": "",
        **overrides,
    }


def create(client, structure, **overrides):
    return client.post(reverse("formations:participant_create"), data(structure, **overrides))


def test_a_mayotte_mobile_is_stored_in_e164(coordinator_client, mayotte):
    response = create(coordinator_client, mayotte, phone="06 39 69 12 34")

    assert response.status_code == 302
    assert Participant.objects.get().phone == "+262639691234"


def test_an_invalid_phone_is_a_field_error_naming_it(coordinator_client, mayotte):
    response = create(coordinator_client, mayotte, phone="0639 12")

    assert response.status_code == 200
    [error] = response.context["form"].errors["phone"]
    assert error.startswith("Numéro de téléphone invalide : « 0639 12 ».")
    assert not Participant.objects.exists()


def test_a_consent_box_needs_to_say_how_it_was_given(coordinator_client, mayotte):
    response = create(coordinator_client, mayotte, consent_sms_news_campaigns="on")

    assert response.context["form"].errors["consent_method"] == [
        "Indiquez comment la personne a donné ou retiré son accord."
    ]
    assert not Participant.objects.exists()


def test_ticked_boxes_become_consents_with_method_date_and_collector(
    coordinator_client, coordinator, mayotte
):
    response = create(
        coordinator_client,
        mayotte,
        phone="0639 69 12 34",
        consent_sms_news_campaigns="on",
        consent_email_evaluation_follow_up="on",
        consent_method="paper",
        consent_date="2026-01-15",
    )

    assert response.status_code == 302
    person = Participant.objects.get()
    rows = ContactConsent.objects.order_by("channel")
    assert [(r.channel, r.purpose, r.action) for r in rows] == [
        ("email", "evaluation_follow_up", "given"),
        ("sms", "news_campaigns", "given"),
    ]
    assert {(r.method, r.collected_by, r.wording_version) for r in rows} == {
        ("paper", coordinator, "v1")
    }
    assert timezone.localtime(rows[0].at).date() == dt.date(2026, 1, 15)
    assert may_contact(person, "sms", "news_campaigns") == (True, "consent")
    assert AuditEntry.objects.filter(action="consent_given").count() == 2


def test_unticking_a_box_withdraws_that_consent_only(coordinator_client, coordinator, mayotte):
    person = ParticipantFactory(structure=mayotte, phone="+262639691234", email="z@example.org")
    signed = timezone.now() - dt.timedelta(days=30)
    ContactConsentFactory(participant=person, channel="sms", purpose="news_campaigns", at=signed)
    ContactConsentFactory(participant=person, channel="email", purpose="news_campaigns", at=signed)
    url = reverse("formations:participant_edit", args=[person.pk])
    form = coordinator_client.get(url).context["form"]
    assert form["consent_sms_news_campaigns"].initial is True
    assert form["phone"].value() == "0639 69 12 34"

    response = coordinator_client.post(
        url,
        data(
            mayotte,
            email="z@example.org",
            phone="0639 69 12 34",
            consent_email_news_campaigns="on",
            consent_method="oral",
        ),
    )

    assert response.status_code == 302
    assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")
    assert may_contact(person, "email", "news_campaigns") == (True, "consent")
    withdrawn = ContactConsent.objects.get(action="withdrawn")
    assert (withdrawn.method, withdrawn.collected_by) == ("oral", coordinator)


def test_saving_without_touching_the_boxes_writes_no_consent(coordinator_client, mayotte):
    person = ParticipantFactory(structure=mayotte, email="z@example.org")
    ContactConsentFactory(participant=person)
    url = reverse("formations:participant_edit", args=[person.pk])

    coordinator_client.post(
        url,
        data(mayotte, email="z@example.org", job_title="Conseillère")
        | {"consent_email_evaluation_follow_up": "on"},
    )

    assert ContactConsent.objects.count() == 1
    assert not AuditEntry.objects.filter(action__startswith="consent").exists()


def test_the_page_shows_the_phone_as_dialled_and_the_consents(coordinator_client, mayotte):
    person = ParticipantFactory(structure=mayotte, phone="+262639691234")
    ContactConsentFactory(
        participant=person,
        channel="sms",
        purpose="evaluation_follow_up",
        at=timezone.make_aware(dt.datetime(2026, 3, 1, 10)),
    )

    html = coordinator_client.get(person.get_absolute_url()).content.decode()

    assert '<a href="tel:+262639691234">0639 69 12 34</a>' in html
    assert "accordé le 1er mars 2026 (texte v1)" in html
    assert html.count("non recueilli") == 3
    assert "bulletin papier signé" in html


def test_auditors_do_not_see_consents(client, auditor):
    from tests.factories import EnrolmentFactory, FormationFactory, ProgrammeFactory

    programme = ProgrammeFactory()
    programme.funders.add(auditor.funders.get())
    person = ParticipantFactory(phone="+262639691234")
    ContactConsentFactory(participant=person)
    EnrolmentFactory(participant=person, session__formation=FormationFactory(programme=programme))
    client.force_login(auditor)

    html = client.get(person.get_absolute_url()).content.decode()

    assert "Accord pour être recontacté·e" not in html
    assert "0639" not in html


def test_the_list_shows_national_numbers_and_exports_e164(coordinator_client, mayotte):
    person = ParticipantFactory(structure=mayotte, phone="+262639691234")
    ContactConsentFactory(participant=person, channel="sms", purpose="news_campaigns")
    url = reverse("formations:participant_list")

    html = coordinator_client.get(url).content.decode()
    export = coordinator_client.get(url + "?_export=csv")
    csv = b"".join(export.streaming_content).decode("utf-8-sig")

    assert "0639 69 12 34" in html
    assert "+262639691234;" in csv
    assert "'+262639691234" not in csv
    assert csv.splitlines()[1].endswith(";non;actualités et campagnes")


class TestConsentPage:
    """« Enregistrer un accord ou un retrait », from the participant's page."""

    @pytest.fixture
    def person(self, mayotte):
        return ParticipantFactory(structure=mayotte, phone="+262639691234", email="z@example.org")

    def url(self, person):
        return reverse("formations:participant_consents", args=[person.pk])

    def test_the_page_offers_each_box_with_its_wording_and_the_collection_fields(
        self, coordinator_client, person
    ):
        ContactConsentFactory(participant=person, channel="email", purpose="news_campaigns")

        response = coordinator_client.get(self.url(person))

        html = response.content.decode()
        form = response.context["form"]
        assert [name for name in form.fields if name.startswith("consent_")] == [
            "consent_email_evaluation_follow_up",
            "consent_sms_evaluation_follow_up",
            "consent_email_news_campaigns",
            "consent_sms_news_campaigns",
            "consent_method",
            "consent_date",
            "consent_collected_by",
            "consent_note",
        ]
        assert form["consent_email_news_campaigns"].initial is True
        assert form["consent_sms_news_campaigns"].initial is False
        # « Moi-même » is the one keying in: not offered a second time under their name.
        collectors = form.fields["consent_collected_by"].queryset
        assert response.wsgi_request.user not in collectors
        assert "Texte v1 : « J&#x27;accepte de recevoir par SMS les actualités" in html
        assert 'aria-describedby="id_consent_sms_news_campaigns_helptext"' in html
        assert '<label for="id_consent_sms_news_campaigns">SMS — actualités et campagnes' in html
        assert "0639 69 12 34" in html

    def test_recording_names_the_collector_method_date_and_note(
        self, coordinator_client, coordinator, trainer, person
    ):
        response = coordinator_client.post(
            self.url(person),
            {
                "consent_sms_evaluation_follow_up": "on",
                "consent_method": "paper",
                "consent_date": "2026-01-15",
                "consent_collected_by": trainer.pk,
                "consent_note": "bulletin classé au dossier",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == person.get_absolute_url() + "#participant-consents"
        row = ContactConsent.objects.get()
        assert (row.channel, row.purpose, row.action, row.wording_version) == (
            "sms",
            "evaluation_follow_up",
            "given",
            "v1",
        )
        assert (row.method, row.collected_by, row.note) == (
            "paper",
            trainer,
            "bulletin classé au dossier",
        )
        assert timezone.localtime(row.at).date() == dt.date(2026, 1, 15)
        entry = AuditEntry.objects.get(action="consent_given")
        assert (entry.actor, entry.data["collected_by"]) == (coordinator, trainer.pk)
        page = coordinator_client.get(response["Location"]).content.decode()
        assert f"1 changement enregistré pour « {escape(person.full_name)} »." in page
        assert "recueilli par Théo Formateur" in page

    def test_without_a_collector_the_coordinator_collected_it(
        self, coordinator_client, coordinator, person
    ):
        ContactConsentFactory(participant=person, channel="sms", purpose="news_campaigns")

        coordinator_client.post(self.url(person), {"consent_method": "written"})

        withdrawn = ContactConsent.objects.get(action="withdrawn")
        assert (withdrawn.channel, withdrawn.purpose, withdrawn.collected_by) == (
            "sms",
            "news_campaigns",
            coordinator,
        )
        assert may_contact(person, "sms", "news_campaigns") == (False, "consent_withdrawn")

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            (
                {"consent_method": "paper"},
                None,
                "Aucune case n'a changé : cochez ou décochez un accord avant d'enregistrer.",
            ),
            (
                {"consent_email_news_campaigns": "on"},
                "consent_method",
                "Indiquez comment la personne a donné ou retiré son accord.",
            ),
            (
                {
                    "consent_email_news_campaigns": "on",
                    "consent_method": "paper",
                    "consent_date": "2999-01-01",
                },
                "consent_date",
                "Cette date est dans le futur.",
            ),
            (
                {"consent_email_news_campaigns": "on", "consent_method": "sms_stop"},
                "consent_method",
                "Sélectionnez un choix valide. sms_stop n’en fait pas partie.",
            ),
        ],
    )
    def test_bad_input_is_a_french_error_and_writes_nothing(
        self, coordinator_client, person, data, field, message
    ):
        response = coordinator_client.post(self.url(person), data)

        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors[field or "__all__"] == [message]
        assert "Le formulaire contient des erreurs" in response.content.decode()
        assert not ContactConsent.objects.exists()
        assert not AuditEntry.objects.exists()

    def test_an_auditor_account_cannot_be_named_as_collector(
        self, coordinator_client, auditor, person
    ):
        response = coordinator_client.post(
            self.url(person),
            {
                "consent_email_news_campaigns": "on",
                "consent_method": "oral",
                "consent_collected_by": auditor.pk,
            },
        )

        assert response.context["form"].errors["consent_collected_by"]
        assert not ContactConsent.objects.exists()

    @pytest.mark.parametrize("role", ["trainer", "referent", "auditor"])
    def test_only_coordinators_record_consents(self, client, request, person, role):
        client.force_login(request.getfixturevalue(role))

        get = client.get(self.url(person))
        post = client.post(
            self.url(person), {"consent_email_news_campaigns": "on", "consent_method": "oral"}
        )

        assert (get.status_code, post.status_code) == (403, 403)
        assert not ContactConsent.objects.exists()

    def test_an_unknown_participant_is_a_404(self, coordinator_client):
        response = coordinator_client.get(reverse("formations:participant_consents", args=[999]))

        assert response.status_code == 404

    def test_the_participant_page_links_to_it_for_coordinators_only(
        self, coordinator_client, client, referent, person
    ):
        person.structure = referent.structure
        person.save()
        link = f'href="{self.url(person)}"'

        assert link in coordinator_client.get(person.get_absolute_url()).content.decode()
        client.force_login(referent)
        referent_page = client.get(person.get_absolute_url()).content.decode()
        assert "Accord pour être recontacté·e" in referent_page
        assert link not in referent_page
