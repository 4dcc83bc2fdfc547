"""Shared building blocks of every PDF the application issues.

Fonts are registered once per process; `safe_text()` is applied to every user string;
`numbered_canvas()` writes "Page x / y" and the footer once the page count is known;
`draw_eu_emblem()` and `draw_funders_band()` carry the publicity obligations.

Nothing here touches the ORM: renderers take plain data and return bytes.
"""

import copy
import dataclasses
import functools
import hashlib
import io
import math
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

# Streams are zlib-compressed only: reportlab's default extra ASCII85 layer is pure Python,
# costs more than the whole layout of a sheet and makes files 25 % larger. PDF readers do
# not need it. (A process-wide reportlab setting: every PDF here is ours.)
rl_config.useA85 = 0


class _FastFlate(pdfdoc.PDFStreamFilterZCompress):
    """Flate at level 1 instead of zlib's default 6. Signatures drawn as vectors make
    content streams of a few hundred kilobytes: level 6 takes ~13 ms per sheet (a quarter
    of its budget), level 1 ~3 ms for files about 18 % larger. reportlab offers no setting
    for the level; its stream code looks `pdfdoc.PDFZCompress` up at each use.

    An embedded font subset (`_FontProgram`, the same bytes from one document to the next:
    see `seed_fonts`) is compressed once per process, not once per document."""

    def encode(self, text):
        if isinstance(text, _FontProgram):
            return text.compressed
        if isinstance(text, str):
            text = text.encode("utf8")
        return zlib.compress(text, 1)


class _FontProgram(bytes):
    """The bytes of an embedded font subset, which keep their compressed form."""

    @functools.cached_property
    def compressed(self) -> bytes:
        return zlib.compress(self, 1)


pdfdoc.PDFZCompress = _FastFlate()

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"

# People's names come in any script (Vietnamese, Czech, Turkish…): the standard Type 1
# fonts cover Latin-1 only, so text is set in an embedded TTF with wide coverage.
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
# The EU emblem statement must be in a plain font without effects (Regulation 2021/1060,
# Annex IX: Arial or a metric twin); Helvetica is Arial's metric twin and a PDF base font.
EU_STATEMENT_FONT = "Helvetica"
EU_STATEMENT = "Cofinancé par l'Union européenne"

REFLEX_BLUE = colors.Color(0, 51 / 255, 153 / 255)
EU_YELLOW = colors.Color(1, 204 / 255, 0)
GREY = colors.Color(0.35, 0.35, 0.35)
LIGHT_GREY = colors.Color(0.88, 0.88, 0.88)

# A regular five-pointed star: inner radius / outer radius = sin(18°) / sin(54°).
_STAR_INNER_RATIO = math.sin(math.radians(18)) / math.sin(math.radians(54))


# Characters given their codes in the fonts' first subset at the start of every document,
# before any text: French beyond ASCII, the typographic marks and the certificates' boxes.
# A document whose text stays within ASCII and these then embeds exactly the same subsets
# as the last one, whatever order its words came in, and the subset is built once per
# process (`_cached_subsets`) instead of once per document, a third of a certificate's
# rendering. Other characters (a Vietnamese or Czech name) are added after them as usual.
SEEDED_CHARACTERS = "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»‹›’‘“”–—…·•°€×☐☒≤≥"


def _cached_subsets(font: TTFont) -> None:
    """Builds each subset of `font` once per process: the bytes of a subset depend only on
    the font file and the list of characters (`makeSubset` is a pure function of both)."""
    make_subset = font.face.makeSubset

    @functools.lru_cache(maxsize=32)
    def cached(characters: tuple) -> _FontProgram:
        return _FontProgram(make_subset(list(characters)))

    font.face.makeSubset = lambda subset: cached(tuple(subset))


