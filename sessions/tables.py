"""The session list table. Rows come from ``hours_by_session`` (annotated figures), so a
page costs the same number of queries whatever its length."""

from decimal import ROUND_HALF_UP, Decimal

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from formations.french import hours_label
from sessions.models import TrainingSession


def minutes_to_hours(minutes) -> Decimal:
    """Minutes as decimal hours with two places (210 → 3.50), for exports."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def label_hours(row):
    """Sets the display fields of the hours cells (``sessions/_hours_cells.html``) on a row
    annotated by ``annotate_schedule``: planned, realised, missed and to-come labels, and
    the progress bar's value (realised, capped at planned). Returns the row."""
    row.planned_label = hours_label(row.planned_minutes)
    row.realised_label = hours_label(row.realised_minutes)
    row.missed_label = hours_label(row.missed_minutes)
    row.future_label = hours_label(row.planned_future_minutes)
    row.bar_value = min(row.realised_minutes, row.planned_minutes)
    return row


def hours_totals(rows) -> dict:
    """The total line of an hours table, with the same fields as ``label_hours``."""
    planned = sum(r.planned_minutes for r in rows)
    realised = sum(r.realised_minutes for r in rows)
    missed = sum(r.missed_minutes for r in rows)
    future = sum(r.planned_future_minutes for r in rows)
    return {
        "planned_minutes": planned,
        "realised_minutes": realised,
        "missed_minutes": missed,
        "planned_future_minutes": future,
        "planned_label": hours_label(planned),
        "realised_label": hours_label(realised),
        "missed_label": hours_label(missed),
        "future_label": hours_label(future),
        "bar_value": min(realised, planned),
    }


def local_dates(record) -> tuple:
    """(first day, last day) of a session annotated with first_start / last_end, in its zone."""
    if record.first_start is None:
        return None, None
    tz = record.tzinfo
    return (
        timezone.localtime(record.first_start, tz).date(),
        timezone.localtime(record.last_end, tz).date(),
    )


class SessionTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"), linkify=True)
    formation = tables.Column(
        verbose_name=_("Formation"),
        accessor="formation__contract_reference",
        order_by=("formation__contract_reference", "code"),
    )
    dates = tables.Column(
        verbose_name=_("Dates"),
        accessor="first_start",
        order_by=("first_start", "code"),
        empty_values=(),
    )
    place = tables.Column(verbose_name=_("Lieu"))
    modality = tables.Column(verbose_name=_("Modalité"))
    enrolled_count = tables.Column(verbose_name=_("Inscrit·es"), attrs={"td": {"class": "num"}})
    hours = tables.Column(
        verbose_name=_("Heures réalisées / prévues"),
        accessor="realised_trainee_minutes",
        order_by=("realised_trainee_minutes",),
        empty_values=(),
        exclude_from_export=True,
    )
    realised_hours = tables.Column(
        verbose_name=_("Heures-stagiaires réalisées"),
        accessor="realised_trainee_minutes",
        visible=False,
    )
    planned_hours = tables.Column(
        verbose_name=_("Heures-stagiaires prévues"),
        accessor="planned_trainee_minutes",
        visible=False,
    )
    status = tables.Column(verbose_name=_("Statut"))

    class Meta:
        model = TrainingSession
        fields = ()
        sequence = (
            "code",
            "formation",
            "dates",
            "place",
            "modality",
            "enrolled_count",
            "hours",
            "realised_hours",
            "planned_hours",
            "status",
        )
        order_by = ("-first_start",)
        empty_text = _("Aucune session.")

    def render_formation(self, value, record):
        return format_html('<abbr title="{}">{}</abbr>', record.formation.title, value)

    def value_formation(self, value):
        return value

    def render_dates(self, record):
        first, last = local_dates(record)
        if first is None:
            return "—"
        if first == last:
            return format_html("{}", first.strftime("%d/%m/%Y"))
        return format_html("{} – {}", first.strftime("%d/%m/%Y"), last.strftime("%d/%m/%Y"))

    def value_dates(self, record):
        first, last = local_dates(record)
        if first is None:
            return ""
        if first == last:
            return first  # one day: a real date cell in XLSX
        return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"

    def render_hours(self, record):
        realised, planned = record.realised_trainee_minutes, record.planned_trainee_minutes
        label = f"{hours_label(realised)} / {hours_label(planned)}"
        if not planned:
            return label
        # <progress> carries the proportion without any inline style (strict CSP).
        return format_html(
            '<span class="hours-cell">{}<progress value="{}" max="{}" aria-hidden="true">'
            "</progress></span>",
            label,
            min(realised, planned),
            planned,
        )

    def render_realised_hours(self, value):
        return minutes_to_hours(value)

    def render_planned_hours(self, value):
        return minutes_to_hours(value)
