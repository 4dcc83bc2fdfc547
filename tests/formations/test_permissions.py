import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from formations.models import Formation, Funder, OutboxMessage, Participant, Programme, Structure
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db

NON_COORDINATORS = ["trainer", "auditor", "referent"]

CREATE_URLS = {
    "formations:programme_create": Programme,
    "formations:formation_create": Formation,
    "formations:structure_create": Structure,
    "formations:participant_create": Participant,
    "formations:funder_create": Funder,
}


@pytest.fixture
def objects():
    participant = ParticipantFactory()
    formation = FormationFactory()
    return {
        "programme": formation.programme,
        "formation": formation,
        "structure": participant.structure,
        "participant": participant,
        "funder": FunderFactory(),
    }


@pytest.mark.parametrize("role", NON_COORDINATORS)
@pytest.mark.parametrize("url_name", list(CREATE_URLS))
def test_create_is_forbidden_to_non_coordinators(client, request, role, url_name):
    client.force_login(request.getfixturevalue(role))
    model = CREATE_URLS[url_name]
    before = model.objects.count()
    url = reverse(url_name)
    assert client.get(url).status_code == 403
    response = client.post(url, {"name": "Intrus", "last_name": "Intrus", "reference": "X"})
    assert response.status_code == 403
    assert model.objects.count() == before


@pytest.mark.parametrize("role", NON_COORDINATORS)
@pytest.mark.parametrize("kind", ["programme", "formation", "structure", "participant", "funder"])
def test_edit_is_forbidden_to_non_coordinators(client, request, objects, role, kind):
    user = request.getfixturevalue(role)
    obj = objects[kind]
    if role == "referent" and kind == "structure":
        user.structure = obj
        user.save()
    client.force_login(user)
    url = reverse(f"formations:{kind}_edit", args=[obj.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "Renommé", "title": "Renommé"}).status_code == 403
    before = str(obj)
    obj.refresh_from_db()
    assert str(obj) == before


@pytest.mark.parametrize("role", NON_COORDINATORS)
def test_funder_pages_are_for_coordinators_only(client, request, role):
    funder = FunderFactory()
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("formations:funder_list")).status_code == 403
    assert client.get(reverse("formations:funder_list") + "?_export=csv").status_code == 403
    assert client.get(reverse("formations:funder_detail", args=[funder.pk])).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("formations:participant_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Structure referent: their own structure only -----------------------------------------


@pytest.fixture
def two_structures(referent):
    own = ParticipantFactory(
        last_name="Interne", email="interne@example.org", structure=referent.structure
    )
    other = ParticipantFactory(last_name="Externe", email="externe@example.org")
    return own, other


def test_referent_cannot_open_another_structures_participant(client, referent, two_structures):
    own, other = two_structures
    client.force_login(referent)
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(other.structure.get_absolute_url()).status_code == 404


def test_referent_list_and_exports_hold_only_own_structure(client, referent, two_structures):
    client.force_login(referent)
    url = reverse("formations:participant_list")
    html = client.get(url).content.decode()
    assert "Interne" in html and "Externe" not in html
    assert "1 résultat" in html

    content = client.get(url + "?_export=csv").getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content), delimiter=";"))
    assert [row["Nom"] for row in rows] == ["Interne"]

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url + "?_export=xlsx").getvalue()))
    values = [cell.value for row in workbook.active.iter_rows() for cell in row]
    assert "Interne" in values and "Externe" not in values


def test_referent_cannot_reach_other_structures_through_filters(client, referent, two_structures):
    _, other = two_structures
    client.force_login(referent)
    response = client.get(reverse("formations:participant_list"), {"structure": other.structure_id})
    assert response.context["table"].data.data.count() == 0
    structures = client.get(reverse("formations:structure_list")).context["table"].data
    assert [s.pk for s in structures] == [referent.structure_id]


def test_referent_sees_only_own_structure_in_programme_partners(client, referent):
    programme = ProgrammeFactory()
    outsider = StructureFactory(name="CCAS voisin")
    programme.structures.add(referent.structure, outsider)
    client.force_login(referent)
    html = client.get(programme.get_absolute_url()).content.decode()
    assert referent.structure.name in html
    assert "CCAS voisin" not in html


def test_referent_sees_no_edit_button(client, referent, two_structures):
    own, _ = two_structures
    client.force_login(referent)
    html = client.get(own.get_absolute_url()).content.decode()
    assert reverse("formations:participant_edit", args=[own.pk]) not in html
    assert "Modifier" not in html


def test_coordinator_sees_edit_button(coordinator_client, two_structures):
    own, _ = two_structures
    html = coordinator_client.get(own.get_absolute_url()).content.decode()
    assert reverse("formations:participant_edit", args=[own.pk]) in html


