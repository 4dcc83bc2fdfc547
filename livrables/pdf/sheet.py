"""The feuille d'émargement: participants × half-days, signatures drawn as vectors, the
trainer's countersignature per half-day, rectifications and seals in annexes.

`render_sheet(data)` takes a `livrables.data.SheetData` and returns PDF bytes; it runs no
queries. The page decorations shared with the blank paper sheet (funders' band, mandatory
sentences, references block, footer) live here too.
"""

import functools
import io
from collections.abc import Sequence
from functools import partial

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from livrables.data import Cell, SheetData, Signature, SlotInfo
from livrables.pdf.base import (
    FONT,
    FONT_BOLD,
    GREY,
    LIGHT_GREY,
    draw_funders_band,
    draw_qr,
    fit_font_size,
    numbered_canvas,
    plain_text,
    register_fonts,
    safe_text,
    styles,
)

PAGE = landscape(A4)
MARGIN_X = 28
TOP = 18
BAND_HEIGHT = 30
FOOTER_HEIGHT = 44
NAME_WIDTH = 150
STRUCTURE_WIDTH = 118
MAX_SLOT_COLUMNS = 6
MAX_SLOT_WIDTH = 120
CELL_HEIGHT = 27
COUNTERSIGN_HEIGHT = 36
CELL_PAD = 1.5
EXTRACT_LINE_HEIGHT = 12

METHOD_SHORT = {
    "tablet": "T",
    "qr_code": "Q",
    "remote_link": "L",
    "paper": "P",
    "trainer": "F",
    "closing": "C",
}


# ---------------------------------------------------------------------------- flowables


def draw_signature(
    canvas, signature: Signature, x: float, y: float, w: float, h: float, line_width: float = 0.7
) -> None:
    """Draws a signature's strokes as vector polylines, uniformly scaled and centred into
    the box (x, y, w, h).

    The strokes' own bounding box is fitted (not the pad's), so a small signature stays
    legible in a small cell. Points are written in the pad's own units under a transform
    (`cm`), so each point costs one formatting and nothing else. Points closer than 0.5 pt
    (0.18 mm, less than the pen's width) to the previous kept one are skipped: invisible at
    this size, and it keeps the page stream light.
    """
    min_x = min_y = float("inf")
    max_x = max_y = float("-inf")
    for stroke in signature.strokes:
        xs, ys = zip(*stroke, strict=True)
        min_x, max_x = min(min_x, *xs), max(max_x, *xs)
        min_y, max_y = min(min_y, *ys), max(max_y, *ys)
    span_x, span_y = max(max_x - min_x, 1.0), max(max_y - min_y, 1.0)
    scale = min(w / span_x, h / span_y) * 0.92
    ox = x + (w - span_x * scale) / 2 - min_x * scale
    # The pad's y grows downwards, the PDF's upwards: flip with a negative y scale.
    oy = y + h - (h - span_y * scale) / 2 + min_y * scale
    ops = [
        f"q {scale:.5f} 0 0 {-scale:.5f} {ox:.2f} {oy:.2f} cm",
        f"{line_width / scale:.3f} w 1 J 1 j 0.05 0.1 0.35 RG",
    ]
    append = ops.append
    threshold = (0.5 / scale) ** 2
    # printf-style formatting: about 1.5× faster than f-strings here, and this loop runs
    # once per point of every signature on the sheet.
    for stroke in signature.strokes:
        lx, ly = stroke[0]
        append("%.1f %.1f m" % (lx, ly))  # noqa: UP031
        if len(stroke) == 1:
            append("%.1f %.1f l" % (lx + 0.3 / scale, ly))  # noqa: UP031
            continue
        last = stroke[-1]
        for px, py in stroke[1:-1]:
            dx, dy = px - lx, py - ly
            if dx * dx + dy * dy < threshold:
                continue
            append("%.1f %.1f l" % (px, py))  # noqa: UP031
            lx, ly = px, py
        append("%.1f %.1f l" % last)  # noqa: UP031
    append("S Q")
    canvas.addLiteral("\n".join(ops))


