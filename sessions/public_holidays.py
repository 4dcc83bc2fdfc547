"""French public holidays where a session takes place, from its time zone: Mayotte keeps
27 April (abolition of slavery), La Réunion 20 December, and so on. The `holidays` package
holds the calendars; the mapping from a session's zone to its French subdivision is ours."""

import datetime as dt
from functools import lru_cache

import holidays

# The overseas departments and territories a session's zone stands for. Metropolitan
# France (Europe/Paris) has no subdivision: Alsace-Moselle's two extra days depend on the
# département, which a time zone cannot tell.
SUBDIVISION_BY_ZONE = {
    "Indian/Mayotte": "976",
    "Indian/Reunion": "974",
    "America/Martinique": "972",
    "America/Guadeloupe": "971",
    "America/Cayenne": "973",
    "Pacific/Noumea": "NC",
    "Pacific/Tahiti": "PF",
}


@lru_cache(maxsize=64)
def _calendar(time_zone: str, year: int) -> holidays.HolidayBase:
    return holidays.France(subdiv=SUBDIVISION_BY_ZONE.get(time_zone), years=year, language="fr")


def public_holiday(day: dt.date, time_zone: str = "Europe/Paris") -> str | None:
    """The name of the public holiday `day` is where a session in `time_zone` takes place,
    or None (« Lundi de Pâques », « Abolition de l'esclavage »…)."""
    return _calendar(time_zone, day.year).get(day)


def is_working_day(day: dt.date, time_zone: str = "Europe/Paris") -> bool:
    """Neither a Saturday, a Sunday nor a public holiday of the place."""
    return day.weekday() < 5 and public_holiday(day, time_zone) is None
