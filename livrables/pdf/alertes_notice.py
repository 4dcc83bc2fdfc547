"""The Alertes « notice d'utilisation » as a PDF (seed 002's first deliverable), on
portrait A4, from `alertes.notice.NoticeData` (no ORM):

- on every page, the EU emblem with the fund's sentence beside it (data: the structure's
  EU-funded programmes, else seed 002's FEDER 2014-2020 sentence), in plain Helvetica,
  Reflex Blue (DESIGN.md, « Documents: what every issued PDF carries »);
- a title, the table of contents, then each section: paragraphs, bulleted lists and
  numbered steps (Paragraphs in DejaVu Sans, which may split across pages);
- « Page x / y » and the guide's name in the footer.

It is a guide, not a justificatif: nothing is issued or kept (no `IssuedDocument`).
"""

import io
from functools import partial

from django.utils.translation import gettext as _
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    Spacer,
)

from alertes.notice import NoticeData
from livrables.pdf.base import (
    EU_STATEMENT_FONT,
    FONT,
    FONT_BOLD,
    GREY,
    REFLEX_BLUE,
    draw_eu_emblem,
    numbered_canvas,
    plain_text,
    register_fonts,
    safe_text,
    styles,
)

PAGE = A4
MARGIN_X = 50
TOP = 30
EMBLEM_HEIGHT = 30
FOOTER_HEIGHT = 40
STATEMENT_SIZE = 10


def _st() -> dict[str, ParagraphStyle]:
    base = styles()["base"]
    body = ParagraphStyle("notice_body", parent=base, fontSize=10, leading=14, spaceAfter=5)
    return {
        "body": body,
        "note": ParagraphStyle("notice_note", parent=body, textColor=GREY, fontSize=9),
        "item": ParagraphStyle("notice_item", parent=body, spaceAfter=2),
        "title": ParagraphStyle(
            "notice_title", parent=base, fontName=FONT_BOLD, fontSize=20, leading=25
        ),
        "subtitle": ParagraphStyle(
            "notice_subtitle", parent=body, fontSize=12, leading=16, textColor=GREY
        ),
        "h2": ParagraphStyle(
            "notice_h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=13,
            leading=17,
            spaceBefore=12,
            spaceAfter=6,
            textColor=REFLEX_BLUE,
        ),
        "contents": ParagraphStyle("notice_contents", parent=body, alignment=TA_LEFT),
    }


def _statement_lines(sentence: str, width: float) -> list[str]:
    """The sentence cut into lines that fit `width` in the statement font."""
    lines, line = [], ""
    for word in plain_text(sentence).split():
        candidate = f"{line} {word}".strip()
        if line and pdfmetrics.stringWidth(candidate, EU_STATEMENT_FONT, STATEMENT_SIZE) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _sentences(data: NoticeData) -> list[str]:
    seen = []
    for block in data.publicity:
        for sentence in block.sentences:
            if sentence not in seen:
                seen.append(sentence)
    return seen


def _header_height(data: NoticeData) -> float:
    width = PAGE[0] - 2 * MARGIN_X - EMBLEM_HEIGHT * 1.5 - 10
    lines = sum(len(_statement_lines(s, width)) for s in _sentences(data))
    return max(EMBLEM_HEIGHT, lines * (STATEMENT_SIZE + 2))


def _header(canvas, doc, *, data: NoticeData):
    """The EU emblem, the sentences beside it in Reflex Blue Helvetica."""
    height = _header_height(data)
    top = PAGE[1] - TOP
    y = top - height + (height - EMBLEM_HEIGHT) / 2
    emblem_width = draw_eu_emblem(canvas, MARGIN_X, y, EMBLEM_HEIGHT)
    x = MARGIN_X + emblem_width + 10
    width = PAGE[0] - MARGIN_X - x
    lines = [line for s in _sentences(data) for line in _statement_lines(s, width)]
    canvas.saveState()
    canvas.setFillColor(REFLEX_BLUE)
    canvas.setFont(EU_STATEMENT_FONT, STATEMENT_SIZE)
    text_height = len(lines) * (STATEMENT_SIZE + 2)
    line_y = top - (height - text_height) / 2 - STATEMENT_SIZE
    for line in lines:
        canvas.drawString(x, line_y, line)
        line_y -= STATEMENT_SIZE + 2
    canvas.restoreState()


def _footer(canvas, number: int, total: int, *, data: NoticeData):
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN_X, 24, plain_text(data.title))
    canvas.drawRightString(
        PAGE[0] - MARGIN_X, 24, _("Page %(page)s / %(pages)s") % {"page": number, "pages": total}
    )
    canvas.restoreState()


def _items(items, style, *, numbered: bool):
    return ListFlowable(
        [ListItem(Paragraph(safe_text(item), style), leftIndent=16) for item in items],
        bulletType="1" if numbered else "bullet",
        start="1" if numbered else "•",
        bulletFormat="%s." if numbered else None,
        bulletFontName=FONT,
        bulletFontSize=9,
        leftIndent=16,
        spaceAfter=5,
    )


def notice_story(data: NoticeData) -> list:
    st = _st()
    story = [
        Paragraph(safe_text(data.title), st["title"]),
        Spacer(1, 4),
        Paragraph(safe_text(data.subtitle), st["subtitle"]),
    ]
    if data.structure_name:
        story.append(Paragraph(safe_text(data.structure_name), st["subtitle"]))
    for block in data.publicity:
        if block.title:
            text = _("Opération « %(title)s » (%(reference)s).") % {
                "title": block.title,
                "reference": block.reference,
            }
            if block.operation_sentence:
                text = f"{text} {block.operation_sentence}"
            story.append(Paragraph(safe_text(text), st["note"]))
    story += [Spacer(1, 10), Paragraph(safe_text(_("Sommaire")), st["h2"])]
    story.append(
        _items([section.title for section in data.sections], st["contents"], numbered=True)
    )
    for number, section in enumerate(data.sections, start=1):
        story.append(CondPageBreak(90))
        story.append(Paragraph(safe_text(f"{number}. {section.title}"), st["h2"]))
        for block in section.blocks:
            if block.kind == "list":
                story.append(_items(block.items, st["item"], numbered=False))
            elif block.kind == "steps":
                story.append(_items(block.items, st["item"], numbered=True))
            elif block.kind == "note":
                story.append(Paragraph(safe_text(block.items[0]), st["note"]))
            else:
                story.append(Paragraph(safe_text(block.items[0]), st["body"]))
    return story


def render_notice(data: NoticeData) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    top = PAGE[1] - TOP - _header_height(data) - 16
    bottom = FOOTER_HEIGHT
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=PAGE[1] - top,
        bottomMargin=bottom,
        title=plain_text(data.title),
        subject=plain_text(data.subtitle),
        creator="Suivi Formations",
    )
    frame = Frame(
        MARGIN_X,
        bottom,
        PAGE[0] - 2 * MARGIN_X,
        top - bottom,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=partial(_header, data=data))]
    )
    doc.build(notice_story(data), canvasmaker=numbered_canvas(partial(_footer, data=data)))
    return buffer.getvalue()