# The smallest height a signature keeps in a cell, above its status lines: a late
# arrival's cell grows rather than lose the drawing.
SIGNATURE_MIN_HEIGHT = 14
LINE_SIZE, LINE_GAP, SMALL_HEIGHT = 6.5, 1.8, 6.2


class CellMark(Flowable):
    """What one table cell shows: an optional drawn signature above a few short text
    lines, optionally struck through diagonally (nobody can sign it afterwards). The cell
    is as tall as `height`, or taller when its lines would leave the signature no room or
    overflow: the row grows with it."""

    def __init__(
        self,
        width: float,
        height: float,
        *,
        signature: Signature | None = None,
        lines: Sequence[str] = (),
        small: str = "",
        strike: bool = False,
    ):
        super().__init__()
        text = 0.5 + (SMALL_HEIGHT if small else 0) + len(lines) * (LINE_SIZE + LINE_GAP)
        needed = text + (SIGNATURE_MIN_HEIGHT if signature is not None else 0) + 1
        self.width, self.height = width, max(height, needed)
        self.signature = signature
        self.lines = lines
        self.small = small
        self.strike = strike

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        w, h = self.width, self.height
        if self.strike:
            c.saveState()
            c.setStrokeColor(GREY)
            c.setLineWidth(0.6)
            c.line(0, 0, w, h)
            c.restoreState()
        text_bottom = 0.5
        if self.small:
            size = fit_font_size(self.small, FONT, 5.2, w - 2)
            c.setFont(FONT, size)
            c.setFillColor(GREY)
            c.drawCentredString(w / 2, text_bottom + 0.5, self.small)
            text_bottom += SMALL_HEIGHT
        # Positions bottom-up, drawing top-down: text extraction then reads the lines in
        # their order (« Retard : arrivée 09:20, » before « 20 min manquées »).
        placed = []
        for line in reversed(self.lines):
            size = fit_font_size(line, FONT_BOLD, LINE_SIZE, w - 2)
            placed.append((line, size, text_bottom))
            text_bottom += size + LINE_GAP
        for line, size, bottom in reversed(placed):
            if self.strike:
                tw = stringWidth(line, FONT_BOLD, size)
                c.setFillColor(colors.white)
                c.rect((w - tw) / 2 - 1.5, bottom - 0.5, tw + 3, size + 1.5, stroke=0, fill=1)
            c.setFont(FONT_BOLD, size)
            c.setFillColor(colors.black)
            c.drawCentredString(w / 2, bottom + 1, line)
        if self.signature is not None:
            top_space = h - text_bottom - 1
            if top_space > 4:
                draw_signature(self.canv, self.signature, 2, text_bottom, w - 4, top_space)


