"""`{% load french %}`: « 1er janvier », « du CCAS de… », « heure de Mayotte », « 0639 01 23 45 »
in templates."""

from django import template

from formations import french
from formations.phones import format_national

register = template.Library()


@register.filter(expects_localtime=True)
def long_date(value, fmt="j F Y"):
    """`{{ day|long_date }}` → « 1er janvier 2026 »; `{{ when|long_date:"l j F Y" }}` →
    « jeudi 1er janvier 2026 ». Datetimes are shown in the current time zone (the
    session's, inside `{% timezone session.time_zone %}`)."""
    return french.long_date(value, fmt)


@register.filter
def de_structure(name):
    """`{{ structure.name|de_structure }}` → « du CCAS de Mamoudzou »."""
    return french.de_structure(str(name))


@register.filter
def time_zone_label(zone):
    """`{{ session.time_zone|time_zone_label }}` → « heure de Mayotte »."""
    return french.time_zone_label(zone)


@register.filter
def phone(value):
    """`{{ participant.phone|phone }}` → « 06 12 34 56 78 », « 0639 01 23 45 » (stored in
    E.164, shown as a French reader dials it)."""
    return format_national(value or "")


@register.filter
def hours(minutes):
    """Minutes as « 3 h 30 » (`formations.french.hours_label`); « — » when unknown."""
    if minutes is None or minutes == "":
        return "—"
    return french.hours_label(minutes)


@register.filter
def file_size(value):
    """A number of bytes as « 10 Mo », « 11,8 Mo », « 500 octets »
    (`formations.french.size_label`), instead of `filesizeformat`'s « 10,0 Mio »."""
    if value is None or value == "":
        return "—"
    return french.size_label(value)


@register.filter
def euros(value):
    """A Decimal amount as French writes it: « 12 345,60 € » (narrow no-break spaces)."""
    if value is None or value == "":
        return "—"
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text}\u00a0€"
