import io
import math
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from livrables.pdf import base
from livrables.pdf.base import _emblem_ops, draw_funders_band, safe_text


def test_safe_text_escapes_markup_and_normalises_to_nfc():
    decomposed = "Nguye\u0302\u0303n <b>&</b>"

    assert safe_text(decomposed) == "Nguy\u1ec5n &lt;b&gt;&amp;&lt;/b&gt;"
    assert safe_text(None) == ""


def test_eu_emblem_has_twelve_upright_stars_on_a_third_of_the_height():
    height = 36.0
    ops = _emblem_ops(0.0, 0.0, height)
    stars = [
        [tuple(map(float, line.split()[:2])) for line in chunk.strip().splitlines()]
        for chunk in ops.removesuffix("f").split("h")
        if chunk.strip()
    ]
    centre = (height * 1.5 / 2, height / 2)

    assert len(stars) == 12
    for points in stars:
        assert len(points) == 10
        outer = points[0::2]
        cx = sum(x for x, _y in outer) / 5
        cy = sum(y for _x, y in outer) / 5
        assert math.dist((cx, cy), centre) == pytest.approx(height / 3, abs=0.01)
        assert math.dist(points[0], (cx, cy)) == pytest.approx(height / 18, abs=0.01)
        # Upright: the first point straight above the star's centre.
        assert points[0][0] == pytest.approx(cx, abs=0.01)
        assert points[0][1] > cy


@dataclass
class FakeFunder:
    name: str
    is_eu: bool
    emblem: bytes | None = None


@pytest.fixture
def drawn_images(monkeypatch):
    """The (width, height) of every image `draw_funders_band` draws, still drawn."""
    drawn = []
    real = base.draw_image

    def recording(canvas, content, x, y, width, height):
        drawn.append((width, height))
        return real(canvas, content, x, y, width, height)

    monkeypatch.setattr(base, "draw_image", recording)
    return drawn


def png(size, colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_funders_band_never_draws_a_logo_larger_than_the_eu_emblem(drawn_images):
    logo = png((900, 600), "red")
    tall = png((200, 800), "blue")
    canvas = Canvas(io.BytesIO())
    height = 30

    draw_funders_band(
        canvas,
        0,
        0,
        height,
        [
            FakeFunder("FEDER", True),
            FakeFunder("Région", False, logo),
            FakeFunder("CAF", False, tall),
            FakeFunder("État", False),
        ],
        max_width=800,
    )

    assert len(drawn_images) == 2
    for width, drawn_height in drawn_images:
        assert width <= height * 1.5 + 1e-6
        assert drawn_height <= height + 1e-6


def test_images_prepared_once_are_in_every_document_that_draws_them():
    """An image's PDF object is built once per process (`draw_image`): each of two
    documents in a row must still carry the image, and a transparent logo its mask."""
    opaque = png((300, 150), "teal")
    buffer = io.BytesIO()
    Image.new("RGBA", (200, 100), (255, 0, 0, 0)).save(buffer, "PNG")
    transparent = buffer.getvalue()
    for _attempt in range(2):
        output = io.BytesIO()
        canvas = Canvas(output)
        draw_funders_band(
            canvas,
            0,
            0,
            30,
            [FakeFunder("Région", False, opaque), FakeFunder("CAF", False, transparent)],
            max_width=800,
        )
        canvas.showPage()
        canvas.save()
        page = PdfReader(io.BytesIO(output.getvalue())).pages[0]
        images = {image.image.size: image.image.mode for image in page.images}
        assert images == {(300, 150): "RGB", (200, 100): "RGBA"}


def test_a_huge_image_is_reduced_before_it_is_embedded():
    huge = png((4000, 3000), "red")
    output = io.BytesIO()
    canvas = Canvas(output)
    assert base.draw_image(canvas, huge, 0, 0, 100, 75)
    canvas.showPage()
    canvas.save()
    [image] = PdfReader(io.BytesIO(output.getvalue())).pages[0].images
    assert max(image.image.size) == base.MAX_IMAGE_PIXELS
    assert not base.draw_image(canvas, b"<html>not an image</html>", 0, 0, 10, 10)


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs poppler-utils and zbar-tools",
)
def test_blank_sheet_qr_codes_decode_to_each_half_day_paper_page(sheet_world, tmp_path):
    from django.conf import settings
    from django.urls import reverse

    from livrables.data import build_sheet_data
    from livrables.pdf.blank_sheet import render_blank_sheet

    pdf = tmp_path / "blank.pdf"
    pdf.write_bytes(render_blank_sheet(build_sheet_data(session=sheet_world.session, blank=True)))
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp_path / "p")], check=True)
    result = subprocess.run(
        ["zbarimg", "-q", "--raw", *sorted(str(p) for p in tmp_path.glob("p*.png"))],
        capture_output=True,
        text=True,
        check=False,
    )
    decoded = set(result.stdout.split())
    for slot in (sheet_world.morning, sheet_world.afternoon):
        url = settings.SUIVI_BASE_URL + reverse("sessions:slot_paper", args=[slot.pk])
        assert url in decoded


def test_funders_band_writes_the_name_of_a_funder_whose_logo_is_not_an_image(drawn_images):
    buffer = io.BytesIO()
    canvas = Canvas(buffer)

    draw_funders_band(
        canvas, 0, 100, 30, [FakeFunder("CAF du Nord", False, b"not an image")], max_width=800
    )
    canvas.save()

    assert drawn_images == []
    assert "CAF du Nord" in PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()


def test_documents_share_their_font_subsets_whatever_their_words():
    """The common characters are seeded first (`seed_fonts`), so two documents with other
    words embed the same subset: built and compressed once per process, not per document
    (`_FontProgram`)."""
    from reportlab.platypus import SimpleDocTemplate

    from livrables.pdf.base import numbered_canvas, styles
    from livrables.pdf.sheet import TextCell

    def render(text):
        output = io.BytesIO()
        SimpleDocTemplate(output).build(
            [TextCell.styled(text, styles()["base"])],
            canvasmaker=numbered_canvas(lambda canvas, page, total: None),
        )
        reader = PdfReader(io.BytesIO(output.getvalue()))
        fonts = reader.pages[0]["/Resources"]["/Font"]
        embedded = [font.get_object() for font in fonts.values()]
        return [
            font["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            for font in embedded
            if "/FontDescriptor" in font  # not the canvas' initial Helvetica
        ]

    first = render("Émilie Martin, présente le 3 octobre « à l'heure »")
    second = render("Zoé Dubois-Ngô, absente — excusée ; œuvre à Noël")

    assert first and first == second