def seed_fonts(canvas: Canvas) -> None:
    """Gives `SEEDED_CHARACTERS` their codes in both fonts of `canvas`'s document, before
    anything is drawn (see `SEEDED_CHARACTERS`). A font the document never uses is still
    not embedded."""
    for name in (FONT, FONT_BOLD):
        pdfmetrics.getFont(name).splitString(SEEDED_CHARACTERS, canvas._doc)


@functools.cache
def register_fonts() -> None:
    """Registers the embedded fonts (once per process: parsing a TTF is the slow part)."""
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        font = TTFont(name, str(FONTS_DIR / filename))
        _cached_subsets(font)
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def safe_text(value) -> str:
    """A user string ready for reportlab's paragraph mini-markup: NFC-normalised (so a
    decomposed « ễ » uses the font's precomposed glyph) and with &, < and > escaped."""
    if value is None:
        return ""
    return escape(unicodedata.normalize("NFC", str(value)))


def plain_text(value) -> str:
    """NFC-normalised text for direct canvas drawing (no markup involved)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value))


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=FONT, fontSize=8, leading=10, alignment=TA_LEFT)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
        "tiny": ParagraphStyle("tiny", parent=base, fontSize=6, leading=7),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9
        ),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9),
        "head_center": ParagraphStyle(
            "head_center",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=7.5,
            leading=9,
            alignment=TA_CENTER,
        ),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=14, leading=17),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=4,
        ),
        "sentence": ParagraphStyle(
            "sentence", parent=base, fontSize=7, leading=8.5, textColor=GREY
        ),
    }


@functools.lru_cache(maxsize=4096)
def fit_font_size(
    text: str, font: str, size: float, max_width: float, minimum: float = 4.5
) -> float:
    """The largest size ≤ `size` at which `text` fits in `max_width` (cached: the same
    short labels recur in every cell)."""
    width = pdfmetrics.stringWidth(text, font, size)
    if width <= max_width or width == 0:
        return size
    return max(minimum, size * max_width / width)


def numbered_canvas(draw_footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas class that defers page decorations until the page count is known.

    `draw_footer(canvas, page_number, page_count)` runs once per page when the document
    is saved, so every page can say "Page x / y".
    """

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_page_states = []
            register_fonts()
            seed_fonts(self)

        def showPage(self):  # noqa: N802 (reportlab's API)
            self._saved_page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_page_states)
            for number, state in enumerate(self._saved_page_states, start=1):
                self.__dict__.update(state)
                draw_footer(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


@functools.lru_cache(maxsize=16)
def _emblem_ops(x: float, y: float, height: float) -> str:
    """PDF operators for the twelve stars (computed once per position and size: the
    emblem is drawn on every page)."""
    width = height * 1.5
    cx, cy = x + width / 2, y + height / 2
    circle, outer = height / 3, height / 18
    inner = outer * _STAR_INNER_RATIO
    ops = []
    for hour in range(12):
        angle = math.radians(90 - 30 * hour)
        sx, sy = cx + circle * math.cos(angle), cy + circle * math.sin(angle)
        for i in range(10):
            # Upright star: the first point straight up, then alternating inner/outer.
            radius = outer if i % 2 == 0 else inner
            a = math.radians(90 + 36 * i)
            op = "m" if i == 0 else "l"
            ops.append(f"{sx + radius * math.cos(a):.3f} {sy + radius * math.sin(a):.3f} {op}")
        ops.append("h")
    ops.append("f")
    return "\n".join(ops)


def draw_eu_emblem(canvas: Canvas, x: float, y: float, height: float) -> float:
    """Draws the EU flag with its lower-left corner at (x, y); returns its width.

    Geometry of the official emblem: a 3:2 Reflex Blue rectangle; twelve gold stars,
    upright, on an invisible circle whose radius is a third of the height, each star's
    points on a circle of radius one eighteenth of the height.
    """
    width = height * 1.5
    canvas.saveState()
    canvas.setFillColor(REFLEX_BLUE)
    canvas.rect(x, y, width, height, stroke=0, fill=1)
    canvas.setFillColor(EU_YELLOW)
    canvas.addLiteral(_emblem_ops(round(x, 3), round(y, 3), round(height, 3)))
    canvas.restoreState()
    return width


def draw_eu_block(canvas: Canvas, x: float, y: float, height: float) -> float:
    """The emblem with « Cofinancé par l'Union européenne » written out beside it, in
    plain Helvetica, Reflex Blue, vertically centred; returns the block's width."""
    emblem_width = draw_eu_emblem(canvas, x, y, height)
    size = max(6.0, height * 0.28)
    gap = height * 0.25
    first, second = "Cofinancé par", "l'Union européenne"
    canvas.saveState()
    canvas.setFillColor(REFLEX_BLUE)
    canvas.setFont(EU_STATEMENT_FONT, size)
    middle = y + height / 2
    canvas.drawString(x + emblem_width + gap, middle + size * 0.15, first)
    canvas.drawString(x + emblem_width + gap, middle - size * 0.95, second)
    canvas.restoreState()
    text_width = max(pdfmetrics.stringWidth(t, EU_STATEMENT_FONT, size) for t in (first, second))
    return emblem_width + gap + text_width


# An image is kept at most this many pixels wide or high: a logo or a scanned signature is
# printed a few centimetres wide, and a 4,000-pixel photo would otherwise be unpacked and
# compressed into every document (tens of milliseconds each).
MAX_IMAGE_PIXELS = 1200


def _image_reader(content: bytes) -> ImageReader | None:
    """A logo's or a signature's bytes as an image reportlab can draw, reduced to
    `MAX_IMAGE_PIXELS`; None when the bytes are not an image. (Read once per process, by
    `_prepared_image`.)"""
    try:
        image = PILImage.open(io.BytesIO(content))
        image.load()
        if max(image.size) > MAX_IMAGE_PIXELS:
            image.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS))
        return ImageReader(image)
    except Exception:  # noqa: BLE001 (an unreadable image: the name is printed instead)
        return None


