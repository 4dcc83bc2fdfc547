import dataclasses
import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from formations.models import Funder
from livrables.data import build_sheet_data
from livrables.pdf.blank_sheet import render_blank_sheet
from livrables.pdf.sheet import render_sheet, sentences
from tests.factories import SlotFactory, TrainingSessionFactory
from tests.livrables.conftest import (
    FEDER_2014_SENTENCE,
    PROGRAMME_SENTENCE,
    RECTIFICATION_REASON,
    REGION_SENTENCE,
    SEAL_DIGEST,
    add_participants,
    at,
    pdf_pages,
    pdf_text,
)

NOW = dt.datetime(2021, 10, 6, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def sheet(sheet_world):
    data = build_sheet_data(session=sheet_world.session, now=NOW)
    return data, render_sheet(data)


def test_sheet_shows_every_participant_name_in_any_script(sheet):
    _data, pdf = sheet
    text = pdf_text(pdf)
    for name in ("NGUYỄN Thị Hương", "DVOŘÁK Jiří", "ÖZTÜRK Ayşe", "MARTIN Camille"):
        assert name in text
    assert "CCAS de Lille" in text


def test_sheet_shows_each_half_day_date_and_local_times(sheet):
    _data, pdf = sheet
    text = pdf_text(pdf)
    assert "04/10/2021" in text
    assert "09:00–12:30" in text
    assert "13:30–17:00" in text


def test_sheet_shows_statuses_in_words(sheet):
    _data, pdf = sheet
    text = pdf_text(pdf)
    assert "Absent·e excusé·e" in text
    assert text.replace("Absent·e excusé·e", "").count("Absent") >= 1
    # Late by 30 minutes (arrived 09:30), left 60 minutes early (at 16:00): the same
    # words as the trainer's page.
    assert "Retard : arrivée 09:30, 30 min manquées" in text
    assert "Départ anticipé : départ 16:00, 60 min manquées" in text


def test_sheet_carries_funders_sentences_and_references(sheet):
    data, pdf = sheet
    text = pdf_text(pdf)
    assert "Cofinancé par l'Union européenne" in text
    assert FEDER_2014_SENTENCE in text
    assert REGION_SENTENCE in text
    assert PROGRAMME_SENTENCE in text
    assert "CSC-MEL-2018" in text
    assert "FEDER-2018-AO.3" in text
    assert "LABO-2021-1" in text
    assert "Théo Formateur" in text


def test_sheet_writes_eu_statement_in_plain_helvetica(sheet):
    _data, pdf = sheet
    fonts = {
        str(font["/BaseFont"])
        for font in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].get_object().values()
    }
    assert "/Helvetica" in fonts
    assert not any("Oblique" in f or "Italic" in f for f in fonts)


def test_sheet_has_rectifications_and_seals_annexes(sheet):
    data, pdf = sheet
    text = pdf_text(pdf)
    assert "Rectifications" in text
    assert RECTIFICATION_REASON in text
    assert "Claire Coordo" in text
    assert "Scellements" in text
    assert SEAL_DIGEST[:16] in text
    assert SEAL_DIGEST in text  # the full digest, in the annex


def test_sheet_footer_has_number_generation_time_and_verification_url(sheet):
    data, pdf = sheet
    text = pdf_text(pdf)
    assert data.number.startswith("EMG-LABO-2021-1-20211006160000-")
    assert data.number in text
    assert "06/10/2021 à 18:00 (heure de Paris)" in text
    assert f"/verifier/{data.number}/" in text
    assert "Page 1 / 1" in text


def test_sheet_signatures_are_vectors_not_images(sheet):
    _data, pdf = sheet
    reader = PdfReader(io.BytesIO(pdf))
    assert all(len(page.images) == 0 for page in reader.pages)
    content = reader.pages[0].get_contents().get_data()
    assert content.count(b" l\n") > 200  # polylines of the drawn signatures


