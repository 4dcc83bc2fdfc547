"""The certificat d'assiduité of one structure in one formation, on portrait A4:
`render_structure_certificate(data)`.

The certifying sentence and the structure, operation and contract; a summary with one row
per covered session (people, hours, the contract's attendees-per-structure rule); each
person's hours over the formation; then every session's table of the structure's people
× half-days (status and counted hours in each cell, the person's hours at the end of the
row), six half-days per table at most, header rows repeated on every page. It takes a
`livrables.data_structure_certificate.StructureCertificateData`, runs no queries, and
shares the participant certificates' page (`livrables.pdf.certificates`): funders' emblem
block and sentences, number, QR code to the verification page, « Page x / y », issuer and
signatory.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from formations.french import hours_label
from livrables.data_structure_certificate import SessionBlock, StructureCertificateData
from livrables.pdf.base import FONT, FONT_BOLD, GREY, safe_text
from livrables.pdf.certificates import (
    MARGIN_X,
    PAGE,
    _build,
    _signature_block,
    _styles,
    _title_block,
    facts_table,
)
from livrables.pdf.sheet import LinesCell, TextCell

USABLE = PAGE[0] - 2 * MARGIN_X
# Half-days side by side in one table; a longer session continues in a second table.
HALF_DAYS_PER_TABLE = 6
NAME_WIDTH = 104
HOURS_WIDTH = 62
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD_BACKGROUND = colors.Color(0.93, 0.94, 0.97)
TOTAL_BACKGROUND = colors.Color(0.96, 0.96, 0.96)


def _rate(realised: int, planned: int) -> str:
    if not planned:
        return "—"
    return f"{100 * realised / planned:.1f} %".replace(".", ",")


def _hours_pair(realised: int, planned: int) -> str:
    return f"{hours_label(realised)} / {hours_label(planned)}"


def _table(rows, widths, *, total_row: bool = True, extra=()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BACKGROUND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        *extra,
    ]
    if total_row:
        style.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_BACKGROUND))
    table.setStyle(TableStyle(style))
    return table


def _identity(data: StructureCertificateData, st: dict[str, ParagraphStyle]) -> Table:
    def pair(label, value):
        return [Paragraph(safe_text(label), st["head"]), Paragraph(safe_text(value), st["cell"])]

    structure = data.structure_name
    details = ", ".join(v for v in (data.structure_kind, data.structure_commune) if v)
    if details:
        structure = f"{structure} ({details})"
    sessions = len(data.sessions)
    period = ngettext(
        "du %(start)s au %(end)s — %(n)s session entièrement scellée",
        "du %(start)s au %(end)s — %(n)s sessions entièrement scellées",
        sessions,
    ) % {"start": f"{data.first_date:%d/%m/%Y}", "end": f"{data.last_date:%d/%m/%Y}", "n": sessions}
    rule = (
        _("%(expected)s participant·es par structure et par session")
        % {"expected": data.rule_expected}
        if data.rule_applicable
        else _("aucune (le marché ne fixe pas de nombre de participant·es par structure)")
    )
    return facts_table(
        [
            pair(_("Structure"), structure),
            pair(
                _("Opération"),
                f"{data.programme_reference} — {data.programme_title} "
                f"({_('porteur')} : {data.programme_carrier})",
            ),
            pair(_("Marché"), f"{data.contract_reference} — {data.formation_title}"),
            pair(_("Organisme de formation"), data.provider.legal_name),
            pair(_("Période couverte"), period),
            pair(_("Règle du marché"), rule),
        ],
        label_width=110,
    )


def _dates(block: SessionBlock) -> str:
    if block.first_date == block.last_date:
        return f"{block.first_date:%d/%m/%Y}"
    return f"{block.first_date:%d/%m/%Y} – {block.last_date:%d/%m/%Y}"


def _rule_text(block: SessionBlock) -> str:
    return block.rule.text if block.rule is not None else _("sans objet")


def _summary(data: StructureCertificateData) -> Table:
    """One row per covered session: people, hours realised / planned, the rule."""
    head = [
        TextCell(t, FONT_BOLD, 7)
        for t in (
            _("Session"),
            _("Dates"),
            _("Personnes"),
            _("Réalisé / prévu"),
            _("Règle par structure"),
        )
    ]
    rows = [head]
    for block in data.sessions:
        rows.append(
            [
                TextCell(block.code, FONT, 7, 8.5),
                TextCell(_dates(block), FONT, 7, 8.5),
                TextCell(str(len(block.people)), FONT, 7, 8.5),
                TextCell(_hours_pair(block.realised_minutes, block.planned_minutes), FONT, 7, 8.5),
                TextCell(_rule_text(block), FONT, 7, 8.5),
            ]
        )
    rows.append(
        [
            TextCell(_("Total"), FONT_BOLD, 7),
            "",
            TextCell(
                ngettext("%(n)s personne", "%(n)s personnes", len(data.people))
                % {"n": len(data.people)},
                FONT_BOLD,
                7,
            ),
            TextCell(_hours_pair(data.realised_minutes, data.planned_minutes), FONT_BOLD, 7),
            TextCell(
                ngettext(
                    "respectée à %(held)s session sur %(total)s",
                    "respectée à %(held)s sessions sur %(total)s",
                    data.rule_held_sessions,
                )
                % {"held": data.rule_held_sessions, "total": len(data.sessions)}
                if data.rule_applicable
                else _("sans objet"),
                FONT_BOLD,
                7,
            ),
        ]
    )
    widths = [84, 100, 62, 80, USABLE - 84 - 100 - 62 - 80]
    return _table(rows, widths, extra=[("SPAN", (0, -1), (1, -1))])


def _people(data: StructureCertificateData) -> Table:
    """Each person's hours over every covered session of the formation."""
    head = [
        TextCell(t, FONT_BOLD, 7)
        for t in (_("Participant·e"), _("Sessions"), _("Réalisé / prévu"), _("Taux d'assiduité"))
    ]
    rows = [head]
    for person in data.people:
        rows.append(
            [
                TextCell(person.name, FONT, 7, 8.5),
                TextCell(str(person.sessions), FONT, 7, 8.5),
                TextCell(
                    _hours_pair(person.realised_minutes, person.planned_minutes), FONT, 7, 8.5
                ),
                TextCell(_rate(person.realised_minutes, person.planned_minutes), FONT, 7, 8.5),
            ]
        )
    rows.append(
        [
            TextCell(_("Total de la structure"), FONT_BOLD, 7),
            "",
            TextCell(_hours_pair(data.realised_minutes, data.planned_minutes), FONT_BOLD, 7),
            TextCell(_rate(data.realised_minutes, data.planned_minutes), FONT_BOLD, 7),
        ]
    )
    return _table(rows, [USABLE - 60 - 90 - 80, 60, 90, 80])


