"""The synthesis of an evaluation, on portrait A4: `render_synthesis(data)`.

What the funder receives: the questionnaire and the period, the sessions covered, the
response rate (a figure and a bar), then per section and question the number of answers,
the mean of a 1–5 scale, the counts of each value or option, a quiz's success rate, the
before / after self-ratings per objective, each with a chart drawn by reportlab's
graphics (the same charts the results page draws in SVG); the comments as written (but
those the coordination hid), and the coordination's conclusion. It shares the
certificates' page (`livrables.pdf.certificates`): funders' emblem block and sentences,
number, QR code to the verification page, « Page x / y », issuer and generation time.
Runs no queries: the data come from `livrables.data_synthesis`, which holds no name nor
contact details.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from evaluations.models import Question
from livrables.data_synthesis import MASK_THRESHOLD, Bar, QuestionBlock, SynthesisData
from livrables.pdf.base import FONT, FONT_BOLD, GREY, LIGHT_GREY
from livrables.pdf.certificates import MARGIN_X, PAGE, QR_SIZE, _build, _styles, facts_table
from livrables.pdf.sheet import QRFlowable, TextCell

USABLE = PAGE[0] - 2 * MARGIN_X
BAR_COLOUR = colors.Color(0.22, 0.42, 0.68)
BEFORE_COLOUR = colors.Color(0.62, 0.62, 0.62)
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD_BACKGROUND = colors.Color(0.93, 0.94, 0.97)
# Height of one bar's row in the horizontal charts, in points.
ROW = 15
# Lines of a long list of comments kept with the question's heading, and together at its end.
KEEP_LINES = 3
# Beyond this many flowables under the heading (about 15 comments), a question is split.
LONG_TAIL = 30
# An option's label is cut after this many characters in a chart (written in full below).
LABEL_MAX = 46
# Up to this many sessions, they are listed in the identity table; beyond, the table gives
# their number and the list ends the document, a few sessions per line block: a table
# cell never splits across pages, and a formation of a few hundred sessions would not fit
# in one page's height (reportlab's LayoutError).
SESSIONS_INLINE = 20
SESSIONS_PER_BLOCK = 10


def decimal_text(value: Decimal | None) -> str:
    """« 3,75 » (a French decimal comma); « — » for nothing."""
    if value is None:
        return "—"
    return f"{value}".replace(".", ",")


def percent_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{decimal_text(value)} %"


def _cell(text, bold=False, size=9, color=colors.black):
    return TextCell(text, FONT_BOLD if bold else FONT, size, size + 3, color)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def rate_chart(data: SynthesisData) -> Drawing:
    """The response rate as one bar: answered (filled) against invited (outline)."""
    width, height = USABLE, 24
    drawing = Drawing(width, height)
    bar_width = width - 90
    drawing.add(Rect(0, 6, bar_width, 12, fillColor=LIGHT_GREY, strokeColor=GRID, strokeWidth=0.5))
    share = (data.answered / data.invited) if data.invited else 0
    if share:
        drawing.add(Rect(0, 6, bar_width * share, 12, fillColor=BAR_COLOUR, strokeWidth=0))
    drawing.add(
        String(bar_width + 6, 9, percent_text(data.response_rate), fontName=FONT_BOLD, fontSize=9)
    )
    return drawing


def bar_chart(bars: tuple[Bar, ...], *, labels: list[str] | None = None) -> Drawing:
    """Horizontal bars, the first value on top, each with its count (and share) at its
    end: a scale's five values, yes / no, a choice's options."""
    labels = labels or [_short(b.label) for b in bars]
    label_width = 150
    width = USABLE
    height = ROW * len(bars) + 8
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_width, 4
    chart.width, chart.height = width - label_width - 70, ROW * len(bars)
    # reportlab draws the first category at the bottom: reversed, the first is on top.
    chart.data = [[b.count for b in reversed(bars)]]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    # Clear of the axis and its ticks: « 1 — Pas du tout satisfait·e » must not touch them.
    chart.categoryAxis.tickLeft = 3
    chart.categoryAxis.labels.dx = -8
    chart.categoryAxis.strokeColor = GRID
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([b.count for b in bars] + [1])
    chart.valueAxis.visible = False
    chart.bars[0].fillColor = BAR_COLOUR
    chart.bars[0].strokeColor = None
    chart.bars[0].strokeWidth = 0
    chart.barWidth = ROW * 0.6
    chart.groupSpacing = ROW * 0.4
    # Each bar says its count and its share: « 3 (75,0 %) ».
    chart.barLabelFormat = "values"
    chart.barLabelArray = [
        [
            f"{b.count} ({percent_text(b.percent)})" if b.percent is not None else str(b.count)
            for b in reversed(bars)
        ]
    ]
    chart.barLabels.fontName = FONT_BOLD
    chart.barLabels.fontSize = 7.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.nudge = 0
    drawing.add(chart)
    return drawing


def objectives_chart(block: QuestionBlock) -> Drawing:
    """Paired vertical bars per objective: the mean self-rating before (grey) and after
    (blue), on the 1–5 scale, with a legend in words (not by colour alone)."""
    objectives = block.objectives
    width, height = USABLE, 150
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 30
    # About 110 points per objective: one objective is not a page-wide slab.
    chart.width, chart.height = min(width - 40, 110 * len(objectives) + 20), height - 50
    chart.data = [
        [float(o.before or 0) for o in objectives],
        [float(o.after or 0) for o in objectives],
    ]
    # Numbered, not named: an objective's wording does not fit under its bars (it was cut
    # mid-word); the table below gives each number its objective in full.
    chart.categoryAxis.categoryNames = [
        _("Objectif %(n)s") % {"n": n} for n in range(1, len(objectives) + 1)
    ]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.strokeColor = GRID
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 5
    chart.valueAxis.valueStep = 1
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.strokeColor = GRID
    chart.bars[0].fillColor = BEFORE_COLOUR
    chart.bars[1].fillColor = BAR_COLOUR
    chart.bars.strokeColor = None
    chart.bars.strokeWidth = 0
    chart.barLabelFormat = lambda value: decimal_text(Decimal(str(value)).quantize(Decimal("0.01")))
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6.5
    chart.barLabels.nudge = 6
    drawing.add(chart)
    legend_y = height - 12
    for index, (label, colour) in enumerate(
        ((_("Avant la formation"), BEFORE_COLOUR), (_("Après la formation"), BAR_COLOUR))
    ):
        x = 30 + index * 140
        drawing.add(Rect(x, legend_y, 9, 9, fillColor=colour, strokeWidth=0))
        drawing.add(String(x + 13, legend_y + 1, label, fontName=FONT, fontSize=7.5))
    return drawing


def _grid(rows, widths) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BACKGROUND),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _answers_line(count: int) -> str:
    return ngettext("%(n)s réponse", "%(n)s réponses", count) % {"n": count}


def question_story(block: QuestionBlock) -> list:
    """One question: its text, its figures in words, its chart, its comments."""
    kind = block.kind
    head = [_cell(block.text, True, 9.5), Spacer(1, 2)]
    figures = _answers_line(block.answered)
    chart = None
    tail: list = []
    if kind == Question.Kind.SCALE:
        figures += " — " + _("moyenne %(mean)s / 5") % {"mean": decimal_text(block.mean)}
        labels = [b.label for b in block.bars]
        if labels and block.scale_low_label:
            labels[0] = f"{labels[0]} — {block.scale_low_label}"
        if labels and block.scale_high_label:
            labels[-1] = f"{labels[-1]} — {block.scale_high_label}"
        chart = (
            bar_chart(block.bars, labels=[_short(label) for label in labels])
            if block.answered
            else None
        )
    elif kind in (Question.Kind.YES_NO, Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        if kind == Question.Kind.YES_NO and block.bars:
            figures += " — " + _("oui : %(percent)s") % {
                "percent": percent_text(block.bars[0].percent)
            }
        chart = bar_chart(block.bars) if block.answered and block.bars else None
        if kind == Question.Kind.MULTIPLE:
            figures += " — " + _("plusieurs options possibles")
        long_labels = [b.label for b in block.bars if len(b.label) > LABEL_MAX]
        if long_labels:
            tail += [_cell(f"• {label}", size=7.5, color=GREY) for label in long_labels]
    elif kind == Question.Kind.QUIZ:
        figures += " — " + _(
            "réussite : %(success)s sur %(answered)s (%(rate)s), note moyenne %(mean)s sur "
            "%(points)s"
        ) % {
            "success": block.success_count or 0,
            "answered": block.answered,
            "rate": percent_text(block.success_rate),
            "mean": decimal_text(block.mean_points),
            "points": block.points or 0,
        }
        right = list(block.correct_labels)
        if right:
            tail.append(
                _cell(_("Bonne réponse : %(answer)s") % {"answer": ", ".join(right)}, size=8)
            )
    elif kind == Question.Kind.OBJECTIVES:
        if block.objectives:
            chart = objectives_chart(block)
            rows = [
                [
                    _cell(t, True, 8)
                    for t in (_("Objectif"), _("Réponses"), _("Avant"), _("Après"), _("Progrès"))
                ]
            ] + [
                [
                    _cell(f"{number}. {o.objective}", size=8),
                    _cell(str(o.count), size=8),
                    _cell(decimal_text(o.before), size=8),
                    _cell(decimal_text(o.after), size=8),
                    _cell(
                        ("+" if o.progress is not None and o.progress > 0 else "")
                        + decimal_text(o.progress),
                        True,
                        8,
                    ),
                ]
                for number, o in enumerate(block.objectives, start=1)
            ]
            tail += [Spacer(1, 4), _grid(rows, [USABLE - 230, 55, 55, 55, 65])]
    elif kind == Question.Kind.TEXT:
        figures = ngettext("%(n)s commentaire", "%(n)s commentaires", block.answered) % {
            "n": block.answered
        }
        for comment in block.comments:
            tail.append(_cell(f"« {comment} »", size=8.5))
            tail.append(Spacer(1, 3))
        if block.withheld_few:
            tail.append(
                _cell(
                    ngettext(
                        "%(n)s commentaire non reproduit : moins de %(min)s réponses, il "
                        "permettrait de reconnaître son auteur·rice.",
                        "%(n)s commentaires non reproduits : moins de %(min)s réponses, ils "
                        "permettraient de reconnaître leurs auteur·rices.",
                        block.withheld_few,
                    )
                    % {"n": block.withheld_few, "min": MASK_THRESHOLD},
                    size=8,
                    color=GREY,
                )
            )
        if block.withheld:
            tail.append(
                _cell(
                    ngettext(
                        "%(n)s commentaire non reproduit : il permettait d'identifier une "
                        "personne.",
                        "%(n)s commentaires non reproduits : ils permettaient d'identifier "
                        "une personne.",
                        block.withheld,
                    )
                    % {"n": block.withheld},
                    size=8,
                    color=GREY,
                )
            )
    head.append(_cell(figures, size=8.5, color=GREY))
    story = [*head, Spacer(1, 3)]
    if chart is not None:
        story.append(chart)
    # The whole question on one page where it fits. A long one (many comments) keeps its
    # heading with its chart or first lines, and its last lines together: a last comment
    # never runs alone onto the next page. (KeepTogether cannot be nested: an inner one
    # claims an endless height and pushes the outer to a page of its own.)
    if len(tail) <= LONG_TAIL:
        return [KeepTogether(story + tail), Spacer(1, 10)]
    lead = KEEP_LINES * 2  # a comment and its spacer
    return [
        KeepTogether(story + tail[:lead]),
        *tail[lead:-lead],
        KeepTogether(tail[-lead:]),
        Spacer(1, 10),
    ]


def _period_text(data: SynthesisData) -> str:
    """The days the campaigns covered were opened, as they were (not the filter chosen)."""
    first, last = data.campaigns_from, data.campaigns_to
    if first is None:
        return "—"
    if first == last:
        return _("campagne ouverte le %(day)s") % {"day": f"{first:%d/%m/%Y}"}
    return _("campagnes ouvertes du %(start)s au %(end)s") % {
        "start": f"{first:%d/%m/%Y}",
        "end": f"{last:%d/%m/%Y}",
    }


def _scope_text(data: SynthesisData) -> str:
    """What was chosen: the whole formation or one session, all campaigns or those
    opened between two dates."""
    if data.session_code:
        where = _("la session %(code)s") % {"code": data.session_code}
    else:
        where = _("toute la formation")
    if data.period_from and data.period_to:
        when = _("campagnes ouvertes du %(start)s au %(end)s") % {
            "start": f"{data.period_from:%d/%m/%Y}",
            "end": f"{data.period_to:%d/%m/%Y}",
        }
    elif data.period_from:
        when = _("campagnes ouvertes depuis le %(start)s") % {
            "start": f"{data.period_from:%d/%m/%Y}"
        }
    elif data.period_to:
        when = _("campagnes ouvertes jusqu'au %(end)s") % {"end": f"{data.period_to:%d/%m/%Y}"}
    else:
        when = _("toutes les campagnes de ce questionnaire")
    return f"{where}, {when}"


def _sessions_text(data: SynthesisData) -> str:
    if not data.sessions:
        return "—"
    if len(data.sessions) > SESSIONS_INLINE:
        return _("%(count)s sessions, listées en fin de document") % {"count": len(data.sessions)}
    return _sessions_list(data.sessions)


def _sessions_list(sessions) -> str:
    parts = []
    for session in sessions:
        if session.first_day and session.last_day and session.first_day != session.last_day:
            days = f"{session.first_day:%d/%m/%Y} – {session.last_day:%d/%m/%Y}"
        elif session.first_day:
            days = f"{session.first_day:%d/%m/%Y}"
        else:
            days = ""
        parts.append(f"{session.code} ({days})" if days else session.code)
    return ", ".join(parts)


def _sessions_annex(data: SynthesisData) -> list:
    """The list of the sessions covered, when too long for the identity table."""
    if len(data.sessions) <= SESSIONS_INLINE:
        return []
    story = [Spacer(1, 12), _cell(_("Sessions couvertes"), True, 11), Spacer(1, 4)]
    for start in range(0, len(data.sessions), SESSIONS_PER_BLOCK):
        block = data.sessions[start : start + SESSIONS_PER_BLOCK]
        story += [_cell(_sessions_list(block), size=8.5), Spacer(1, 2)]
    return story


def _identity(data: SynthesisData) -> Table:
    anonymity = (
        _("nominatif : cette synthèse n'en reprend que des résultats agrégés")
        if data.nominative
        else _("anonyme")
    )
    rows = [
        (_("Opération"), f"{data.programme_reference} — {data.programme_title}"),
        (_("Marché"), f"{data.contract_reference} — {data.formation_title}"),
        (_("Organisme de formation"), data.provider.legal_name),
        (
            _("Questionnaire"),
            f"{data.questionnaire_title} ({data.questionnaire_kind}, {anonymity})",
        ),
        (_("Périmètre"), _scope_text(data)),
        (_("Période"), _period_text(data)),
        (
            ngettext("Session couverte", "Sessions couvertes", len(data.sessions)),
            _sessions_text(data),
        ),
    ]
    if data.first_day and data.last_day and data.first_day == data.last_day:
        rows.append(
            (_("Dates des sessions"), _("le %(day)s") % {"day": f"{data.first_day:%d/%m/%Y}"})
        )
    elif data.first_day and data.last_day:
        rows.append(
            (
                _("Dates des sessions"),
                _("du %(start)s au %(end)s")
                % {"start": f"{data.first_day:%d/%m/%Y}", "end": f"{data.last_day:%d/%m/%Y}"},
            )
        )
    return facts_table(
        [[_cell(label, True), _cell(value)] for label, value in rows], label_width=130
    )


def _rate(data: SynthesisData) -> list:
    text = _(
        "Taux de réponse : %(rate)s (réponses : %(answered)s ; personnes invitées : %(invited)s)"
    ) % {
        "rate": percent_text(data.response_rate),
        "answered": data.answered,
        "invited": data.invited,
    }
    story = [_cell(text, True, 10), Spacer(1, 2), rate_chart(data)]
    if data.few_responses:
        story.append(
            _cell(
                _(
                    "Moins de %(min)s réponses : cette synthèse n'en donne que les résultats "
                    "agrégés, sans les commentaires, qui permettraient de reconnaître leurs "
                    "auteur·rices."
                )
                % {"min": MASK_THRESHOLD},
                size=8,
                color=GREY,
            )
        )
    if data.responses != data.answered:
        story.append(
            _cell(
                _("Réponses enregistrées au total, tablette du formateur comprise : %(n)s.")
                % {"n": data.responses},
                size=8,
                color=GREY,
            )
        )
    return story


def _conclusion(data: SynthesisData) -> list:
    story = [_cell(_("Conclusion de la coordination"), True, 11), Spacer(1, 4)]
    if data.conclusion:
        for paragraph in data.conclusion.split("\n\n"):
            story += [_cell(paragraph.strip(), size=9.5), Spacer(1, 4)]
    else:
        story.append(_cell(_("Pas de conclusion rédigée."), size=9, color=GREY))
    qr = Table(
        [
            [
                QRFlowable(data.verification_url, QR_SIZE),
                _cell(_("Vérifier ce document"), size=7, color=GREY),
            ]
        ],
        colWidths=[QR_SIZE + 8, USABLE - QR_SIZE - 8],
        hAlign="LEFT",
    )
    qr.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [KeepTogether(story), Spacer(1, 10), qr]


def render_synthesis(data: SynthesisData) -> bytes:
    title = _("Synthèse d'évaluation")
    st = _styles()
    subtitle = data.questionnaire_title
    if data.session_code:
        subtitle += " — " + _("session %(code)s") % {"code": data.session_code}
    story = [
        TextCell.styled(title.upper(), st["doc_title"]),
        TextCell.styled(subtitle, st["subtitle"]),
        Spacer(1, 12),
        _identity(data),
        Spacer(1, 10),
        *_rate(data),
        Spacer(1, 12),
    ]
    for section in data.sections:
        if len(data.sections) > 1 or section.title:
            story += [_cell(section.title, True, 11), Spacer(1, 6)]
        for block in section.questions:
            story += question_story(block)
    story += _conclusion(data)
    story += _sessions_annex(data)
    return _build(data, title=title, story=story)
