"""Charts of evaluation results as plain data: the geometry of server-rendered SVG bar
charts (`templates/evaluations/results/chart.html` draws them), no ORM, no markup.

The content security policy forbids `style` attributes and `<style>`: the template uses
presentation attributes only (fill=, font-size=…). Every chart says its numbers as text
(beside each bar, and in its `<desc>`), never by colour alone; the viewBox is narrow
(`WIDTH`) so that the text stays readable once the chart is scaled to a phone's width.

Rows are drawn one under the other: the label on its own line (long labels cut, the
whole label in the row's `<title>` and in the description), then one bar — or two for
the before/after of an objective — with its value written at its end.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evaluations.models import Question
from evaluations.selectors_results import MASK_THRESHOLD, QuestionResult, Trends

WIDTH = 320
BAR_SPACE = 172  # the longest bar; the rest of the width holds its value
BAR_HEIGHT = 16
LABEL_HEIGHT = 18
ROW_GAP = 10
FONT_SIZE = 13
LABEL_CHARS = 56

INK = "#1b1b1b"
TRACK = "#e8ebf0"
BLUE = "#003399"  # 10.6:1 on white
LIGHT_BLUE = "#5a7bc4"  # 4.1:1 on white: the « avant » beside the « après »
GREEN = "#17612d"  # a quiz's right option


@dataclass(frozen=True)
class Bar:
    y: int
    width: Decimal
    fill: str
    value_text: str
    value_x: Decimal
    value_y: int


@dataclass(frozen=True)
class Row:
    label: str  # as drawn (cut if long)
    full_label: str
    label_y: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    track_width: int
    bar_height: int
    font_size: int
    ink: str
    track: str
    rows: tuple[Row, ...]
    legend: tuple[tuple[str, str], ...] = ()  # (fill, words) for paired bars


def fr_number(value, places: int = 2, *, strip: bool = True) -> str:
    """« 3,67 »; « 40 » for 40.0 unless ``strip`` is off (« 4,00 » for a mean)."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.{places}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",").replace("-", "−")


def fr_percent(value) -> str:
    """« 10,5 % », « 76,0 % »: one decimal always, as the results pages and the synthesis
    PDF write every percentage (`selectors_results.percent` rounded it half up)."""
    return "—" if value is None else f"{fr_number(value, 1, strip=False)} %"


def _cut(label: str) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _width(value, maximum) -> Decimal:
    if not maximum or not value:
        return Decimal(0)
    return (Decimal(value) * BAR_SPACE / Decimal(maximum)).quantize(Decimal("0.1"))


def build_chart(
    *, chart_id: str, title: str, rows: list[tuple[str, list[tuple[object, str, str]]]], maximum
) -> Chart:
    """``rows``: (label, [(value, value text, fill), …]) drawn against ``maximum``."""
    drawn = []
    y = 0
    descriptions = []
    for label, bars in rows:
        label_y = y + FONT_SIZE
        y += LABEL_HEIGHT
        row_bars = []
        for value, text, fill in bars:
            width = _width(value, maximum)
            row_bars.append(Bar(y, width, fill, text, Decimal(BAR_SPACE + 6), y + BAR_HEIGHT - 3))
            y += BAR_HEIGHT + 2
        y += ROW_GAP
        drawn.append(Row(_cut(label), str(label), label_y, tuple(row_bars)))
        descriptions.append(f"{label} : " + ", ".join(text for _v, text, _f in bars))
    return Chart(
        id=chart_id,
        title=title,
        desc=" ; ".join(descriptions) + ".",
        width=WIDTH,
        height=max(y, 1),
        track_width=BAR_SPACE,
        bar_height=BAR_HEIGHT,
        font_size=FONT_SIZE,
        ink=INK,
        track=TRACK,
        rows=tuple(drawn),
    )


def _count_text(count: int, percent) -> str:
    words = ngettext("%(count)s réponse", "%(count)s réponses", count) % {"count": count}
    return f"{words} ({fr_percent(percent)})" if percent is not None else words


