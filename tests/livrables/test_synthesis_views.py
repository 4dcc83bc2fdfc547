import pytest
from django.urls import reverse

from formations.models import OutboxMessage, User
from livrables.models import IssuedDocument
from livrables.selectors import issued_file
from tests.evaluations.synthesis_world import HIDDEN_COMMENT, build_world
from tests.factories import FunderFactory, ProviderIdentityFactory, UserFactory
from tests.livrables.conftest import pdf_text

CONCLUSION = "Une formation jugée utile par les équipes des CCAS."


@pytest.fixture
def world(db, trainer):
    ProviderIdentityFactory()
    return build_world(trainer=trainer)


def page_url(world, **params):
    query = {"questionnaire": world.version.questionnaire_id, **params}
    return (
        reverse("livrables:synthesis", args=[world.formation.pk])
        + "?"
        + "&".join(f"{k}={v}" for k, v in query.items())
    )


def test_coordinator_writes_the_conclusion_and_issues(client, world, coordinator):
    client.force_login(coordinator)
    page = client.get(page_url(world))
    assert page.status_code == 200
    assert "40,0 %" in page.content.decode() or "40.0 %" in page.content.decode()

    data = {"questionnaire": world.version.questionnaire_id, "conclusion": CONCLUSION}
    saved = client.post(page_url(world), {**data, "action": "save"})
    assert saved.status_code == 302
    assert not IssuedDocument.objects.exists()

    issued = client.post(page_url(world), {**data, "action": "issue"})
    assert issued.status_code == 302
    document = IssuedDocument.objects.get()
    text = pdf_text(issued_file(document=document).content)
    assert CONCLUSION in text
    again = client.get(page_url(world)).content.decode()
    assert document.number in again and CONCLUSION in again


def test_formation_page_lists_syntheses_for_coordinator_and_auditor(
    client, world, coordinator, auditor
):
    client.force_login(coordinator)
    client.post(
        page_url(world),
        {"questionnaire": world.version.questionnaire_id, "conclusion": "", "action": "issue"},
    )
    number = IssuedDocument.objects.get().number
    page = client.get(world.formation.get_absolute_url()).content.decode()
    assert "Synthèses d'évaluation" in page and number in page
    assert reverse("livrables:synthesis_send", args=[number]) in page

    client.force_login(auditor)
    page = client.get(world.formation.get_absolute_url()).content.decode()
    assert number in page
    assert reverse("livrables:synthesis_send", args=[number]) not in page
    assert client.get(reverse("livrables:document_download", args=[number])).status_code == 200


def test_send_page_puts_the_pdf_in_the_outbox(client, world, coordinator, auditor):
    client.force_login(coordinator)
    client.post(
        page_url(world),
        {"questionnaire": world.version.questionnaire_id, "conclusion": "", "action": "issue"},
    )
    document = IssuedDocument.objects.get()
    url = reverse("livrables:synthesis_send", args=[document.number])
    page = client.get(url)
    assert auditor.email in page.content.decode()

    assert client.post(url, {}).status_code == 200  # no recipient chosen
    assert not OutboxMessage.objects.exists()
    done = client.post(url, {"to_auditors": "on", "address": "suivi@departement.example"})
    assert done.status_code == 302
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == {auditor.email, "suivi@departement.example"}


def test_synthesis_pages_refuse_other_roles(client, world, coordinator, trainer, auditor):
    client.force_login(coordinator)
    client.post(
        page_url(world),
        {"questionnaire": world.version.questionnaire_id, "conclusion": "", "action": "issue"},
    )
    number = IssuedDocument.objects.get().number
    send = reverse("livrables:synthesis_send", args=[number])
    for user in (trainer, auditor):
        client.force_login(user)
        assert client.get(page_url(world)).status_code == 403
        assert client.post(page_url(world), {"action": "issue"}).status_code == 403
    client.force_login(auditor)
    assert client.post(send, {"to_auditors": "on"}).status_code == 403
    outsider = UserFactory(role=User.Role.FUNDER_AUDITOR)
    outsider.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(outsider)
    assert client.get(page_url(world)).status_code == 404
    assert client.get(send).status_code == 404
    assert IssuedDocument.objects.count() == 1
    assert not OutboxMessage.objects.exists()


def test_hidden_comment_never_reaches_the_auditor(client, world, coordinator, auditor):
    client.force_login(coordinator)
    hide = reverse("evaluations:comment_hide", args=[world.hidden.pk])
    client.post(hide, {"reason": "Nomme une élue"})
    client.post(
        page_url(world),
        {"questionnaire": world.version.questionnaire_id, "conclusion": "", "action": "issue"},
    )
    document = IssuedDocument.objects.get()
    client.force_login(auditor)
    response = client.get(reverse("livrables:document_download", args=[document.number]))
    assert HIDDEN_COMMENT not in pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def test_verification_page_of_a_synthesis(client, world, coordinator):
    import datetime as dt

    from evaluations.selectors_synthesis import SynthesisScope
    from livrables.services_synthesis import issue_synthesis

    scope = SynthesisScope(
        formation=world.formation,
        questionnaire=world.version.questionnaire,
        date_from=dt.date(2026, 5, 1),
        date_to=dt.date(2026, 6, 30),
    )
    document = issue_synthesis(scope=scope, actor=coordinator)
    client.logout()
    page = client.get(reverse("livrables:verify_document", args=[document.number]))
    text = page.content.decode()
    assert "Synthèse d&#x27;évaluation" in text or "Synthèse d'évaluation" in text
    assert "1er mai 2026" in text and "30 juin 2026" in text
    assert "réalisées sur" not in text and "état au" not in text


def test_page_warns_before_issuing_a_synthesis_of_fewer_than_five(client, world, coordinator):
    client.force_login(coordinator)
    page = client.get(page_url(world, session=world.session.pk)).content.decode()
    assert "4 réponses seulement dans ce périmètre : moins de 5" in page
    assert "sans aucun commentaire" in page
    assert 'aria-describedby="synthesis-issue-help synthesis-few"' in page
