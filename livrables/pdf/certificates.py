"""The two documents issued per participant and formation, on portrait A4:

- `render_completion_certificate(data)`: the certificat de réalisation in the wording of
  the Ministry of Labour's model (the four boxes of the action's nature, the retention
  commitment, « Fait à … le … »), realised hours with the planned hours beside them;
- `render_attendance_attestation(data)`: the attestation d'assiduité of EU-funded actions,
  every half-day with its status, planned and realised hours and the attendance rate.

Both take a `livrables.data_certificates.CertificateData`, run no queries and carry the
funders' emblem block and sentences (`draw_funders_band`, `sheet.sentences`), the number,
a QR code to the verification page, « Page x / y » and the issuer in the footer.
"""

import io
from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from formations.french import hours_label
from livrables.data_certificates import CertificateData
from livrables.pdf.base import (
    FONT,
    FONT_BOLD,
    GREY,
    LIGHT_GREY,
    ImageCell,
    draw_funders_band,
    image_size,
    numbered_canvas,
    plain_text,
    register_fonts,
    styles,
)
from livrables.pdf.sheet import QRFlowable, TextCell, sentences

PAGE = A4
MARGIN_X = 46
TOP = 30
BAND_HEIGHT = 30
FOOTER_HEIGHT = 52
QR_SIZE = 64
CHECKED, UNCHECKED = "☒", "☐"
USABLE = PAGE[0] - 2 * MARGIN_X


def _styles() -> dict[str, ParagraphStyle]:
    st = styles()
    body = ParagraphStyle("cert_body", parent=st["base"], fontSize=10, leading=14)
    return {
        **st,
        "body": body,
        "body_bold": ParagraphStyle("cert_body_bold", parent=body, fontName=FONT_BOLD),
        "big": ParagraphStyle(
            "cert_big", parent=body, fontName=FONT_BOLD, fontSize=12, leading=16, spaceBefore=2
        ),
        "doc_title": ParagraphStyle(
            "cert_title",
            parent=st["title"],
            fontSize=16,
            leading=20,
            alignment=TA_CENTER,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle(
            "cert_subtitle", parent=body, alignment=TA_CENTER, textColor=GREY, fontSize=9
        ),
        "legal": ParagraphStyle("cert_legal", parent=body, fontSize=8.5, leading=11.5),
    }


def hours_text(minutes: int) -> str:
    """« 6,5 heures (6 h 30) »: the model asks for a number of hours."""
    decimal = f"{minutes / 60:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    # French puts a quantity below 2 in the singular: « 1,5 heure », « 0 heure ».
    return ngettext(
        "%(hours)s heure (%(label)s)", "%(hours)s heures (%(label)s)", 1 if minutes < 120 else 2
    ) % {"hours": decimal, "label": hours_label(minutes)}


def _header(canvas, doc, *, data: CertificateData, title: str, para, para_height: float) -> None:
    width, height = PAGE
    band_y = height - TOP - BAND_HEIGHT
    canvas.saveState()
    right = width - MARGIN_X
    canvas.setFont(FONT_BOLD, 8.5)
    canvas.drawRightString(right, band_y + BAND_HEIGHT - 10, plain_text(title))
    canvas.setFont(FONT, 7)
    canvas.setFillColor(GREY)
    canvas.drawRightString(
        right, band_y + BAND_HEIGHT - 20, plain_text(_("N° %(number)s") % {"number": data.number})
    )
    canvas.drawRightString(right, band_y + 0.5, plain_text(data.contract_reference))
    canvas.restoreState()
    draw_funders_band(canvas, MARGIN_X, band_y, BAND_HEIGHT, data.funders, max_width=300)
    if para is not None:
        para.drawOn(canvas, MARGIN_X, band_y - 4 - para_height)
    canvas.saveState()
    canvas.setStrokeColor(LIGHT_GREY)
    canvas.setLineWidth(0.6)
    line_y = band_y - 4 - (para_height + 3 if para is not None else 0)
    canvas.line(MARGIN_X, line_y, width - MARGIN_X, line_y)
    canvas.restoreState()


def _footer(canvas, page: int, total: int, *, data: CertificateData) -> None:
    width = PAGE[0]
    provider = data.provider
    canvas.saveState()
    canvas.setStrokeColor(LIGHT_GREY)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, FOOTER_HEIGHT - 4, width - MARGIN_X, FOOTER_HEIGHT - 4)
    canvas.setFont(FONT_BOLD, 8)
    canvas.drawRightString(
        width - MARGIN_X,
        FOOTER_HEIGHT - 15,
        _("Page %(page)s / %(total)s") % {"page": page, "total": total},
    )
    lines = [
        _("Document n° %(number)s — émis le %(date)s à %(time)s (%(tz)s)")
        % {
            "number": data.number,
            "date": f"{data.generated_at:%d/%m/%Y}",
            "time": f"{data.generated_at:%H:%M}",
            "tz": data.time_zone_label,
        },
        _("Émis par %(name)s — SIRET %(siret)s — déclaration d'activité n° %(nda)s")
        % {
            "name": provider.legal_name,
            "siret": provider.siret,
            "nda": provider.declaration_number,
        },
        _("Vérifier l'authenticité : %(url)s") % {"url": data.verification_url},
    ]
    y = FOOTER_HEIGHT - 15
    canvas.setFont(FONT, 6.5)
    for index, line in enumerate(lines):
        canvas.setFillColor(colors.black if index == 0 else GREY)
        canvas.drawString(MARGIN_X, y, plain_text(line))
        y -= 8.5
    canvas.restoreState()


