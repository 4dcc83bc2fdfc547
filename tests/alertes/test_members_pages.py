"""The members' pages of a structure: registration (known people lead to their profile and
nothing is created; someone known only to another structure is a new record, with no hint),
the list in French alphabetical order with ages, the profile, edit, consents, end of
follow-up, and 404 across structures."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from formations.audit import AuditEntry
from formations.consent import may_contact
from formations.members import AGE_BANDS, age_band, age_on
from formations.models import ContactConsent, Membership, Participant
from tests.factories.members import (
    MemberGroupFactory,
    MemberPersonFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return alertes_world()


def _url(name, structure, membership=None):
    kwargs = {"structure": structure.pk}
    if membership is not None:
        kwargs["membership"] = membership.pk
    return reverse(f"alertes:{name}", kwargs=kwargs)


def _form(**overrides):
    data = {
        "kind": "resident",
        "last_name": "Dupont",
        "first_name": "Zoë",
        "email": "zoe.dupont@example.org",
        "phone": "06 12 34 56 78",
        "date_of_birth": "1990-03-02",
        "address": "3 rue des Postes",
        "postal_code": "59000",
        "commune": "Lille",
        "consent_method": "paper",
        "note": "",
    }
    data.update(overrides)
    return data


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --------------------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (dt.date(2000, 5, 10), dt.date(2026, 5, 9), 25),
        (dt.date(2000, 5, 10), dt.date(2026, 5, 10), 26),
        (dt.date(2004, 2, 29), dt.date(2026, 2, 28), 21),
        (dt.date(2004, 2, 29), dt.date(2026, 3, 1), 22),
        (None, dt.date(2026, 1, 1), None),
    ],
)
def test_age_on_counts_full_years(born, today, age):
    assert age_on(born, today) == age


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (17, "moins de 18 ans"),
        (18, "18–25 ans"),
        (25, "18–25 ans"),
        (26, "26–44 ans"),
        (64, "45–64 ans"),
        (65, "65 ans et plus"),
        (None, "non renseigné"),
    ],
)
def test_age_bands_of_the_statistics(age, label):
    assert str(age_band(age).label) == label
    assert age_band(age) in AGE_BANDS


# --------------------------------------------------------------------------- registration


def test_registering_creates_the_member_and_goes_back_to_the_alertes_home(client, world):
    client.force_login(world.staff)
    response = client.post(
        _url("member_register", world.arbrisseau),
        _form(groups=[world.group.pk], consent_sms_structure_news="on"),
    )

    assert response.status_code == 302
    assert response.url == _url("structure_home", world.arbrisseau)
    membership = Membership.objects.get(structure=world.arbrisseau)
    person = membership.participant
    assert person.phone == "+33612345678"
    assert person.date_of_birth == dt.date(1990, 3, 2)
    assert list(membership.groups.all()) == [world.group]
    assert "DUPONT Zoë est inscrit·e." in _messages(response)
    assert may_contact(person, "sms", "structure_news", structure=world.arbrisseau).allowed
    assert not may_contact(person, "email", "structure_news", structure=world.arbrisseau).allowed
    row = ContactConsent.objects.get(participant=person)
    assert row.method == ContactConsent.Method.PAPER and row.collected_by == world.staff
    assert AuditEntry.objects.filter(action="member_registered").count() == 1


def test_the_registration_form_shows_the_exact_wording_and_only_the_structures_groups(
    client, world
):
    client.force_login(world.admin)
    response = client.get(_url("member_register", world.arbrisseau))
    content = response.content.decode()
    assert "J&#x27;accepte que le centre social m&#x27;envoie des SMS" in content
    assert "Petite enfance" in content
    assert "Jeunesse" not in content  # Chemin Rouge's group


def test_a_known_person_leads_to_their_profile_and_nothing_is_created(client, world):
    known = MembershipFactory(
        structure=world.arbrisseau,
        participant__email="zoe.dupont@example.org",
        participant__last_name="Dupont",
    )
    client.force_login(world.staff)
    response = client.post(
        _url("member_register", world.arbrisseau),
        _form(email="ZOE.DUPONT@example.org", phone="", consent_email_structure_news="on"),
    )

    # The box typed comes pre-ticked, unsaved, on the consents form (review finding 7).
    assert response.url.startswith(_url("member_consents", world.arbrisseau, known) + "?")
    assert Participant.objects.count() == 1
    assert not ContactConsent.objects.exists()
    assert "même adresse e-mail" in _messages(response)[0]


def test_a_person_of_another_structure_is_a_new_record_and_no_hint_is_given(client, world):
    MembershipFactory(
        structure=world.chemin_rouge,
        participant__email="zoe.dupont@example.org",
        participant__phone="+33612345678",
    )
    client.force_login(world.staff)
    response = client.post(_url("member_register", world.arbrisseau), _form())

    assert response.url == _url("structure_home", world.arbrisseau)
    assert Participant.objects.filter(email="zoe.dupont@example.org").count() == 2
    assert _messages(response) == ["DUPONT Zoë est inscrit·e."]


def test_double_submit_creates_one_member(client, world):
    client.force_login(world.staff)
    first = client.post(_url("member_register", world.arbrisseau), _form())
    second = client.post(_url("member_register", world.arbrisseau), _form())

    assert first.url == _url("structure_home", world.arbrisseau)
    membership = Membership.objects.get()
    assert second.url == _url("member_detail", world.arbrisseau, membership)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "06 12"}, "phone", None),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "dans le futur"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "plus de 120 ans"),
        ({"phone": "", "consent_sms_structure_news": "on"}, "phone", "numéro de mobile"),
        ({"kind": "professional"}, "kind", None),
    ],
)
def test_bad_registrations_are_refused_in_french(client, world, overrides, field, message):
    client.force_login(world.staff)
    response = client.post(_url("member_register", world.arbrisseau), _form(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert message in " ".join(errors[field])
    assert not Membership.objects.exists()


def test_a_group_of_another_structure_cannot_be_chosen(client, world):
    client.force_login(world.staff)
    response = client.post(
        _url("member_register", world.arbrisseau), _form(groups=[world.other_group.pk])
    )
    assert response.status_code == 200
    assert "groups" in response.context["form"].errors
    assert not Membership.objects.exists()


# --------------------------------------------------------------------------- list


def test_the_list_is_in_french_alphabetical_order_with_ages(client, world):
    today = timezone.localdate()
    for last, first in [
        ("Zola", "Émile"),
        ("élodie", "Amandine"),
        ("Dubois", "Léa"),
        ("Faure", "Yves"),
    ]:
        MembershipFactory(
            structure=world.arbrisseau,
            participant__last_name=last,
            participant__first_name=first,
            participant__date_of_birth=today.replace(year=today.year - 30),
        )
    MembershipFactory(structure=world.chemin_rouge, participant__last_name="Abadie")
    client.force_login(world.staff)
    response = client.get(_url("member_list", world.arbrisseau))

    names = [m.participant.last_name for m in response.context["page"]]
    assert names == ["Dubois", "élodie", "Faure", "Zola"]
    content = response.content.decode()
    assert "30 ans" in content
    assert "Abadie" not in content


def test_the_list_filters_and_hides_ended_members(client, world):
    other_group = MemberGroupFactory(structure=world.arbrisseau, name="Jeunesse")
    MembershipFactory(
        structure=world.arbrisseau, participant__last_name="Durand", groups=[world.group]
    )
    MembershipFactory(
        structure=world.arbrisseau, participant__last_name="Martin", groups=[other_group]
    )
    with_sms = MembershipFactory(
        structure=world.arbrisseau,
        participant__last_name="Petit",
        participant__phone="+33698765432",
    )
    give_structure_consent(with_sms, "sms")
    MembershipFactory(
        structure=world.arbrisseau, participant__last_name="Parti", ended_at=timezone.now()
    )
    client.force_login(world.staff)

    def names(**params):
        response = client.get(_url("member_list", world.arbrisseau), params)
        return [m.participant.last_name for m in response.context["page"]]

    assert names() == ["Durand", "Martin", "Petit"]
    assert names(group=world.group.pk) == ["Durand"]
    assert names(consent="sms") == ["Petit"]
    assert names(q="06 98 76") == ["Petit"]
    assert names(q="durand") == ["Durand"]
    assert names(ended="on") == ["Durand", "Martin", "Parti", "Petit"]


def test_the_list_costs_the_same_queries_whatever_the_rows(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.staff)

    def add(n):
        for _ in range(n):
            membership = MembershipFactory(structure=world.arbrisseau, groups=[world.group])
            give_structure_consent(membership, "sms", "email")

    add(2)
    client.get(_url("member_list", world.arbrisseau))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(_url("member_list", world.arbrisseau))
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_url("member_list", world.arbrisseau))
    assert len(response.context["page"]) == 22


# --------------------------------------------------------------------------- profile


def test_the_profile_shows_identity_age_groups_and_consents(client, world):
    today = timezone.localdate()
    membership = MembershipFactory(
        structure=world.arbrisseau,
        groups=[world.group],
        participant__last_name="Dupont",
        participant__date_of_birth=today.replace(year=today.year - 40),
        registered_by=world.admin,
    )
    give_structure_consent(membership, "sms")
    client.force_login(world.staff)
    response = client.get(_url("member_detail", world.arbrisseau, membership))

    content = response.content.decode()
    assert "DUPONT" in content
    assert "40 ans" in content
    assert "Petite enfance" in content
    assert "donné le" in content
    assert "Historique des accords" in content


def test_the_profile_shows_the_wording_recorded_not_the_current_one(client, world):
    """A consent given under an older or an imported text shows that version, never
    today's text the person may not have seen (review finding 16)."""
    from formations.consent import IMPORT_WORDING_VERSION

    membership = MembershipFactory(structure=world.arbrisseau)
    give_structure_consent(membership, "sms", "email")
    ContactConsent.objects.filter(channel="sms").update(wording_version="v0-ancien")
    ContactConsent.objects.filter(channel="email").update(wording_version=IMPORT_WORDING_VERSION)
    client.force_login(world.staff)
    content = client.get(_url("member_detail", world.arbrisseau, membership)).content.decode()
    assert "v0-ancien" in content
    assert "import (texte recueilli par la structure)" in content
    assert "m&#x27;envoie des SMS" not in content
    # The current text when it is the one recorded.
    ContactConsent.objects.filter(channel="sms").update(wording_version="v1")
    content = client.get(_url("member_detail", world.arbrisseau, membership)).content.decode()
    assert "m&#x27;envoie des SMS pour m&#x27;informer" in content


