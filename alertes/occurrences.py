"""The dates of an administrative step: pure functions of its first date, recurrence and
end, no database. A monthly step falls on the same day of each month, the 31st on the
last day of shorter months (and back to the 31st in the next long one: each occurrence is
computed from the first date, never from the previous one); a yearly step on the same day
each year, the 29th of February on the 28th in other years."""

import calendar
import datetime as dt
from collections.abc import Iterator

ONCE, MONTHLY, YEARLY = "once", "monthly", "yearly"


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def nth_occurrence(due_on: dt.date, recurrence: str, n: int) -> dt.date:
    """The `n`-th date of the step (0 = `due_on`), its end aside."""
    if recurrence == MONTHLY:
        months = due_on.month - 1 + n
        return _clamped(due_on.year + months // 12, months % 12 + 1, due_on.day)
    if recurrence == YEARLY:
        return _clamped(due_on.year + n, due_on.month, due_on.day)
    return due_on


def _first_index_on_or_after(due_on: dt.date, recurrence: str, day: dt.date) -> int:
    if day <= due_on or recurrence not in (MONTHLY, YEARLY):
        return 0
    if recurrence == MONTHLY:
        n = (day.year - due_on.year) * 12 + day.month - due_on.month
    else:
        n = day.year - due_on.year
    return n if nth_occurrence(due_on, recurrence, n) >= day else n + 1


def iter_occurrences(
    *, due_on: dt.date, recurrence: str, until: dt.date | None = None, start: dt.date
) -> Iterator[dt.date]:
    """The step's dates on or after `start`, in order, up to `until` (a one-off step: its
    one date, if not before `start`)."""
    if recurrence not in (MONTHLY, YEARLY):
        if due_on >= start:
            yield due_on
        return
    n = _first_index_on_or_after(due_on, recurrence, start)
    while True:
        date = nth_occurrence(due_on, recurrence, n)
        if until is not None and date > until:
            return
        yield date
        n += 1


def next_occurrence(
    *, due_on: dt.date, recurrence: str, until: dt.date | None = None, on_or_after: dt.date
) -> dt.date | None:
    """The step's first date on or after `on_or_after`, or None when it has none left."""
    return next(
        iter_occurrences(due_on=due_on, recurrence=recurrence, until=until, start=on_or_after),
        None,
    )


def occurrences_between(
    *,
    due_on: dt.date,
    recurrence: str,
    until: dt.date | None = None,
    start: dt.date,
    end: dt.date,
) -> list[dt.date]:
    """The step's dates from `start` to `end`, both included."""
    dates = []
    for date in iter_occurrences(due_on=due_on, recurrence=recurrence, until=until, start=start):
        if date > end:
            break
        dates.append(date)
    return dates


def step_next_occurrence(step, on_or_after: dt.date) -> dt.date | None:
    """`next_occurrence` of an `AdministrativeStep`; a stopped step has none."""
    if step.ended_at is not None:
        return None
    return next_occurrence(
        due_on=step.due_on, recurrence=step.recurrence, until=step.until, on_or_after=on_or_after
    )


def step_occurrences_between(step, start: dt.date, end: dt.date) -> list[dt.date]:
    """`occurrences_between` of an `AdministrativeStep`; a stopped step has none."""
    if step.ended_at is not None:
        return []
    return occurrences_between(
        due_on=step.due_on, recurrence=step.recurrence, until=step.until, start=start, end=end
    )
