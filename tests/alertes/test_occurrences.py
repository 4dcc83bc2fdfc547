"""The dates of an administrative step (alertes.occurrences): pure functions."""

import datetime as dt

import pytest

from alertes.occurrences import next_occurrence, nth_occurrence, occurrences_between

D = dt.date


@pytest.mark.parametrize(
    ("due_on", "recurrence", "day", "expected"),
    [
        (D(2026, 12, 1), "once", D(2026, 11, 29), D(2026, 12, 1)),
        (D(2026, 12, 1), "once", D(2026, 12, 1), D(2026, 12, 1)),
        (D(2026, 12, 1), "once", D(2026, 12, 2), None),
        (D(2026, 1, 15), "monthly", D(2026, 11, 29), D(2026, 12, 15)),
        (D(2026, 1, 15), "monthly", D(2026, 11, 15), D(2026, 11, 15)),
        (D(2026, 1, 15), "monthly", D(2025, 6, 1), D(2026, 1, 15)),
        # The 31st: the month's last day in shorter months, the 31st again after.
        (D(2026, 1, 31), "monthly", D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 1, 31), "monthly", D(2026, 3, 1), D(2026, 3, 31)),
        (D(2026, 1, 31), "monthly", D(2026, 4, 1), D(2026, 4, 30)),
        (D(2028, 1, 31), "monthly", D(2028, 2, 1), D(2028, 2, 29)),
        (D(2026, 1, 31), "monthly", D(2026, 12, 31), D(2026, 12, 31)),
        (D(2026, 12, 31), "monthly", D(2027, 1, 1), D(2027, 1, 31)),
        (D(2024, 2, 29), "yearly", D(2024, 3, 1), D(2025, 2, 28)),
        (D(2024, 2, 29), "yearly", D(2027, 3, 1), D(2028, 2, 29)),
        (D(2020, 6, 10), "yearly", D(2026, 6, 10), D(2026, 6, 10)),
        (D(2020, 6, 10), "yearly", D(2026, 6, 11), D(2027, 6, 10)),
    ],
)
def test_next_occurrence(due_on, recurrence, day, expected):
    assert next_occurrence(due_on=due_on, recurrence=recurrence, on_or_after=day) == expected


def test_a_recurring_step_stops_after_its_until_date():
    due = D(2026, 1, 10)
    assert next_occurrence(
        due_on=due, recurrence="monthly", until=D(2026, 5, 10), on_or_after=D(2026, 5, 1)
    ) == D(2026, 5, 10)
    assert (
        next_occurrence(
            due_on=due, recurrence="monthly", until=D(2026, 5, 9), on_or_after=D(2026, 5, 1)
        )
        is None
    )


def test_monthly_occurrences_across_a_year_keep_the_day():
    dates = occurrences_between(
        due_on=D(2026, 1, 31), recurrence="monthly", start=D(2026, 1, 1), end=D(2026, 12, 31)
    )
    assert [d.day for d in dates] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert nth_occurrence(D(2026, 1, 31), "monthly", 13) == D(2027, 2, 28)


def test_occurrences_within_a_week():
    week = {"start": D(2026, 11, 30), "end": D(2026, 12, 6)}
    assert occurrences_between(due_on=D(2026, 1, 1), recurrence="monthly", **week) == [
        D(2026, 12, 1)
    ]
    assert occurrences_between(due_on=D(2026, 12, 7), recurrence="once", **week) == []
    assert occurrences_between(due_on=D(2026, 12, 6), recurrence="once", **week) == [D(2026, 12, 6)]
    assert occurrences_between(due_on=D(2026, 12, 2), recurrence="yearly", **week) == [
        D(2026, 12, 2)
    ]
    assert (
        occurrences_between(
            due_on=D(2026, 1, 1), recurrence="monthly", until=D(2026, 11, 30), **week
        )
        == []
    )