# --------------------------------------------------------------------------- edit


def test_editing_changes_identity_and_groups_and_is_audited(client, world):
    membership = MembershipFactory(structure=world.arbrisseau, participant__last_name="Dupont")
    client.force_login(world.staff)
    response = client.post(
        _url("member_edit", world.arbrisseau, membership),
        _form(last_name="Dupond", groups=[world.group.pk]),
    )

    assert response.url == _url("member_detail", world.arbrisseau, membership)
    membership.refresh_from_db()
    assert membership.participant.last_name == "Dupond"
    assert list(membership.groups.all()) == [world.group]
    assert AuditEntry.objects.filter(action="member_updated").exists()


def test_editing_into_another_member_of_the_structure_is_refused(client, world):
    MembershipFactory(
        structure=world.arbrisseau,
        participant__last_name="Martin",
        participant__first_name="Léa",
        participant__email="lea.martin@example.org",
    )
    MembershipFactory(structure=world.chemin_rouge, participant__email="zoe.dupont@example.org")
    membership = MembershipFactory(structure=world.arbrisseau, participant__last_name="Dupont")
    client.force_login(world.staff)

    refused = client.post(
        _url("member_edit", world.arbrisseau, membership),
        _form(email="lea.martin@example.org", phone=""),
    )
    assert refused.status_code == 200
    assert "MARTIN Léa est déjà inscrit·e dans cette structure" in refused.content.decode()

    # The same e-mail at Chemin Rouge is none of l'Arbrisseau's business.
    accepted = client.post(_url("member_edit", world.arbrisseau, membership), _form(phone=""))
    assert accepted.status_code == 302


