"""French public holidays where a session takes place: Mayotte keeps 27 April (abolition
of slavery), La Réunion 20 December, Alsace-Moselle Good Friday and 26 December, and so
on. The `holidays` package holds the calendars; the venue's subdivision is ours: chosen on
the session, else derived from its postal code, else from its time zone."""

import datetime as dt
from functools import lru_cache

import holidays
from django.utils.translation import gettext_lazy as _

# The overseas departments and territories a session's zone stands for. Metropolitan
# France (Europe/Paris) has no subdivision: Alsace-Moselle's two extra days depend on the
# département, which a time zone cannot tell (the postal code can).
SUBDIVISION_BY_ZONE = {
    "Indian/Mayotte": "976",
    "Indian/Reunion": "974",
    "America/Martinique": "972",
    "America/Guadeloupe": "971",
    "America/Cayenne": "973",
    "Pacific/Noumea": "NC",
    "Pacific/Tahiti": "PF",
}

# Postal code prefixes with holidays of their own (the `holidays` package's codes for
# France). Moselle is 57; Bas-Rhin 67 and Haut-Rhin 68 are « 6AE » (Alsace).
SUBDIVISION_BY_POSTAL_PREFIX = {
    "976": "976",
    "974": "974",
    "973": "973",
    "972": "972",
    "971": "971",
    "988": "NC",
    "987": "PF",
    "57": "57",
    "67": "6AE",
    "68": "6AE",
}

# Stored on the session; blank means « derive it ».
HOLIDAY_SUBDIVISION_CHOICES = [
    ("metro", _("France métropolitaine")),
    ("57", _("Moselle")),
    ("6AE", _("Alsace (Bas-Rhin, Haut-Rhin)")),
    ("971", _("Guadeloupe")),
    ("972", _("Martinique")),
    ("973", _("Guyane")),
    ("974", _("La Réunion")),
    ("976", _("Mayotte")),
    ("NC", _("Nouvelle-Calédonie")),
    ("PF", _("Polynésie française")),
]
METROPOLITAN = "metro"


def holiday_subdivision_for(
    *, chosen: str = "", postal_code: str = "", time_zone: str = "Europe/Paris"
) -> str | None:
    """The `holidays` subdivision of a venue (None: metropolitan France's national days).
    An explicit choice wins; then the postal code (97600 → Mayotte, 57000 → Moselle); then
    the time zone (Indian/Mayotte → Mayotte)."""
    if chosen:
        return None if chosen == METROPOLITAN else chosen
    code = (postal_code or "").strip()
    if code:
        for prefix in (code[:3], code[:2]):
            if prefix in SUBDIVISION_BY_POSTAL_PREFIX:
                return SUBDIVISION_BY_POSTAL_PREFIX[prefix]
        return None
    return SUBDIVISION_BY_ZONE.get(time_zone)


@lru_cache(maxsize=256)
def _calendar(subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.France(subdiv=subdivision, years=year, language="fr")


def public_holiday(
    day: dt.date, time_zone: str = "Europe/Paris", *, subdivision: str | None = None
) -> str | None:
    """The name of the public holiday `day` is where a session takes place, or None
    (« Lundi de Pâques », « Abolition de l'esclavage »…). `subdivision` (see
    `holiday_subdivision_for`) wins over the zone when given."""
    subdiv = subdivision if subdivision is not None else SUBDIVISION_BY_ZONE.get(time_zone)
    return _calendar(subdiv, day.year).get(day)


def is_working_day(day: dt.date, time_zone: str = "Europe/Paris") -> bool:
    """Neither a Saturday, a Sunday nor a public holiday of the place."""
    return day.weekday() < 5 and public_holiday(day, time_zone) is None


def holiday_on(day: dt.date, subdivision: str | None) -> str | None:
    """The public holiday `day` is in that subdivision (None: metropolitan France)."""
    return _calendar(subdivision, day.year).get(day)