def _build(data: CertificateData, *, title: str, story: list) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    items = sentences(data)
    para = TextCell.styled(" · ".join(items), styles()["sentence"]) if items else None
    para_height = para.wrap(PAGE[0] - 2 * MARGIN_X, 100)[1] if para is not None else 0.0
    top = PAGE[1] - TOP - BAND_HEIGHT - 10 - (para_height + 4 if para is not None else 0)
    bottom = FOOTER_HEIGHT + 4
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=PAGE[1] - top,
        bottomMargin=bottom,
        title=f"{title} — {data.number}",
        author=data.provider.legal_name,
        subject=data.number,
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
        [
            PageTemplate(
                id="page",
                frames=[frame],
                onPage=partial(_header, data=data, title=title, para=para, para_height=para_height),
            )
        ]
    )
    doc.build(story, canvasmaker=numbered_canvas(partial(_footer, data=data)))
    return buffer.getvalue()


def _title_block(data: CertificateData, title: str) -> list:
    st = _styles()
    return [
        TextCell.styled((title.upper()), st["doc_title"]),
        TextCell.styled(
            (_("D'après les demi-journées scellées — %(state)s") % {"state": data.state_label}),
            st["subtitle"],
        ),
        Spacer(1, 14),
    ]


def facts_table(rows: list, *, label_width: float) -> Table:
    """Label / value rows (cells already built) in two columns, flush left, no grid: the
    identity block of a document."""
    table = Table(rows, colWidths=[label_width, USABLE - label_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _signature_block(data: CertificateData) -> Table:
    """« Fait à … le … », the signature-and-stamp image when one is set, the signatory's
    name and role; the QR code to the verification page beside it."""
    st = _styles()
    provider = data.provider
    cells: list = [
        TextCell.styled(
            (
                _("Fait à %(place)s, le %(date)s")
                % {"place": provider.signing_place, "date": f"{data.generated_at:%d/%m/%Y}"}
            ),
            st["body"],
        ),
        Spacer(1, 4),
    ]
    size = image_size(provider.signature_image) if provider.signature_image else None
    if size is not None:
        img_w, img_h = size
        scale = min(170 / img_w, 70 / img_h) if img_w and img_h else 0
        if scale:
            cells.append(ImageCell(provider.signature_image, img_w * scale, img_h * scale))
    else:
        cells.append(Spacer(1, 40))
    cells += [
        TextCell.styled((provider.representative_name), st["body_bold"]),
        TextCell.styled((provider.representative_role), st["body"]),
        TextCell.styled(
            (_("Cachet et signature du responsable du dispensateur de formation")),
            st["small"],
        ),
    ]
    qr = [
        QRFlowable(data.verification_url, QR_SIZE),
        TextCell(_("Vérifier ce document"), FONT, 6.5, 8, color=GREY),
    ]
    usable = PAGE[0] - 2 * MARGIN_X
    table = Table([[cells, qr]], colWidths=[usable - QR_SIZE - 30, QR_SIZE + 30])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
            ]
        )
    )
    return KeepTogether([table])