def _session_tables(block: SessionBlock) -> list[Table]:
    """The structure's people × the session's half-days, six half-days per table; the
    person's hours in the session close the last one, with the structure's total."""
    tables = []
    groups = [
        (start, block.half_days[start : start + HALF_DAYS_PER_TABLE])
        for start in range(0, len(block.half_days), HALF_DAYS_PER_TABLE)
    ]
    for number, (start, heads) in enumerate(groups, start=1):
        last = number == len(groups)
        hours_width = HOURS_WIDTH if last else 0
        slot_width = (USABLE - NAME_WIDTH - hours_width) / len(heads)
        header = [TextCell(_("Participant·e"), FONT_BOLD, 7)]
        for head in heads:
            header.append(
                LinesCell(
                    [
                        (f"{head.date:%d/%m/%Y}", FONT_BOLD, 6.5),
                        (f"{head.start:%H:%M}–{head.end:%H:%M}", FONT, 6.5),
                    ]
                )
            )
        if last:
            header.append(TextCell(_("Réalisé / prévu"), FONT_BOLD, 6.5, 8))
        rows = [header]
        for person in block.people:
            name = [TextCell(person.name, FONT_BOLD, 7, 8.5)]
            if person.job_title:
                name.append(TextCell(person.job_title, FONT, 6, 7.5, color=GREY))
            row: list = [name]
            for cell in person.cells[start : start + len(heads)]:
                row.append(
                    [
                        TextCell(cell.label, FONT, 6.5, 8),
                        TextCell(
                            _("compté : %(hours)s") % {"hours": hours_label(cell.realised_minutes)},
                            FONT,
                            6,
                            7.5,
                            color=GREY,
                        ),
                    ]
                )
            if last:
                row.append(
                    TextCell(
                        _hours_pair(person.realised_minutes, person.planned_minutes),
                        FONT_BOLD,
                        7,
                        8.5,
                    )
                )
            rows.append(row)
        extra = []
        if last:
            total = [TextCell(_("Total de la structure"), FONT_BOLD, 7)]
            total += [""] * len(heads)
            total.append(
                TextCell(
                    _hours_pair(block.realised_minutes, block.planned_minutes), FONT_BOLD, 7, 8.5
                )
            )
            rows.append(total)
            extra.append(("SPAN", (0, -1), (len(heads), -1)))
        widths = [NAME_WIDTH] + [slot_width] * len(heads) + ([hours_width] if last else [])
        tables.append(_table(rows, widths, total_row=last, extra=extra))
    return tables