def test_render_sheet_runs_no_queries(sheet_world, django_assert_num_queries):
    data = build_sheet_data(session=sheet_world.session, now=NOW)
    with django_assert_num_queries(0):
        render_sheet(data)
        render_blank_sheet(data)


def test_sheet_numbers_pages_when_many_participants(sheet_world):
    add_participants(sheet_world.session, 36)
    data = build_sheet_data(session=sheet_world.session, now=NOW)
    pdf = render_sheet(data)
    pages = pdf_pages(pdf)
    text = pdf_text(pdf)
    assert pages >= 2
    assert f"Page 1 / {pages}" in text
    assert f"Page {pages} / {pages}" in text
    # The column headers repeat on every page.
    assert text.count("09:00–12:30") >= pages


def test_sheet_splits_many_half_days_into_tables_of_six(sheet_world):
    session = sheet_world.session
    for offset in range(1, 6):
        day = dt.date(2021, 10, 4) + dt.timedelta(days=offset)
        SlotFactory(
            session=session, starts_at=at(session, day, 9), ends_at=at(session, day, 12, 30)
        )
    data = build_sheet_data(session=session, now=NOW)
    text = pdf_text(render_sheet(data))
    assert "Demi-journées 1 à 6 sur 7" in text
    assert "Demi-journées 7 à 7 sur 7" in text
    assert "09/10/2021" in text


def test_blank_sheet_lists_names_without_signatures_or_statuses(sheet_world):
    data = build_sheet_data(session=sheet_world.session, blank=True, now=NOW)
    pdf = render_blank_sheet(data)
    text = pdf_text(pdf)
    for name in ("NGUYỄN Thị Hương", "DVOŘÁK Jiří", "ÖZTÜRK Ayşe", "MARTIN Camille"):
        assert name in text
    assert "Cofinancé par l'Union européenne" in text
    assert FEDER_2014_SENTENCE in text
    assert "09:00–12:30" in text
    assert data.number.startswith("EMV-LABO-2021-1-")
    for word in ("Absent", "Retard", "Départ anticipé", "Théo Formateur · "):
        assert word not in text
    reader = PdfReader(io.BytesIO(pdf))
    assert all(len(page.images) == 0 for page in reader.pages)


def test_sheet_renders_an_empty_session(db):
    session = TrainingSessionFactory(code="VIDE-1")
    data = build_sheet_data(session=session, now=NOW)

    text = pdf_text(render_sheet(data))
    blank = pdf_text(render_blank_sheet(build_sheet_data(session=session, blank=True, now=NOW)))

    assert "VIDE-1" in text and "aucune demi-journée" in text
    assert "VIDE-1" in blank


def test_sheet_draws_a_funder_logo_next_to_the_eu_emblem(sheet_world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "green").save(buffer, format="PNG")
    region = Funder.objects.get(name="Région Hauts-de-France")
    region.emblem.save("region.png", ContentFile(buffer.getvalue()))

    data = build_sheet_data(session=sheet_world.session, now=NOW)
    reader = PdfReader(io.BytesIO(render_sheet(data)))

    assert [f.emblem for f in data.funders if f.name == region.name] == [buffer.getvalue()]
    assert len(reader.pages[0].images) == 1


def test_sentences_are_printed_once_and_the_eu_statement_not_repeated(sheet_world):
    data = build_sheet_data(session=sheet_world.session, now=NOW)
    feder, region = data.funders
    data = dataclasses.replace(
        data,
        funders=(
            dataclasses.replace(feder, sentence="Cofinancé par l'Union européenne."),
            region,
            dataclasses.replace(region, name="Région bis"),
        ),
    )

    assert sentences(data) == [REGION_SENTENCE, PROGRAMME_SENTENCE]
    assert sentences(dataclasses.replace(data, funders=(region,), programme_sentence="")) == [
        REGION_SENTENCE
    ]