def render_completion_certificate(data: CertificateData) -> bytes:
    """The certificat de réalisation (Ministry of Labour model) as PDF bytes."""
    st = _styles()
    provider = data.provider
    title = _("Certificat de réalisation")
    boxes = []
    for label, ticked in data.action_boxes:
        mark = CHECKED if ticked else UNCHECKED
        boxes.append(TextCell.styled(f"{mark}\u00a0\u00a0{label}", st["body"]))
    dates = _("qui s'est déroulée du %(start)s au %(end)s") % {
        "start": f"{data.first_date:%d/%m/%Y}",
        "end": f"{data.last_date:%d/%m/%Y}",
    }
    story = _title_block(data, title) + [
        TextCell.styled(
            (
                _(
                    "Je soussigné(e) %(name)s, %(role)s, représentant légal du dispensateur "
                    "de l'action concourant au développement des compétences %(provider)s,"
                )
                % {
                    "name": provider.representative_name,
                    "role": provider.representative_role,
                    "provider": provider.legal_name,
                }
            ),
            st["body"],
        ),
        Spacer(1, 8),
        TextCell.styled((_("atteste que :")), st["body"]),
        TextCell.styled((data.participant_name), st["big"]),
        TextCell.styled(
            (_("salarié(e) de l'entreprise %(structure)s") % {"structure": data.structure_name}),
            st["body"],
        ),
        Spacer(1, 6),
        TextCell.styled((_("a suivi l'action")), st["body"]),
        TextCell.styled((data.formation_title), st["big"]),
        TextCell.styled(
            (
                _("marché %(contract)s — opération %(reference)s « %(programme)s »")
                % {
                    "contract": data.contract_reference,
                    "reference": data.programme_reference,
                    "programme": data.programme_title,
                }
            ),
            st["small"],
        ),
        Spacer(1, 8),
        TextCell.styled(
            (_("Nature de l'action concourant au développement des compétences :")),
            st["body"],
        ),
        *boxes,
        Spacer(1, 8),
        TextCell.styled((dates), st["body"]),
        TextCell.styled(
            (
                _("pour une durée de %(realised)s réalisées (durée prévue : %(planned)s).")
                % {
                    "realised": hours_text(data.realised_minutes),
                    "planned": hours_text(data.planned_minutes),
                }
            ),
            st["body_bold"],
        ),
        TextCell.styled(
            (
                _("Sessions couvertes : %(sessions)s.")
                % {"sessions": ", ".join(data.sessions_covered)}
            ),
            st["small"],
        ),
        Spacer(1, 10),
        TextCell.styled(
            (
                _(
                    "Sans préjudice des délais imposés par les règles fiscales, comptables ou "
                    "commerciales, je m'engage à conserver l'ensemble des pièces justificatives "
                    "qui ont permis d'établir le présent certificat pendant une durée de 3 ans "
                    "à compter de la fin de l'année du dernier paiement. En cas de "
                    "cofinancement des fonds européens la durée de conservation est étendue "
                    "conformément aux obligations conventionnelles spécifiques."
                )
            ),
            st["legal"],
        ),
        Spacer(1, 14),
        _signature_block(data),
    ]
    return _build(data, title=title, story=story)


def render_attendance_attestation(data: CertificateData) -> bytes:
    """The attestation d'assiduité (EU-funded actions) as PDF bytes: identity, structure,
    operation and contract, every half-day with its status, the totals and the rate."""
    st = _styles()
    title = _("Attestation d'assiduité")

    def pair(label, value):
        return [TextCell.styled((label), st["head"]), TextCell.styled((value), st["cell"])]

    usable = PAGE[0] - 2 * MARGIN_X
    identity = facts_table(
        [
            pair(_("Participant·e"), data.participant_name),
            pair(_("Fonction"), data.job_title or "—"),
            pair(_("Structure"), data.structure_name),
            pair(
                _("Opération"),
                f"{data.programme_reference} — {data.programme_title} "
                f"({_('porteur')} : {data.programme_carrier})",
            ),
            pair(_("Marché"), f"{data.contract_reference} — {data.formation_title}"),
            pair(_("Organisme de formation"), data.provider.legal_name),
        ],
        label_width=110,
    )
    head = [
        TextCell(t, FONT_BOLD)
        for t in (
            _("Date"),
            _("Session"),
            _("Horaires"),
            _("Statut"),
            _("Prévu"),
            _("Réalisé"),
        )
    ]
    rows = [head]
    for half in data.half_days:
        rows.append(
            [
                TextCell(f"{half.date:%d/%m/%Y}"),
                TextCell(half.session_code),
                TextCell(f"{half.start:%H:%M}–{half.end:%H:%M}"),
                TextCell(half.status_label),
                TextCell(hours_label(half.planned_minutes)),
                TextCell(hours_label(half.realised_minutes)),
            ]
        )
    rows.append(
        [
            TextCell(_("Total"), FONT_BOLD),
            "",
            "",
            "",
            TextCell(hours_label(data.planned_minutes), FONT_BOLD),
            TextCell(hours_label(data.realised_minutes), FONT_BOLD),
        ]
    )
    widths = [62, 92, 66, usable - 62 - 92 - 66 - 52 - 52, 52, 52]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.Color(0.55, 0.55, 0.55)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.94, 0.97)),
                ("BACKGROUND", (0, -1), (-1, -1), colors.Color(0.96, 0.96, 0.96)),
                ("SPAN", (0, -1), (3, -1)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    rate = data.attendance_rate
    rate_text = "—" if rate is None else f"{rate:.1f} %".replace(".", ",")
    zones = sorted({h.time_zone_label for h in data.half_days})
    story = _title_block(data, title) + [
        identity,
        Spacer(1, 10),
        TextCell.styled(
            (
                _(
                    "Demi-journées des sessions entièrement scellées (horaires en %(tz)s) ; "
                    "seuls les émargements signés et contresignés comptent."
                )
                % {"tz": ", ".join(zones)}
            ),
            st["small"],
        ),
        Spacer(1, 4),
        table,
        Spacer(1, 8),
        TextCell.styled(
            (
                _(
                    "Heures prévues : %(planned)s — heures réalisées : %(realised)s — taux "
                    "d'assiduité : %(rate)s"
                )
                % {
                    "planned": hours_label(data.planned_minutes),
                    "realised": hours_label(data.realised_minutes),
                    "rate": rate_text,
                }
            ),
            st["body_bold"],
        ),
        Spacer(1, 14),
        _signature_block(data),
    ]
    return _build(data, title=title, story=story)


RENDERERS = {
    "completion_certificate": render_completion_certificate,
    "attendance_attestation": render_attendance_attestation,
}