@functools.lru_cache(maxsize=4096)
def split_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` broken into lines that fit `width` (cached: the same labels and sentences
    recur in every cell and every document). Callers must not change the list."""
    return simpleSplit(text, font, size, width) or [""]


class TextCell(Flowable):
    """Plain wrapped text in one font: a much lighter stand-in for a Paragraph (no markup
    parsing, no fragments) in the sheet's body cells, hundreds of them, and in the
    certificates' text, rendered hundreds of times a second (`TextCell.styled`)."""

    def __init__(
        self,
        text: str,
        font: str = FONT,
        size: float = 7.5,
        leading: float = 9,
        color=colors.black,
        *,
        centred: bool = False,
        space_before: float = 0,
        space_after: float = 0,
    ):
        super().__init__()
        self.text = plain_text(text)
        self.font, self.size, self.leading, self.color = font, size, leading, color
        self.centred = centred
        self.space_before, self.space_after = space_before, space_after
        self._wrapped_for = None
        self.lines: list[str] = []

    @classmethod
    def styled(cls, text: str, style) -> "TextCell":
        """The text in a ParagraphStyle's font, size, leading, colour, spacing and (left or
        centred) alignment."""
        return cls(
            text,
            style.fontName,
            style.fontSize,
            style.leading,
            style.textColor,
            centred=style.alignment == TA_CENTER,
            space_before=style.spaceBefore,
            space_after=style.spaceAfter,
        )

    def wrap(self, available_width, available_height):
        if self._wrapped_for != available_width:
            self.lines = split_lines(self.text, self.font, self.size, available_width)
            self._wrapped_for = available_width
        self.width = available_width
        self.height = len(self.lines) * self.leading
        return self.width, self.height

    def getSpaceBefore(self):  # noqa: N802 (reportlab's API)
        return self.space_before

    def getSpaceAfter(self):  # noqa: N802 (reportlab's API)
        return self.space_after

    def draw(self):
        c = self.canv
        y = self.height - self.size
        if self.centred:
            c.setFont(self.font, self.size)
            c.setFillColor(self.color)
            for line in self.lines:
                c.drawCentredString(self.width / 2, y, line)
                y -= self.leading
            return
        # One text object for all the lines: a drawString per line opens one each.
        text = c.beginText(0, y)
        text.setFont(self.font, self.size, self.leading)
        text.setFillColor(self.color)
        for line in self.lines:
            text.textLine(line)
        c.drawText(text)


class LinesCell(Flowable):
    """A few centred lines, each with its own font and size (column headers)."""

    def __init__(self, lines: Sequence[tuple[str, str, float]], leading: float = 1.25):
        super().__init__()
        self.lines = [(plain_text(t), f, s) for t, f, s in lines]
        self.leading = leading
        self.height = sum(size * leading for _t, _f, size in self.lines)

    def wrap(self, available_width, available_height):
        self.width = available_width
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.setFillColor(colors.black)
        y = self.height
        for text, font, size in self.lines:
            y -= size * self.leading
            size = fit_font_size(text, font, size, self.width)
            c.setFont(font, size)
            c.drawCentredString(self.width / 2, y + size * 0.2, text)


class QRFlowable(Flowable):
    def __init__(self, text: str, size: float):
        super().__init__()
        self.text, self.size = text, size
        self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        draw_qr(self.canv, self.text, 0, 0, self.size)


# ---------------------------------------------------------------------------- page decorations


def day_label(slot: SlotInfo) -> str:
    return dateformat.format(slot.date, "D d/m/Y")


def sentences(data: SheetData) -> list[str]:
    """Every funder's mandatory sentence, then the operation's, each once; the EU block's
    own statement is not repeated when the block is drawn."""
    seen = {"cofinancé par l'union européenne"} if data.has_eu_funder else set()
    out = []
    for text in [f.sentence for f in data.funders] + [data.programme_sentence]:
        text = (text or "").strip()
        key = " ".join(text.casefold().split()).rstrip(".")
        if not text or key in seen:
            continue
        seen.add(key)
        out.append(text)
    return out


def sentences_paragraph(data: SheetData) -> Paragraph | None:
    items = sentences(data)
    if not items:
        return None
    return Paragraph(" · ".join(safe_text(s) for s in items), styles()["sentence"])


def content_top(data: SheetData) -> tuple[float, Paragraph | None, float]:
    """Where the frame starts below the band, the sentences and, on an extract, the
    extract line (same on every page)."""
    para = sentences_paragraph(data)
    height = 0.0
    if para is not None:
        _w, height = para.wrap(PAGE[0] - 2 * MARGIN_X, 100)
    top = PAGE[1] - TOP - BAND_HEIGHT - 6 - (height + 4 if para else 0)
    if data.extract_label:
        top -= EXTRACT_LINE_HEIGHT
    return top, para, height


def draw_extract_mark(canvas, label: str, line_y: float) -> None:
    """An extract says so on every page, under the header rule: a reader must never take
    it for the whole sheet."""
    text = plain_text(label)
    size = fit_font_size(text, FONT_BOLD, 8.5, PAGE[0] - 2 * MARGIN_X)
    canvas.saveState()
    canvas.setFont(FONT_BOLD, size)
    canvas.setFillColor(colors.black)
    canvas.drawString(MARGIN_X, line_y - 10, text)
    canvas.restoreState()


def draw_page_header(
    canvas, doc, *, data: SheetData, title: str, para: Paragraph | None, para_height: float
) -> None:
    """Every page: the funders' emblems (EU block first), the title, references and the
    mandatory sentences."""
    width, height = PAGE
    band_y = height - TOP - BAND_HEIGHT
    if data.provisional:
        draw_provisional_mark(canvas)
    canvas.saveState()
    right = width - MARGIN_X
    title_text = plain_text(title)
    canvas.setFont(FONT_BOLD, 13)
    canvas.drawRightString(right, band_y + BAND_HEIGHT - 12, title_text)
    ref = plain_text(
        " · ".join(
            (
                data.programme_reference,
                data.contract_reference,
                f"{_('Session')} {data.session_code}",
            )
        )
    )
    canvas.setFont(FONT, 7.5)
    canvas.drawRightString(right, band_y + BAND_HEIGHT - 23, ref)
    canvas.setFont(FONT, 6.5)
    canvas.setFillColor(GREY)
    canvas.drawRightString(
        right, band_y + 0.5, plain_text(_("N° %(number)s") % {"number": data.number})
    )
    title_width = max(stringWidth(title_text, FONT_BOLD, 13), stringWidth(ref, FONT, 7.5))
    canvas.restoreState()
    draw_funders_band(
        canvas,
        MARGIN_X,
        band_y,
        BAND_HEIGHT,
        data.funders,
        max_width=width - 2 * MARGIN_X - title_width - 20,
    )
    if para is not None:
        para.drawOn(canvas, MARGIN_X, band_y - 4 - para_height)
    canvas.saveState()
    canvas.setStrokeColor(LIGHT_GREY)
    canvas.setLineWidth(0.6)
    line_y = band_y - 4 - (para_height + 3 if para is not None else 0)
    canvas.line(MARGIN_X, line_y, width - MARGIN_X, line_y)
    canvas.restoreState()
    if data.extract_label:
        draw_extract_mark(canvas, data.extract_label, line_y)


PROVISIONAL_MARK = gettext_lazy("DOCUMENT PROVISOIRE")


def draw_provisional_mark(canvas) -> None:
    """Across every page of a sheet whose half-days are not all sealed: drawn under the
    content (page decorations come first), light enough to leave every cell readable."""
    width, height = PAGE
    canvas.saveState()
    canvas.setFillColor(colors.Color(0.75, 0.1, 0.1))
    canvas.setFillAlpha(0.14)
    canvas.setFont(FONT_BOLD, 64)
    canvas.translate(width / 2, height / 2 - 20)
    canvas.rotate(24)
    canvas.drawCentredString(0, 0, str(PROVISIONAL_MARK))
    canvas.restoreState()


def seal_footer_lines(data: SheetData, max_width: float, font_size: float) -> list[str]:
    if not data.seals:
        return [_("Scellements : aucune demi-journée scellée à la date d'édition.")]
    lead = _("Scellements SHA-256 (16 premiers caractères, liste complète en annexe) :")
    items = [f"[{s.slot_index}] {s.short}" for s in data.seals]
    lines, current = [], lead
    for item in items:
        candidate = f"{current}  {item}"
        if stringWidth(candidate, FONT, font_size) > max_width and current != lead:
            lines.append(current)
            current = item
        else:
            current = candidate
    lines.append(current)
    return lines


def draw_footer(canvas, page: int, total: int, *, data: SheetData, seals: bool = True) -> None:
    """Every page: document number, generation time, verification URL, seal digests
    (short form) and "Page x / y"."""
    width = PAGE[0]
    usable = width - 2 * MARGIN_X - 70
    canvas.saveState()
    canvas.setStrokeColor(LIGHT_GREY)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, FOOTER_HEIGHT - 4, width - MARGIN_X, FOOTER_HEIGHT - 4)
    canvas.setFillColor(colors.black)
    canvas.setFont(FONT_BOLD, 8)
    canvas.drawRightString(
        width - MARGIN_X,
        FOOTER_HEIGHT - 14,
        _("Page %(page)s / %(total)s") % {"page": page, "total": total},
    )
    generated = data.generated_at
    first = _("Document n° %(number)s — généré le %(date)s à %(time)s (%(tz)s)") % {
        "number": data.number,
        "date": f"{generated:%d/%m/%Y}",
        "time": f"{generated:%H:%M}",
        "tz": data.time_zone_label,
    }
    if data.provisional:
        second = _(
            "Document provisoire : certaines demi-journées ne sont pas encore closes et scellées ; "
            "il n'est pas enregistré et ne peut pas être vérifié."
        )
    elif data.blank:
        second = _(
            "Feuille à remplir : elle n'est pas enregistrée ; la preuve est son scan, déposé "
            "sur la page « feuille papier » de chaque demi-journée."
        )
    else:
        second = _("Vérifier l'authenticité : %(url)s") % {"url": data.verification_url}
    y = FOOTER_HEIGHT - 14
    canvas.setFont(FONT, 6.5)
    canvas.drawString(MARGIN_X, y, plain_text(first))
    y -= 8
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN_X, y, plain_text(second))
    canvas.setFont(FONT, 6)
    for line in seal_footer_lines(data, usable, 6)[:2] if seals else ():
        y -= 7.5
        canvas.drawString(MARGIN_X, y, plain_text(line))
    canvas.restoreState()


def info_block(data: SheetData, *, qr: bool = True) -> Table:
    """First page: programme, contract, session, dates, place, trainers; and a QR code to
    the verification page."""
    st = styles()

    def pair(label, value):
        return [Paragraph(safe_text(label), st["head"]), Paragraph(value, st["cell"])]

    if data.first_date and data.last_date and data.first_date != data.last_date:
        dates = _("du %(start)s au %(end)s") % {
            "start": f"{data.first_date:%d/%m/%Y}",
            "end": f"{data.last_date:%d/%m/%Y}",
        }
    elif data.first_date:
        dates = f"{data.first_date:%d/%m/%Y}"
    else:
        dates = _("aucune demi-journée")
    place = ", ".join(p for p in (data.place, data.address) if p) or "—"
    rows = [
        pair(
            _("Opération"),
            f"{safe_text(data.programme_reference)} — {safe_text(data.programme_title)}"
            f" <font color='#595959'>({safe_text(_('porteur'))} : "
            f"{safe_text(data.programme_carrier)})</font>",
        )
        + pair(
            _("Marché"), f"{safe_text(data.contract_reference)} — {safe_text(data.formation_title)}"
        ),
        pair(_("Session"), f"{safe_text(data.session_code)} · {safe_text(data.modality)}")
        + pair(
            _("Dates"),
            safe_text(dates)
            + " · "
            + safe_text(_("horaires en %(tz)s") % {"tz": data.time_zone_label}),
        ),
        pair(_("Lieu"), safe_text(place))
        + pair(_("Formateur·rices"), safe_text(", ".join(data.trainers) or "—")),
    ]
    qr_size = 50
    usable = PAGE[0] - 2 * MARGIN_X
    widths = [62, 290, 82, usable - 62 - 290 - 82]
    if qr and data.verification_url:
        widths[3] -= qr_size + 8
        rows[0].append(QRFlowable(data.verification_url, qr_size))
        rows[1].append("")
        rows[2].append("")
        widths.append(qr_size + 8)
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    if len(widths) == 5:
        commands += [("SPAN", (4, 0), (4, -1)), ("ALIGN", (4, 0), (4, -1), "RIGHT")]
    table.setStyle(TableStyle(commands))
    return table


def slot_groups(slots: Sequence[SlotInfo]) -> list[tuple[SlotInfo, ...]]:
    return [
        tuple(slots[i : i + MAX_SLOT_COLUMNS]) for i in range(0, len(slots), MAX_SLOT_COLUMNS)
    ] or [()]


def group_heading(group: tuple[SlotInfo, ...], *, offset: int, total: int) -> Paragraph:
    """Above each table when the half-days do not fit in one: which ones it shows."""
    text = _("Demi-journées %(first)s à %(last)s sur %(count)s") % {
        "first": offset + 1,
        "last": offset + len(group),
        "count": total,
    }
    return Paragraph(safe_text(text), styles()["h2"])


def slot_width(count: int) -> float:
    usable = PAGE[0] - 2 * MARGIN_X - NAME_WIDTH - STRUCTURE_WIDTH
    return min(MAX_SLOT_WIDTH, usable / max(count, 1))


def slot_header(slot: SlotInfo, *, sealed_marker: bool = True) -> LinesCell:
    lines = [(day_label(slot), FONT_BOLD, 7.5), (slot.times, FONT_BOLD, 7.5)]
    if sealed_marker:
        marker = _("scellée [%(n)s]") % {"n": slot.index} if slot.seal_digest else _("non scellée")
        lines.append((marker, FONT, 6))
    return LinesCell(lines)


def base_table_style(body_rows: int, *, countersign_row: bool) -> list:
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.55, 0.55, 0.55)),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.94, 0.97)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("LEFTPADDING", (0, 0), (1, -1), 3),
    ]
    if countersign_row:
        commands += [
            ("SPAN", (0, body_rows + 1), (1, body_rows + 1)),
            ("BACKGROUND", (0, body_rows + 1), (-1, body_rows + 1), colors.Color(0.96, 0.96, 0.96)),
            ("LINEABOVE", (0, body_rows + 1), (-1, body_rows + 1), 1.2, colors.black),
        ]
    return commands


def split_label(label: str, width: float) -> tuple[str, ...]:
    """A status sentence on short lines for a narrow cell: « Retard : arrivée 09:20, » /
    « 20 min manquées »; « Absent — » / « constaté à la clôture »; a first line still too
    wide for the cell is cut once more after the status (« Retard et départ anticipé : »)."""
    lines: list[str] = [label]
    for separator in (", ", " — "):
        head, sep, tail = label.rpartition(separator)
        if sep and head:
            lines = [head + sep.rstrip(), tail]
            break
    first = lines[0]
    if stringWidth(first, FONT_BOLD, 6.5) > width:
        status, sep, rest = first.partition(" : ")
        if sep:
            lines[0:1] = [status + " :", rest]
    return tuple(lines)


def cell_mark(cell: Cell, width: float) -> CellMark:
    """A participant's cell: signature (vector), status words, and a small line with the
    signing time and method. Absent cells are struck through; an empty cell is struck
    through only once it can no longer be signed (sealed, or its signing window over): a
    future or running half-day stays blank."""
    refs = " ".join(cell.rectification_refs)
    if cell.is_empty:
        if not cell.closed:
            return CellMark(width, CELL_HEIGHT)
        return CellMark(width, CELL_HEIGHT, lines=(_("— non signé"),), strike=True)
    lines: tuple[str, ...] = ()
    if cell.status != "present" or cell.signature is None:
        lines = split_label(cell.status_label, width - 2)
    small_parts = []
    if cell.signed_at is not None and not cell.is_absent:
        small_parts.append(f"{cell.signed_at:%H:%M}")
    if cell.method and not cell.is_absent:
        small_parts.append(METHOD_SHORT.get(cell.method, cell.method))
    if refs:
        small_parts.append(_("rectifié %(refs)s") % {"refs": refs})
    return CellMark(
        width,
        CELL_HEIGHT,
        signature=None if cell.is_absent else cell.signature,
        lines=tuple(plain_text(x) for x in lines),
        small=plain_text(" · ".join(small_parts)),
        strike=cell.is_absent,
    )


def countersign_mark(slot: SlotInfo, width: float) -> CellMark:
    if slot.countersigned_at is None:
        return CellMark(width, COUNTERSIGN_HEIGHT, lines=(_("Non contresignée"),))
    small = plain_text(f"{slot.countersigned_by} · {slot.countersigned_at:%d/%m %H:%M}")
    lines = () if slot.countersignature else (_("Contresignée"),)
    return CellMark(
        width, COUNTERSIGN_HEIGHT, signature=slot.countersignature, lines=lines, small=small
    )


def attendance_table(data: SheetData, group: tuple[SlotInfo, ...], offset: int) -> Table:
    width = slot_width(len(group))
    header = [TextCell(_("Participant·e"), FONT_BOLD), TextCell(_("Structure"), FONT_BOLD)]
    header += [slot_header(slot) for slot in group]
    rows = [header]
    inner = width - 2 * CELL_PAD
    for row in data.rows:
        name = TextCell(row.participant_name, FONT_BOLD, 7.5, 9)
        if row.signed_as:
            name = [name, TextCell("; ".join(row.signed_as), FONT, 6, 7, color=GREY)]
        line = [name, TextCell(row.structure_name, FONT, 7, 8.5)]
        line += [cell_mark(cell, inner) for cell in row.cells[offset : offset + len(group)]]
        rows.append(line)
    countersign = [TextCell(_("Contre-signature du formateur ou de la formatrice"), FONT_BOLD), ""]
    countersign += [countersign_mark(slot, inner) for slot in group]
    rows.append(countersign)
    table = Table(
        rows,
        colWidths=[NAME_WIDTH, STRUCTURE_WIDTH] + [width] * len(group),
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(base_table_style(len(data.rows), countersign_row=True)))
    return table


def legend(data: SheetData) -> Paragraph:
    text = _(
        "Horaires en %(tz)s. Cases barrées : aucune signature ne peut plus y être ajoutée "
        "(demi-journée scellée ou émargement terminé) ; une case vide non barrée est celle "
        "d'une demi-journée à venir ou en cours. Sous chaque signature : heure de signature et "
        "mode de recueil (T tablette du formateur, Q QR code sur son téléphone, L lien "
        "personnel à distance, P feuille papier saisie, F relevé par le formateur, C constaté "
        "à la clôture). Retard, départ anticipé : heure d'arrivée ou de départ et minutes "
        "manquées. Rn : voir l'annexe « Rectifications »."
    ) % {"tz": data.time_zone_label}
    return Paragraph(safe_text(text), styles()["tiny"])


def annex(
    *, title: str, intro: str, columns: Sequence[str], rows: list, col_widths: list, space: float
) -> list:
    """An annex after the sheet: heading, explanation, then a table whose header row
    repeats on every page; starts on a new page unless `space` points are left."""
    st = styles()
    table = Table(
        [[TextCell(c, FONT_BOLD) for c in columns], *rows],
        colWidths=col_widths,
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.55, 0.55, 0.55)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.94, 0.97)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [
        CondPageBreak(space),
        Paragraph(safe_text(title), st["h2"]),
        Paragraph(safe_text(intro), st["small"]),
        Spacer(1, 4),
        table,
    ]


def rectifications_annex(data: SheetData) -> list:
    rows = [
        [TextCell(r.ref, FONT_BOLD)]
        + [
            TextCell(t)
            for t in (
                r.participant_name,
                r.slot_label,
                r.old,
                r.new,
                r.reason,
                r.author,
                f"{r.created_at:%d/%m/%Y %H:%M}",
            )
        ]
        + [TextCell(r.digest[:16], FONT, 6, 8)]
        for r in data.rectifications
    ]
    return annex(
        title=_("Rectifications"),
        intro=_(
            "Corrections apportées après le scellement d'une demi-journée : chaque "
            "rectification est un enregistrement ajouté (jamais une modification), avec son "
            "auteur, son motif et sa date. La feuille ci-dessus montre l'état rectifié."
        ),
        columns=(
            _("Réf."),
            _("Participant·e"),
            _("Demi-journée"),
            _("Avant"),
            _("Après"),
            _("Motif"),
            _("Auteur"),
            _("Date"),
            _("Empreinte"),
        ),
        rows=rows,
        col_widths=[28, 112, 88, 80, 80, 172, 85, 60, 80],
        space=120,
    )


def seals_annex(data: SheetData) -> list:
    rows = [
        [TextCell(f"[{seal.slot_index}]", FONT_BOLD)]
        + [
            TextCell(t)
            for t in (
                seal.slot_label,
                str(seal.sequence),
                f"{seal.sealed_at:%d/%m/%Y %H:%M}",
                seal.sealed_by,
            )
        ]
        + [
            [
                TextCell(seal.digest, FONT, 6.5, 8),
                TextCell(seal.previous_digest or "—", FONT, 6.5, 8, color=GREY),
            ]
        ]
        for seal in data.seals
    ]
    return annex(
        title=_("Scellements"),
        intro=_(
            "Chaque demi-journée close est scellée par une empreinte SHA-256 de ses "
            "émargements, chaînée à l'empreinte du scellement précédent de la session : toute "
            "modification ultérieure hors rectification est détectable."
        ),
        columns=(
            _("N°"),
            _("Demi-journée"),
            _("Rang"),
            _("Scellée le"),
            _("Par"),
            _("Empreinte SHA-256 / empreinte précédente"),
        ),
        rows=rows,
        col_widths=[30, 110, 35, 75, 120, 340],
        space=100,
    )


def build_document(data: SheetData, *, title: str, story: list, seals: bool = True) -> bytes:
    """Lays out `story` on landscape A4 pages carrying the band, sentences and footer."""
    register_fonts()
    buffer = io.BytesIO()
    top, para, para_height = content_top(data)
    bottom = FOOTER_HEIGHT + 2
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=PAGE[1] - top,
        bottomMargin=bottom,
        title=f"{title} — {data.session_code}",
        author=data.programme_carrier,
        subject=data.number,
        creator="Suivi Formations",
    )
    frame = Frame(
        MARGIN_X,
        bottom,
        PAGE[0] - 2 * MARGIN_X,
        top - bottom - 4,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                id="page",
                frames=[frame],
                onPage=partial(
                    draw_page_header, data=data, title=title, para=para, para_height=para_height
                ),
            ),
        ]
    )
    doc.build(story, canvasmaker=numbered_canvas(partial(draw_footer, data=data, seals=seals)))
    return buffer.getvalue()


def render_sheet(data: SheetData) -> bytes:
    """The signed feuille d'émargement as PDF bytes. No queries: everything is in `data`."""
    story: list = [info_block(data), Spacer(1, 6)]
    groups = slot_groups(data.slots)
    offset = 0
    for number, group in enumerate(groups, start=1):
        if len(groups) > 1:
            story += [
                CondPageBreak(90),
                group_heading(group, offset=offset, total=len(data.slots)),
            ]
        story.append(attendance_table(data, group, offset))
        story.append(Spacer(1, 3))
        offset += len(group)
        if number == len(groups):
            story.append(legend(data))
        story.append(Spacer(1, 6))
    if data.rectifications:
        story += rectifications_annex(data)
    if data.seals:
        story += seals_annex(data)
    title = (
        _("Extrait de feuille d'émargement") if data.extract_label else _("Feuille d'émargement")
    )
    return build_document(data, title=title, story=story)
