"""Funders' logos are read through the storage API (`open()`), never by a path: the public
media storage may be an object store too."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from formations.models import Funder
from livrables.data import build_sheet_data
from livrables.pdf.sheet import render_sheet
from tests.factories import FunderFactory
from tests.storages import NO_PATH_STORAGE


def test_emblem_is_read_through_the_storage_api(sheet_world, settings):
    settings.STORAGES = {**settings.STORAGES, "default": NO_PATH_STORAGE}
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "green").save(buffer, format="PNG")
    region = Funder.objects.get(name="Région Hauts-de-France")
    region.emblem.save("region.png", ContentFile(buffer.getvalue()))
    with pytest.raises(NotImplementedError):
        region.emblem.path  # noqa: B018 - an object store has no local path

    data = build_sheet_data(session=sheet_world.session)
    pdf = render_sheet(data)

    assert [f.emblem for f in data.funders if f.name == region.name] == [buffer.getvalue()]
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_a_missing_emblem_prints_the_funders_name(sheet_world):
    region = Funder.objects.get(name="Région Hauts-de-France")
    region.emblem.name = "funders/gone.png"
    region.save()

    data = build_sheet_data(session=sheet_world.session)

    assert [f.emblem for f in data.funders if f.name == region.name] == [None]
    assert (
        "Région Hauts-de-France"
        in PdfReader(io.BytesIO(render_sheet(data))).pages[0].extract_text()
    )


def test_the_public_logo_view_still_serves_from_media(client, db):
    funder = FunderFactory(name="CAF du Nord", kind="caf")
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(buffer, format="PNG")
    funder.emblem.save("caf.png", ContentFile(buffer.getvalue()))

    response = client.get(funder.emblem.url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == buffer.getvalue()
