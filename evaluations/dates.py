"""When a campaign opens, by the kind of its questionnaire.

- À chaud: at the end of the session's last half-day.
- À froid: three calendar months after the session's last day, at 9:00 in the session's
  time zone; a day the month does not have becomes its last day (30 November → the last
  day of February).
- Anything else: on a date the coordinator chooses.
"""

import calendar
import datetime as dt

from evaluations.models import Questionnaire
from sessions.models import TrainingSession

COLD_DELAY_MONTHS = 3
COLD_SENDING_TIME = dt.time(9, 0)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, clamped to the end of that month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_opens_at(
    kind: str, session: TrainingSession, *, last_slot_end: dt.datetime | None
) -> dt.datetime | None:
    """When a campaign of this questionnaire kind on ``session`` opens by default; None
    when it has no rule (the coordinator chooses) or the session has no half-day yet.
    ``last_slot_end``: the end of the session's last half-day (read by the caller, so that
    a list of sessions costs one query)."""
    if last_slot_end is None:
        return None
    if kind == Questionnaire.Kind.HOT:
        return last_slot_end
    if kind == Questionnaire.Kind.COLD:
        last_day = last_slot_end.astimezone(session.tzinfo).date()
        return dt.datetime.combine(
            add_months(last_day, COLD_DELAY_MONTHS), COLD_SENDING_TIME, tzinfo=session.tzinfo
        )
    return None
