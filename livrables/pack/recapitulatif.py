"""`recapitulatif.csv`: one row per émargement of the pack's sealed half-days (the close
writes one for everyone enrolled, absent or not), as DESIGN.md lists it — formation,
session, date, start, end, participant, structure, status, planned minutes, realised
minutes — plus how it was captured, the half-day's seal digest and the émargement's
number, which pairs the row with its sealed record in `scellements.json`.

Realised minutes are the émargement selectors' (`sessions.selectors.hours`: `COUNTED`
× `realised_expression`, signed and countersigned), the same expression the
certificates and the service-fait statement sum; they are never recomputed here. The
status and minutes are today's, rectifications included: the verifier gets the same by
applying the rectifications to the sealed records. The participant and structure are
those the sheet printed at signing (sealed with the row), else today's.

Written like every export of the application (`formations.exporting.write_csv`): UTF-8
with a BOM, « ; », CRLF, formula-looking text behind an apostrophe (the verifier applies
the same rule before comparing). One streamed query (`iterator`) whatever the number of
rows; the period is checked on each half-day's local date, in its session's zone.
"""

import zoneinfo
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import Case, IntegerField, Value, When
from django.utils import translation

from formations.exporting import CHUNK_SIZE, BaseExporter, Column, write_csv
from formations.models import Participant
from livrables.pack.registry import PackFile, PackScope, PackSection, register_section
from livrables.pack.sealed import formation_label, period_window, scope_sessions
from livrables.pack.verifier import RECAP_HEADER
from sessions.models import Attendance
from sessions.selectors.hours import COUNTED, realised_expression, slot_minutes

RECAP_FILE = "recapitulatif.csv"

# Fixed, and written in one place: the pack's verifier.py (standard library only, so
# importable here) reads the file by these headers.
HEADERS = tuple(RECAP_HEADER)


def recap_queryset(scope: PackScope):
    """The émargements of the scope's sealed half-days with what a row shows, in session,
    half-day and name order. The period is only narrowed to a day around it here (UTC);
    `recap_rows` keeps the half-days of its local dates."""
    return (
        Attendance.objects.filter(
            period_window(scope, "slot__starts_at"),
            slot__session__in=scope_sessions(scope).order_by().values("pk"),
            slot__seal__isnull=False,
        )
        .annotate(
            planned=slot_minutes("slot__"),
            # The selectors' rule: what a counted row realises, 0 for any other row.
            realised=Case(
                When(COUNTED, then=realised_expression()),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by(
            "slot__session__code",
            "slot__session_id",
            "slot__starts_at",
            "enrolment__participant__sort_key",
            "enrolment__participant_id",
            "pk",
        )
        .values_list(
            "pk",
            "slot__session__code",
            "slot__session__time_zone",
            "slot__starts_at",
            "slot__ends_at",
            "signer_name",
            "signer_structure",
            "enrolment__participant__last_name",
            "enrolment__participant__first_name",
            "enrolment__participant_id",
            "enrolment__participant__structure__name",
            "status",
            "method",
            "planned",
            "realised",
            "slot__seal__digest",
        )
    )


def _labels(choices) -> dict[str, str]:
    # The file is French whatever the language of whoever asked for the pack: the
    # verifier compares these labels.
    with translation.override("fr"):
        return {value: str(label) for value, label in choices}


def recap_rows(scope: PackScope) -> Iterator[list[Any]]:
    """The rows of `recapitulatif.csv`, in the order of `HEADERS`."""
    statuses = _labels(Attendance.Status.choices)
    methods = _labels(Attendance.Method.choices)
    formation = formation_label(scope.formation)
    zones: dict[str, Any] = {}
    for (
        pk,
        code,
        zone_name,
        starts_at,
        ends_at,
        signer_name,
        signer_structure,
        last_name,
        first_name,
        participant_id,
        structure_name,
        status,
        method,
        planned,
        realised,
        digest,
    ) in recap_queryset(scope).iterator(chunk_size=CHUNK_SIZE):
        zone = zones.get(zone_name)
        if zone is None:
            zone = zones[zone_name] = zoneinfo.ZoneInfo(zone_name)
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        if not scope.covers(start.date()):
            continue
        yield [
            formation,
            code,
            start.date().isoformat(),
            f"{start:%H:%M}",
            f"{end:%H:%M}",
            signer_name or Participant(last_name=last_name, first_name=first_name).full_name,
            participant_id,
            signer_structure or structure_name,
            statuses.get(status, status),
            planned,
            realised,
            methods.get(method, method),
            digest,
            pk,
        ]


class RecapitulatifExporter(BaseExporter):
    """`recapitulatif.csv` through the export layer's writer (same cells as every export)."""

    identifier = "recapitulatif"
    verbose_name = "Récapitulatif"

    def __init__(self, *, scope: PackScope):
        self.scope = scope

    def get_columns(self) -> Sequence[Column]:
        return [
            Column(header=header, value=lambda row, i=i: row[i], name=header)
            for i, header in enumerate(HEADERS)
        ]

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        return recap_rows(self.scope)


def recap_chunks(scope: PackScope) -> Iterator[bytes]:
    return write_csv(RecapitulatifExporter(scope=scope))


def recap_files(scope: PackScope) -> Iterator[PackFile]:
    yield PackFile(path=RECAP_FILE, chunks=lambda: recap_chunks(scope))


RECAP_SECTION = register_section(
    PackSection(
        key="recapitulatif",
        label="Récapitulatif des émargements scellés (recapitulatif.csv)",
        order=10,
        files=recap_files,
    )
)

__all__ = [
    "HEADERS",
    "RECAP_FILE",
    "RECAP_SECTION",
    "RecapitulatifExporter",
    "recap_chunks",
    "recap_queryset",
    "recap_rows",
]
