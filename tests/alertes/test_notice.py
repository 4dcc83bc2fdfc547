"""The notice d'utilisation: one content as a page and a PDF, with the FEDER emblem and
sentence (the structure's EU programme's, else seed 002's), for the structure's team and
coordinators only."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from alertes.notice import DEFAULT_SENTENCE, notice_sections
from formations.models import Funder
from tests.factories import FunderFactory, ProgrammeFactory, UserFactory
from tests.factories.members import alertes_world

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_the_page_holds_every_section_and_the_default_feder_sentence(client):
    world = alertes_world()
    client.force_login(world.staff)

    response = client.get(reverse("alertes:notice", args=[world.arbrisseau.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    for section in notice_sections():
        assert f'id="{section.anchor}"' in text
    assert "Ce projet est cofinancé par l&#x27;Union Européenne avec le FEDER" in text
    assert text.count('class="eu-publicity"') == 1  # not again at the foot of the page
    assert "réutiliser" in text.lower() and "STOP" in text and "160 caractères" in text
    assert 'aria-current="page"' in text


def test_the_pdf_carries_the_same_content_the_emblem_sentence_and_page_numbers(client):
    world = alertes_world()
    client.force_login(world.admin)

    response = client.get(reverse("alertes:notice_pdf", args=[world.arbrisseau.pk]))

    assert response["Content-Type"] == "application/pdf"
    text, pages = _pdf_text(response.content)
    assert pages >= 3
    flat = " ".join(text.split())
    assert DEFAULT_SENTENCE in flat
    assert f"Page 1 / {pages}" in flat and f"Page {pages} / {pages}" in flat
    for section in notice_sections():
        assert section.title in flat
    assert "Confidentialité entre structures" in flat and "Réutiliser" in flat


def test_the_sentence_is_the_structure_feder_programme_one_when_there_is_one(client):
    world = alertes_world()
    feder = FunderFactory(name="FEDER 2021-2027", kind=Funder.Kind.FEDER, publicity_sentence="")
    programme = ProgrammeFactory(title="Centres sociaux connectés", reference="CSC-MEL-2018")
    programme.funders.set([feder])
    programme.structures.add(world.arbrisseau)
    client.force_login(world.admin)

    page = client.get(reverse("alertes:notice", args=[world.arbrisseau.pk])).content.decode()
    pdf = client.get(reverse("alertes:notice_pdf", args=[world.arbrisseau.pk])).content

    assert "Cofinancé par l&#x27;Union européenne" in page and "CSC-MEL-2018" in page
    flat = " ".join(_pdf_text(pdf)[0].split())
    assert "Cofinancé par l'Union européenne" in flat
    assert DEFAULT_SENTENCE not in flat


def test_another_structure_and_other_roles_get_nothing(client):
    world = alertes_world()
    for name in ("alertes:notice", "alertes:notice_pdf"):
        url = reverse(name, args=[world.arbrisseau.pk])
        client.force_login(world.other_admin)
        assert client.get(url).status_code == 404
        client.force_login(UserFactory(role="trainer"))
        assert client.get(url).status_code == 404
        client.force_login(world.coordinator)
        assert client.get(url).status_code == 200