@dataclasses.dataclass(frozen=True)
class _PreparedImage:
    """An image's PDF object (its pixels compressed once) and its transparency mask."""

    name: str
    xobject: pdfdoc.PDFImageXObject
    mask: pdfdoc.PDFImageXObject | None
    size: tuple[int, int]


@functools.lru_cache(maxsize=32)
def _prepared_image(content: bytes) -> _PreparedImage | None:
    reader = _image_reader(content)
    if reader is None:
        return None
    name = "img" + hashlib.blake2b(content, digest_size=12).hexdigest()
    xobject = pdfdoc.PDFImageXObject(name, reader, mask="auto")
    mask = xobject.__dict__.pop("_smask", None)
    return _PreparedImage(name, xobject, mask, reader.getSize())


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height in pixels of an image's bytes; None when they are not an image."""
    prepared = _prepared_image(content)
    return prepared.size if prepared else None


def draw_image(canvas: Canvas, content: bytes, x: float, y: float, width: float, height: float):
    """Draws the image `content` (PNG, JPEG…) in the box (x, y, width, height); returns
    False when the bytes are not an image.

    What `canvas.drawImage` does, without its per-document costs: it digests the image's
    raw pixels and compresses them again in every document (a millisecond or more per
    logo, with three images on every certificate). Here the image's PDF object is built
    once per process (`_prepared_image`) and a copy is registered in each document that
    draws it, through the same canvas and document calls `drawImage` makes (reportlab
    is pinned; tests/livrables/pdf check the images in two documents in a row)."""
    prepared = _prepared_image(content)
    if prepared is None:
        return False
    doc = canvas._doc
    registered = doc.getXObjectName(prepared.name)
    if doc.idToObject.get(registered) is None:
        xobject = copy.copy(prepared.xobject)  # its mask reference belongs to this document
        canvas._setXObjects(xobject)
        doc.Reference(xobject, registered)
        doc.addForm(prepared.name, xobject)
        if prepared.mask is not None:
            mask_name = doc.getXObjectName(prepared.mask.name)
            if doc.idToObject.get(mask_name) is None:
                mask = copy.copy(prepared.mask)
                canvas._setXObjects(mask)
                xobject.smask = doc.Reference(mask, mask_name)
            else:
                xobject.smask = pdfdoc.PDFObjectReference(mask_name)
    canvas._currentPageHasImages = 1
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(width, height)
    canvas._code.append(f"/{registered} Do")
    canvas.restoreState()
    canvas._formsinuse.append(prepared.name)  # the page's resources list it
    return True


