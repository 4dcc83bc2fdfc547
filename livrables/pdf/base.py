"""Shared building blocks of every PDF the application issues.

Fonts are registered once per process; `safe_text()` is applied to every user string;
`numbered_canvas()` writes "Page x / y" and the footer once the page count is known;
`draw_eu_emblem()` and `draw_funders_band()` carry the publicity obligations.

Nothing here touches the ORM: renderers take plain data and return bytes.
"""

import functools
import io
import math
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# Streams are zlib-compressed only: reportlab's default extra ASCII85 layer is pure Python,
# costs more than the whole layout of a sheet and makes files 25 % larger. PDF readers do
# not need it. (A process-wide reportlab setting: every PDF here is ours.)
rl_config.useA85 = 0


class _FastFlate(pdfdoc.PDFStreamFilterZCompress):
    """Flate at level 1 instead of zlib's default 6. Signatures drawn as vectors make
    content streams of a few hundred kilobytes: level 6 takes ~13 ms per sheet (a quarter
    of its budget), level 1 ~3 ms for files about 18 % larger. reportlab offers no setting
    for the level; its stream code looks `pdfdoc.PDFZCompress` up at each use."""

    def encode(self, text):
        if isinstance(text, str):
            text = text.encode("utf8")
        return zlib.compress(text, 1)


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


@functools.cache
def register_fonts() -> None:
    """Registers the embedded fonts (once per process: parsing a TTF is the slow part)."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
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


@functools.lru_cache(maxsize=32)
def _image_reader(content: bytes) -> ImageReader | None:
    """A logo's bytes as an image reportlab can draw (cached by content: the same logo is
    drawn on every page and every document)."""
    try:
        return ImageReader(io.BytesIO(content))
    except Exception:  # noqa: BLE001 (an unreadable logo falls back to the funder's name)
        return None


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
        reader = _image_reader(funder.emblem) if funder.emblem else None
        if reader is not None:
            img_w, img_h = reader.getSize()
            scale = min(box_w / img_w, box_h / img_h) if img_w and img_h else 0
            if scale:
                w, h = img_w * scale, img_h * scale
                canvas.drawImage(reader, cursor, y + (box_h - h) / 2, w, h, mask="auto")
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