# --------------------------------------------------------------------------- consents


def test_consents_are_recorded_and_withdrawn_from_the_profile(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    person = membership.participant
    client.force_login(world.staff)
    url = _url("member_consents", world.arbrisseau, membership)
    today = timezone.localdate().isoformat()

    response = client.post(
        url,
        {
            "consent_sms_structure_news": "on",
            "consent_email_admin_reminders": "on",
            "method": "oral",
            "on": today,
            "collected_by": world.admin.pk,
        },
    )
    assert response.status_code == 302
    assert may_contact(person, "sms", "structure_news", structure=world.arbrisseau).allowed
    reminders = may_contact(person, "email", "admin_reminders", structure=world.arbrisseau)
    assert reminders.allowed and reminders.reason == "requested"
    row = ContactConsent.objects.filter(purpose="structure_news").get()
    assert row.method == "oral" and row.collected_by == world.admin

    response = client.post(
        url,
        {
            "consent_email_admin_reminders": "on",
            "method": "written",
            "on": today,
            "collected_by": world.staff.pk,
        },
    )
    decision = may_contact(person, "sms", "structure_news", structure=world.arbrisseau)
    assert decision.reason == "consent_withdrawn"
    assert may_contact(person, "email", "admin_reminders", structure=world.arbrisseau).allowed
    assert AuditEntry.objects.filter(action="consent_withdrawn").count() == 1


def test_a_consent_cannot_be_dated_in_the_future(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    client.force_login(world.staff)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(
        _url("member_consents", world.arbrisseau, membership),
        {
            "consent_sms_structure_news": "on",
            "method": "paper",
            "on": tomorrow,
            "collected_by": world.staff.pk,
        },
    )
    assert response.status_code == 200
    assert not ContactConsent.objects.exists()


# --------------------------------------------------------------------------- end


def test_ending_the_follow_up_hides_the_member_and_is_audited(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    client.force_login(world.staff)
    url = _url("member_end", world.arbrisseau, membership)
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 200  # not confirmed
    membership.refresh_from_db()
    assert membership.is_active

    response = client.post(url, {"confirm": "on"})
    assert response.url == _url("member_list", world.arbrisseau)
    membership.refresh_from_db()
    assert not membership.is_active
    assert AuditEntry.objects.filter(action="member_ended").exists()
    listed = client.get(_url("member_list", world.arbrisseau)).context["page"]
    assert membership not in list(listed)
    # Ended: no more consents recorded, and ending again changes nothing.
    consents = client.get(_url("member_consents", world.arbrisseau, membership))
    assert consents.url == _url("member_detail", world.arbrisseau, membership)
    assert client.post(url, {"confirm": "on"}).status_code == 302


def test_an_ended_follow_up_is_resumed_after_a_confirmation_and_audited(client, world):
    membership = MembershipFactory(structure=world.arbrisseau, ended_at=timezone.now())
    client.force_login(world.staff)
    detail = client.get(_url("member_detail", world.arbrisseau, membership)).content.decode()
    url = _url("member_resume", world.arbrisseau, membership)
    assert url in detail and "Reprendre le suivi" in detail
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 200  # not confirmed
    membership.refresh_from_db()
    assert not membership.is_active

    response = client.post(url, {"confirm": "on"})
    assert response.url == _url("member_detail", world.arbrisseau, membership)
    membership.refresh_from_db()
    assert membership.is_active
    entry = AuditEntry.objects.get(action="member_resumed")
    assert entry.data["structure_id"] == world.arbrisseau.pk
    assert membership in list(client.get(_url("member_list", world.arbrisseau)).context["page"])
    # Resuming again changes nothing; another structure's administrator gets a 404.
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert AuditEntry.objects.filter(action="member_resumed").count() == 1
    client.force_login(world.other_admin)
    assert client.post(url, {"confirm": "on"}).status_code == 404


def test_registering_someone_whose_follow_up_ended_says_so_and_offers_to_resume(client, world):
    known = MembershipFactory(
        structure=world.arbrisseau,
        participant__email="zoe.dupont@example.org",
        ended_at=timezone.now(),
    )
    client.force_login(world.staff)
    response = client.post(
        _url("member_register", world.arbrisseau),
        _form(phone="", consent_email_structure_news="on"),
    )
    assert response.url == _url("member_detail", world.arbrisseau, known)
    said = " ".join(_messages(response))
    assert "Son suivi est terminé depuis le" in said and "Reprendre le suivi" in said
    assert "Les accords saisis n'ont pas été enregistrés" in said
    assert not ContactConsent.objects.exists()
    assert Participant.objects.count() == 1


def test_registering_a_known_person_carries_the_boxes_and_names_the_groups_not_recorded(
    client, world
):
    """Review finding 7: the consents typed are not lost silently: they come pre-ticked
    (unsaved) on the consents form, and the groups are named."""
    known = MembershipFactory(
        structure=world.arbrisseau, participant__email="zoe.dupont@example.org"
    )
    client.force_login(world.staff)
    response = client.post(
        _url("member_register", world.arbrisseau),
        _form(phone="", groups=[world.group.pk], consent_email_structure_news="on"),
    )
    consents_url = _url("member_consents", world.arbrisseau, known)
    assert response.url.startswith(consents_url + "?")
    said = " ".join(_messages(response))
    assert "Les groupes saisis n'ont pas été enregistrés (Petite enfance)" in said
    assert "Les accords saisis n'ont pas été enregistrés" in said
    assert not ContactConsent.objects.exists() and not known.groups.exists()
    page = client.get(response.url)
    assert page.context["form"]["consent_email_structure_news"].initial is True
    assert page.context["form"]["consent_sms_structure_news"].initial is False
    assert "pas encore enregistrées" in page.content.decode()


def test_a_withdrawal_but_no_grant_is_noted_once_the_follow_up_ended(client, world):
    membership = MembershipFactory(structure=world.arbrisseau)
    give_structure_consent(membership, "sms")
    membership.ended_at = timezone.now()
    membership.save()
    person = membership.participant
    client.force_login(world.staff)
    url = _url("member_consents", world.arbrisseau, membership)
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert "consent_sms_structure_news" in form.fields
    assert "consent_email_structure_news" not in form.fields  # nothing to withdraw
    # A forged grant is not a field: ignored.
    response = client.post(
        url,
        {
            "method": "paper",
            "on": timezone.localdate().isoformat(),
            "collected_by": world.staff.pk,
            "consent_email_structure_news": "on",
        },
    )
    assert response.status_code == 302
    latest = ContactConsent.objects.filter(participant=person).order_by("-pk").first()
    assert latest.channel == "sms" and latest.action == ContactConsent.Action.WITHDRAWN
    assert not ContactConsent.objects.filter(channel="email").exists()


def test_the_service_refuses_a_grant_on_an_ended_follow_up(world):
    from formations.members import MemberError, member_consents_record

    membership = MembershipFactory(structure=world.arbrisseau, ended_at=timezone.now())
    with pytest.raises(MemberError) as refused:
        member_consents_record(
            membership=membership,
            actor=world.staff,
            changes=[("sms", "structure_news", True)],
            method="paper",
        )
    assert refused.value.code == "ended"


# --------------------------------------------------------------------------- reach


PAGES = ["member_detail", "member_edit", "member_consents", "member_end", "member_resume"]


@pytest.mark.parametrize("name", PAGES)
def test_another_structures_member_is_a_404(client, world, name):
    foreign = MembershipFactory(structure=world.chemin_rouge)
    client.force_login(world.admin)
    # Through l'Arbrisseau's address (the membership is not its own) or Chemin Rouge's.
    for structure in (world.arbrisseau, world.chemin_rouge):
        url = reverse(
            f"alertes:{name}", kwargs={"structure": structure.pk, "membership": foreign.pk}
        )
        assert client.get(url).status_code == 404, (name, structure)
        posted = client.post(url, {"confirm": "on"}).status_code
        assert posted in (404, 405), (name, structure)
    foreign.refresh_from_db()
    assert foreign.is_active


@pytest.mark.parametrize("name", ["member_list", "member_register"])
def test_another_structures_pages_are_a_404(client, world, name):
    client.force_login(world.staff)
    assert client.get(_url(name, world.chemin_rouge)).status_code == 404
    assert client.post(_url(name, world.chemin_rouge), _form()).status_code in (404, 405)
    assert not Membership.objects.exists()


def test_coordinators_see_every_structures_members(client, world):
    foreign = MembershipFactory(structure=world.chemin_rouge)
    client.force_login(world.coordinator)
    assert client.get(_url("member_detail", world.chemin_rouge, foreign)).status_code == 200
    assert client.get(_url("member_list", world.chemin_rouge)).status_code == 200


def test_member_person_factory_is_a_resident():
    assert MemberPersonFactory().kind == Participant.Kind.RESIDENT


def test_the_member_page_counts_days_in_the_structures_time_zone(client, world):
    """At 22:30 UTC on 27 November it is already 28 November, 01:30, in Mamoudzou: the
    person born on 28 November has their birthday, a consent given then is dated the 28th,
    and so is the campaign received."""
    import time_machine

    from alertes.models import CampaignRecipient
    from tests.factories.members import AlertCampaignFactory

    structure = world.chemin_rouge
    structure.time_zone = "Indian/Mayotte"
    structure.save()
    membership = MembershipFactory(
        structure=structure, participant__date_of_birth=dt.date(2000, 11, 28)
    )
    moment = dt.datetime(2026, 11, 27, 22, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        give_structure_consent(membership, "sms")
        campaign = AlertCampaignFactory(structure=structure, status="sent", sent_at=moment)
        CampaignRecipient.objects.create(
            campaign=campaign, membership=membership, channel="sms", skipped_reason="x"
        )
        client.force_login(world.other_admin)
        page = client.get(_url("member_detail", structure, membership)).text
        listing = client.get(_url("member_list", structure)).text
    assert "26 ans" in page and "25 ans" not in page
    assert "donné le 28 novembre 2026" in page and "27 novembre" not in page
    assert "28 novembre 2026 : non envoyé" in page  # the campaign received
    assert "26 ans" in listing


def test_a_consent_ticked_without_saying_how_it_was_collected_is_refused(client):
    from formations.models import Participant

    world = alertes_world()
    client.force_login(world.staff)

    response = client.post(
        reverse("alertes:member_register", args=[world.arbrisseau.pk]),
        {
            "kind": "resident",
            "last_name": "Oral",
            "first_name": "Inès",
            "phone": "06 12 34 56 78",
            "consent_sms_structure_news": "on",
        },
    )

    assert response.status_code == 200
    assert "Dites comment l&#x27;accord a été recueilli" in response.content.decode()
    assert not Participant.objects.filter(last_name="Oral").exists()