def draw_funders_band(
    canvas: Canvas, x: float, y: float, height: float, funders: Sequence, max_width: float
) -> float:
    """Draws the funders' emblems left to right from (x, y); returns the width used.

    `funders` are objects with `name`, `is_eu` and `emblem` (the logo's bytes, or None). EU
    funds share ONE EU emblem block (no other logo may signal EU support). Other funders
    show their logo if there is one, else their name; a logo never exceeds the EU emblem's
    box (Annex IX: the emblem is at least as large as the largest other logo).
    """
    register_fonts()
    cursor = x
    gap = height * 0.5
    if any(f.is_eu for f in funders):
        cursor += draw_eu_block(canvas, cursor, y, height) + gap
    box_w, box_h = height * 1.5, height
    for funder in funders:
        if funder.is_eu:
            continue
        if cursor >= x + max_width:
            break
        size = image_size(funder.emblem) if funder.emblem else None
        if size is not None:
            img_w, img_h = size
            scale = min(box_w / img_w, box_h / img_h) if img_w and img_h else 0
            if scale:
                w, h = img_w * scale, img_h * scale
                draw_image(canvas, funder.emblem, cursor, y + (box_h - h) / 2, w, h)
                cursor += w + gap
                continue
        name = plain_text(funder.name)
        size = fit_font_size(name, FONT_BOLD, 8, max(box_w * 2, 160))
        canvas.saveState()
        canvas.setFont(FONT_BOLD, size)
        canvas.setFillColor(colors.black)
        canvas.drawString(cursor, y + height / 2 - size / 3, name)
        canvas.restoreState()
        cursor += pdfmetrics.stringWidth(name, FONT_BOLD, size) + gap
    return cursor - x


@functools.lru_cache(maxsize=256)
def _qr_ops(text: str, x: float, y: float, size: float) -> str:
    """PDF operators filling the dark modules of the QR code of `text` (cached: a slot's
    paper URL is drawn on every page and in every copy of its sheet)."""
    import segno

    # The mask is fixed: segno's automatic mask evaluation costs ~5 ms per code, a sixth
    # of a sheet's budget, and any of the eight masks is valid and decodable.
    matrix = segno.make(text, error="m", micro=False, mask=0).matrix
    border = 2
    module = size / (len(matrix) + 2 * border)
    ops = []
    for r, row in enumerate(matrix):
        bottom = y + size - (r + border + 1) * module
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                ops.append(
                    f"{x + (start + border) * module:.3f} {bottom:.3f} "
                    f"{(c - start) * module:.3f} {module:.3f} re"
                )
            else:
                c += 1
    ops.append("f")
    return "\n".join(ops)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """A QR code as vector rectangles (runs of dark modules merged per row), lower-left at
    (x, y), on a white square with a two-module quiet zone."""
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    canvas.addLiteral(_qr_ops(text, x, y, size))
    canvas.restoreState()


class ImageCell(Flowable):
    """An image of a given size in the flow (`draw_image`: its pixels compressed once per
    process, not once per document as platypus' Image does)."""

    def __init__(self, content: bytes, width: float, height: float):
        super().__init__()
        self.content, self.width, self.height = content, width, height

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        draw_image(self.canv, self.content, 0, 0, self.width, self.height)