# --- Funder auditor: programmes of their funders ------------------------------------------------


@pytest.fixture
def audited(auditor):
    feder = auditor.funders.get()
    seen = ProgrammeFactory(title="Opération FEDER")
    seen.funders.add(feder)
    hidden = ProgrammeFactory(title="Opération CAF")
    hidden.funders.add(FunderFactory(name="CAF", kind=Funder.Kind.CAF))
    session = TrainingSessionFactory(formation=FormationFactory(programme=seen))
    enrolled = EnrolmentFactory(session=session, participant__last_name="Suivie").participant
    elsewhere = EnrolmentFactory(
        session__formation=FormationFactory(programme=hidden), participant__last_name="Ailleurs"
    ).participant
    return {"seen": seen, "hidden": hidden, "enrolled": enrolled, "elsewhere": elsewhere}


def test_auditor_sees_programmes_of_their_funders_only(client, auditor, audited):
    client.force_login(auditor)
    listed = client.get(reverse("formations:programme_list")).context["table"].data
    assert [p.pk for p in listed] == [audited["seen"].pk]
    assert client.get(audited["seen"].get_absolute_url()).status_code == 200
    assert client.get(audited["hidden"].get_absolute_url()).status_code == 404
    hidden_formation = audited["hidden"].formations.get()
    assert client.get(hidden_formation.get_absolute_url()).status_code == 404


def test_auditor_sees_participants_of_their_programmes_only(client, auditor, audited):
    client.force_login(auditor)
    assert client.get(audited["enrolled"].get_absolute_url()).status_code == 200
    assert client.get(audited["elsewhere"].get_absolute_url()).status_code == 404
    content = client.get(reverse("formations:participant_list") + "?_export=csv").getvalue()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [row["Nom"] for row in rows] == ["Suivie"]


def test_auditor_programme_filter_offers_only_visible_programmes(client, auditor, audited):
    client.force_login(auditor)
    form = client.get(reverse("formations:participant_list")).context["filter"].form
    assert list(form.fields["programme"].queryset) == [audited["seen"]]
    response = client.get(
        reverse("formations:participant_list"), {"programme": audited["hidden"].pk}
    )
    assert "programme" in response.context["filter"].form.errors
    assert response.context["table"].data.data.count() == 0


def test_trainer_sees_only_participants_of_own_sessions(client, trainer):
    session = TrainingSessionFactory()
    session.trainers.add(trainer)
    mine = EnrolmentFactory(session=session).participant
    other = ParticipantFactory()
    client.force_login(trainer)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404


# --- Outbox page ---------------------------------------------------------------------------


@pytest.fixture
def outbox_message():
    return OutboxMessage.objects.create(
        purpose="convocation",
        recipient="awa@example.org",
        subject="Convocation",
        body="Bonjour",
        attachments=[{"filename": "a.txt", "mimetype": "text/plain", "content": "QUJD"}],
    )


def _outbox_urls(message):
    return [
        reverse("formations:outbox"),
        reverse("formations:outbox_message", args=[message.pk]),
        reverse("formations:outbox_attachment", args=[message.pk, 0]),
    ]


@pytest.mark.parametrize("role", NON_COORDINATORS)
def test_outbox_is_forbidden_to_non_coordinators(client, request, outbox_message, role):
    client.force_login(request.getfixturevalue(role))
    for url in _outbox_urls(outbox_message):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("demo", [True, False])
def test_outbox_opens_for_coordinator_in_and_out_of_the_demo(
    coordinator_client, settings, outbox_message, demo
):
    settings.SUIVI_DEMO_MAILBOX = demo
    statuses = [coordinator_client.get(url).status_code for url in _outbox_urls(outbox_message)]
    assert statuses == [200, 200, 200]
    assert coordinator_client.get(_outbox_urls(outbox_message)[2]).content == b"ABC"


def test_password_link_text_is_hidden_outside_the_demo(coordinator_client, settings):
    message = OutboxMessage.objects.create(
        purpose="password_link",
        recipient="julien@example.org",
        subject="Choisissez votre mot de passe",
        body="Votre lien : http://testserver/mot-de-passe/MQ/secret-token/",
    )
    url = reverse("formations:outbox_message", args=[message.pk])
    settings.SUIVI_DEMO_MAILBOX = False
    html = coordinator_client.get(url).content.decode()
    assert "secret-token" not in html
    assert "son texte n'est montré qu'à son destinataire" in html
    settings.SUIVI_DEMO_MAILBOX = True
    assert "secret-token" in coordinator_client.get(url).content.decode()