def question_chart(question: QuestionResult, *, chart_id: str) -> Chart | None:
    """The chart of one question: the distribution of a scale (1 to 5, with what its ends
    mean) or of a yes/no, the counts of a choice's options, the before/after of each
    objective. None for the others (quiz, free text) or without answers."""
    if not question.answered_count:
        return None
    if question.kind in (Question.Kind.SCALE, Question.Kind.YES_NO):
        tallies = question.distribution
        rows = []
        for tally in tallies:
            label = tally.label
            if question.kind == Question.Kind.SCALE:
                if label == "1" and question.scale_low_label:
                    label = f"1 — {question.scale_low_label}"
                elif label == "5" and question.scale_high_label:
                    label = f"5 — {question.scale_high_label}"
            rows.append(
                (label, [(tally.percent or 0, _count_text(tally.count, tally.percent), BLUE)])
            )
        return _of_all_answers(
            build_chart(chart_id=chart_id, title=question.text, rows=rows, maximum=100)
        )
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        rows = [
            (t.label, [(t.percent or 0, _count_text(t.count, t.percent), BLUE)])
            for t in question.options
        ]
        return _of_all_answers(
            build_chart(chart_id=chart_id, title=question.text, rows=rows, maximum=100)
        )
    if question.kind == Question.Kind.OBJECTIVES and question.objectives:
        rows = [
            (
                objective.objective,
                [
                    (
                        objective.mean_before,
                        _("avant %(mean)s")
                        % {"mean": fr_number(objective.mean_before, strip=False)},
                        LIGHT_BLUE,
                    ),
                    (
                        objective.mean_after,
                        _("après %(mean)s (%(progress)s)")
                        % {
                            "mean": fr_number(objective.mean_after, strip=False),
                            "progress": signed(objective.progress),
                        },
                        BLUE,
                    ),
                ],
            )
            for objective in question.objectives
        ]
        chart = build_chart(chart_id=chart_id, title=question.text, rows=rows, maximum=5)
        return _with_legend(chart, ((LIGHT_BLUE, _("avant")), (BLUE, _("après"))))
    return None


def _of_all_answers(chart: Chart) -> Chart:
    """Bars drawn against 100 % of the people who answered the question (as the response
    rate against 100 % of those invited), never against the largest bar: say so."""
    note = _("Chaque barre est à l'échelle de 100 % des personnes qui ont répondu.")
    return replace(chart, desc=f"{chart.desc} {note}")


def signed(value) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + fr_number(value, strip=False)


def _with_legend(chart: Chart, legend) -> Chart:
    return replace(chart, legend=tuple(legend))


def rate_chart(*, invited: int, answered: int, rate, chart_id: str, title: str = "") -> Chart:
    """One bar: the share of those invited who answered."""
    text = _("%(answered)s sur %(invited)s (%(rate)s)") % {
        "answered": answered,
        "invited": invited,
        "rate": fr_percent(rate),
    }
    return build_chart(
        chart_id=chart_id,
        title=title or _("Taux de réponse"),
        rows=[(_("Ont répondu"), [(rate or 0, text, BLUE)])],
        maximum=100,
    )


def trend_charts(trends: Trends, *, chart_id: str) -> tuple[Chart, Chart | None]:
    """Across sessions (in date order): the response rate of each, and the mean of its
    scale questions taken together (each question's mean, averaged)."""
    rate_rows = [
        (
            point.session.code,
            [
                (
                    point.response_rate or 0,
                    _("%(rate)s (%(answered)s sur %(invited)s)")
                    % {
                        "rate": fr_percent(point.response_rate),
                        "answered": point.answered,
                        "invited": point.invited,
                    }
                    if point.invited
                    else _("aucune invitation"),
                    BLUE,
                )
            ],
        )
        for point in trends.points
    ]
    rates = build_chart(
        chart_id=f"{chart_id}-rates",
        title=_("Taux de réponse par session"),
        rows=rate_rows,
        maximum=100,
    )
    if not trends.questions:
        return rates, None
    mean_rows = []
    for point in trends.points:
        means = [m for m in point.means if m is not None]
        overall = (sum(means) / len(means)).quantize(Decimal("0.01")) if means else None
        mean_rows.append(
            (
                point.session.code,
                [
                    (
                        overall or 0,
                        _("masqué (moins de %(n)s réponses)") % {"n": MASK_THRESHOLD}
                        if point.masked
                        else f"{fr_number(overall, strip=False)} / 5"
                        if overall
                        else _("sans réponse"),
                        BLUE,
                    )
                ],
            )
        )
    means = build_chart(
        chart_id=f"{chart_id}-means",
        title=_("Moyenne des questions notées de 1 à 5, par session"),
        rows=mean_rows,
        maximum=5,
    )
    return rates, means