def _session_section(block: SessionBlock, st: dict[str, ParagraphStyle], lead=()) -> list:
    """A session's heading, the rule's verdict and its tables; `lead`: flowables kept on
    the same page as the heading (the section title before the first session)."""
    where = f" — {block.place}" if block.place else ""
    heading = Paragraph(
        safe_text(
            _("Session %(code)s — %(dates)s%(where)s")
            % {"code": block.code, "dates": _dates(block), "where": where}
        ),
        st["body_bold"],
    )
    rule = Paragraph(
        safe_text(
            _("Horaires en %(tz)s. Règle du marché par structure : %(rule)s.")
            % {"tz": block.time_zone_label, "rule": _rule_text(block)}
        ),
        st["small"],
    )
    if not block.people:
        empty = Paragraph(
            safe_text(_("Aucune personne de la structure n'était inscrite à cette session.")),
            st["body"],
        )
        return [KeepTogether([*lead, heading, rule, Spacer(1, 3), empty]), Spacer(1, 8)]
    tables = _session_tables(block)
    first = KeepTogether([*lead, heading, rule, Spacer(1, 3), tables[0]])
    rest = []
    for table in tables[1:]:
        rest += [Spacer(1, 4), table]
    return [first, *rest, Spacer(1, 10)]


def render_structure_certificate(data: StructureCertificateData) -> bytes:
    """The certificat d'assiduité of a structure in a formation as PDF bytes."""
    st = _styles()
    title = _("Certificat d'assiduité de la structure")
    provider = data.provider
    rate = data.attendance_rate
    rate_text = "—" if rate is None else f"{rate:.1f} %".replace(".", ",")
    story = _title_block(data, title) + [
        Paragraph(
            safe_text(
                _(
                    "Je soussigné(e) %(name)s, %(role)s, représentant légal de l'organisme de "
                    "formation %(provider)s, certifie l'assiduité des personnes de la structure"
                )
                % {
                    "name": provider.representative_name,
                    "role": provider.representative_role,
                    "provider": provider.legal_name,
                }
            ),
            st["body"],
        ),
        Paragraph(safe_text(data.structure_name), st["big"]),
        Paragraph(
            safe_text(
                _(
                    "aux sessions de l'action « %(formation)s » ci-dessous, d'après les "
                    "feuilles d'émargement scellées."
                )
                % {"formation": data.formation_title}
            ),
            st["body"],
        ),
        Spacer(1, 8),
        _identity(data, st),
        Spacer(1, 10),
        Paragraph(safe_text(_("Synthèse par session")), st["h2"]),
        _summary(data),
        Spacer(1, 6),
        Paragraph(
            safe_text(
                _(
                    "Heures réalisées : %(realised)s sur %(planned)s prévues — taux "
                    "d'assiduité de la structure : %(rate)s"
                )
                % {
                    "planned": hours_label(data.planned_minutes),
                    "realised": hours_label(data.realised_minutes),
                    "rate": rate_text,
                }
            ),
            st["body_bold"],
        ),
        Paragraph(
            safe_text(
                _(
                    "Heures prévues : chaque personne inscrite × les demi-journées de sa "
                    "session ; seuls les émargements signés et contresignés comptent."
                )
            ),
            st["small"],
        ),
        Spacer(1, 8),
        KeepTogether([Paragraph(safe_text(_("Heures par personne")), st["h2"]), _people(data)]),
        Spacer(1, 8),
    ]
    lead = [Paragraph(safe_text(_("Détail par session")), st["h2"])]
    for index, block in enumerate(data.sessions):
        story += _session_section(block, st, lead=lead if index == 0 else ())
    story += [Spacer(1, 8), _signature_block(data)]
    return _build(data, title=title, story=story)
