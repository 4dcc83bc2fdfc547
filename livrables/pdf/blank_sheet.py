"""The blank paper sheet: the fallback when no tablet or phone can be used.

Same band, mentions and references as the signed sheet; the enrolled names pre-filled;
one empty cell per half-day; and per half-day a QR code to that half-day's paper page,
where the trainer uploads the scan and keys the statuses in.
"""

from django.utils.translation import gettext as _
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from livrables.data import SheetData, SlotInfo
from livrables.pdf.base import FONT, safe_text, styles
from livrables.pdf.sheet import (
    CELL_PAD,
    NAME_WIDTH,
    STRUCTURE_WIDTH,
    LinesCell,
    QRFlowable,
    base_table_style,
    build_document,
    day_label,
    group_heading,
    info_block,
    slot_groups,
    slot_width,
)

BLANK_ROW_HEIGHT = 30
QR_SIZE = 46


def blank_slot_header(slot: SlotInfo, width: float) -> list:
    st = styles()["head_center"]
    text = f"{safe_text(day_label(slot))}<br/>{safe_text(slot.times)}"
    qr = (
        QRFlowable(slot.paper_url, min(QR_SIZE, width - 2 * CELL_PAD))
        if slot.paper_url
        else Spacer(1, 1)
    )
    caption = LinesCell([(_("scan de la feuille"), FONT, 5.5)])
    return [Paragraph(text, st), Spacer(1, 2), qr, caption]


def blank_table(data: SheetData, group: tuple[SlotInfo, ...]) -> Table:
    st = styles()
    width = slot_width(len(group))
    header = [
        Paragraph(safe_text(_("Participant·e")), st["head"]),
        Paragraph(safe_text(_("Structure")), st["head"]),
    ]
    header += [blank_slot_header(slot, width) for slot in group]
    rows = [header]
    for row in data.rows:
        rows.append(
            [
                Paragraph(safe_text(row.participant_name), st["cell_bold"]),
                Paragraph(safe_text(row.structure_name), st["small"]),
            ]
            + [""] * len(group)
        )
    rows.append(
        [
            Paragraph(
                safe_text(_("Signature et nom du formateur ou de la formatrice")), st["head"]
            ),
            "",
        ]
        + [""] * len(group)
    )
    heights = [None] + [BLANK_ROW_HEIGHT] * len(data.rows) + [BLANK_ROW_HEIGHT + 8]
    table = Table(
        rows,
        colWidths=[NAME_WIDTH, STRUCTURE_WIDTH] + [width] * len(group),
        rowHeights=heights,
        repeatRows=1,
        hAlign="LEFT",
    )
    commands = base_table_style(len(data.rows), countersign_row=True)
    commands += [("VALIGN", (2, 0), (-1, 0), "TOP"), ("ALIGN", (2, 0), (-1, 0), "CENTER")]
    table.setStyle(TableStyle(commands))
    return table


def instructions() -> Paragraph:
    text = _(
        "Feuille de secours, à utiliser quand la signature sur tablette ou téléphone est "
        "impossible. Chaque personne signe à l'encre dans la case de la demi-journée ; le "
        "formateur ou la formatrice barre les cases vides à la fin de la demi-journée, "
        "contresigne, puis scanne la feuille et la dépose en flashant le QR code de la "
        "demi-journée pour saisir les présences."
    )
    return Paragraph(safe_text(text), styles()["small"])


def render_blank_sheet(data: SheetData) -> bytes:
    """The paper sheet to print and sign, as PDF bytes. No queries: everything is in `data`.
    Signatures, statuses and countersignatures in `data` are ignored: every cell is blank."""
    story: list = [info_block(data), Spacer(1, 4), instructions(), Spacer(1, 6)]
    groups = slot_groups(data.slots)
    offset = 0
    for group in groups:
        if len(groups) > 1:
            story.append(group_heading(group, offset=offset, total=len(data.slots)))
        story.append(blank_table(data, group))
        story.append(Spacer(1, 8))
        offset += len(group)
    return build_document(data, title=_("Feuille d'émargement à signer"), story=story, seals=False)
