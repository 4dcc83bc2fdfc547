"""Small things French readers notice: « 1er janvier », « du CCAS de… », « heure de
Mayotte ». Plain functions (also template filters, `{% load french %}`), used by pages,
e-mails, calendars and documents alike.
"""

import re
import unicodedata
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------- dates


def _first_of_month(fmt: str) -> str:
    """`fmt` with its day number (`j`) written « 1er » (backslash escapes kept as they are)."""
    out, chars = [], iter(fmt)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif char == "j":
            out.append(r"\1\e\r")
        else:
            out.append(char)
    return "".join(out)


def long_date(value, fmt: str = "j F Y") -> str:
    """A date written out the French way: « 1er janvier 2026 », « 2 janvier 2026 »;
    `fmt` is a Django date format (« l j F Y » → « jeudi 1er janvier 2026 »). Aware
    datetimes are formatted as given: convert them to the right zone first (templates
    do it for the filter, inside `{% timezone %}`)."""
    if value is None or value == "":
        return ""
    if getattr(value, "day", None) == 1:
        fmt = _first_of_month(fmt)
    return date_format(value, fmt)


# --------------------------------------------------------------------------- hours


def hours_label(minutes) -> str:
    """Minutes as hours and minutes, the way every page, warning and document writes a
    duration: 210 → « 3 h 30 », 420 → « 7 h », 5 → « 0 h 05 ». A `Decimal` or float is
    truncated to whole minutes."""
    hours, rest = divmod(int(minutes or 0), 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


# --------------------------------------------------------------------------- file sizes

_SIZE_UNITS = ("Ko", "Mo", "Go", "To")


def size_label(size) -> str:
    """A number of bytes the way French pages write it, in units of 1,024: 10,485,760 →
    « 10 Mo », 12,345,678 → « 11,8 Mo », 500 → « 500 octets ». No decimal when the value
    is whole (Django's `filesizeformat` prints « 10,0 Mio »)."""
    size = int(size or 0)
    if size < 1024:
        return f"{size}\u00a0{'octet' if size < 2 else 'octets'}"
    value = float(size)
    for unit in _SIZE_UNITS:
        value /= 1024
        if round(value, 1) < 1024 or unit == _SIZE_UNITS[-1]:
            break
    rounded = round(value, 1)
    text = f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}".replace(".", ",")
    return f"{text}\u00a0{unit}"


# --------------------------------------------------------------------------- « de » + name

# The article a structure's name takes when its first word is one of these (the names
# are written without it: « CCAS de Mamoudzou » is « le CCAS de Mamoudzou »).
_MASCULINE = {
    "ccas",
    "cias",
    "centre",
    "pie",
    "service",
    "departement",
    "conseil",
    "point",
    "pole",
    "relais",
    "foyer",
    "chantier",
    "club",
    "groupement",
    "secours",
    "syndicat",
    "gip",
    "cada",
    "chrs",
    "csc",
    "sdis",
    "bureau",
    "comite",
    "collectif",
    "reseau",
    "lieu",
    "feder",
    "fse",
    "fonds",
    "ministere",
}
_FEMININE = {
    "mission",
    "maison",
    "mde",
    "mairie",
    "ville",
    "commune",
    "caisse",
    "caf",
    "region",
    "direction",
    "delegation",
    "siae",
    "mediatheque",
    "plateforme",
    "regie",
    "communaute",
    "metropole",
    "federation",
    "croix",
    "cpam",
    "msa",
    "prefecture",
    "residence",
    "cite",
    "structure",
    "permanence",
    "fondation",
    "ligue",
}
# Vowel or mute h: « l' » then « de l' ».
_ELIDED = {
    "udccas",
    "association",
    "ase",
    "espace",
    "epicerie",
    "ecole",
    "etablissement",
    "union",
    "agence",
    "antenne",
    "etat",
    "epci",
    "institut",
    "office",
    "ehpad",
    "atelier",
    "accueil",
    "unite",
    "hopital",
    "hotel",
    "amicale",
    "aide",
    "entraide",
    "observatoire",
    "ucas",
    "armee",
}
_PLURAL = {"restos", "petits", "amis", "compagnons", "apprentis"}
_VOWELS = set("aeiouy")


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def de_structure(name: str) -> str:
    """« de » + a structure's (or any organisation's) name, contracted as French does:
    « du CCAS de Mamoudzou », « de la Mission locale de Saint-Ouen », « de l'UDCCAS de
    Mayotte », « des Restos du cœur », « de France Travail », « d'Emmaüs ».

    A name that starts with its own article (« Le Phare », « La Briquette », « Les
    Florales », « L'Arbrisseau ») has it contracted; otherwise the article comes from
    the first word (CCAS, centre, mission, maison, association…); a proper name without
    article takes « de », elided before a vowel."""
    name = (name or "").strip()
    if not name:
        return ""
    first, _sep, rest = name.partition(" ")
    lowered = first.casefold()
    for apostrophe in ("l'", "l’"):
        if lowered.startswith(apostrophe) and len(first) > 2:
            return f"de {name}"  # « de L'Arbrisseau » keeps the name as written
    if lowered == "le" and rest:
        return f"du {rest}"
    if lowered == "les" and rest:
        return f"des {rest}"
    if lowered == "la" and rest:
        return f"de la {rest}"
    letters = re.match(r"[^\W\d_]*", _plain(first.lstrip("«»\"'( ")))
    head = letters.group(0) if letters else ""
    if head in _MASCULINE:
        return f"du {name}"
    if head in _FEMININE:
        return f"de la {name}"
    if head in _ELIDED:
        return f"de l'{name}"
    if head in _PLURAL:
        return f"des {name}"
    if head[:1] in _VOWELS:
        return f"d'{name}"
    return f"de {name}"


# --------------------------------------------------------------------------- time zones

TIME_ZONE_LABELS = {
    "Europe/Paris": _("heure de Paris"),
    "Indian/Mayotte": _("heure de Mayotte"),
    "Indian/Reunion": _("heure de La Réunion"),
    "America/Martinique": _("heure de la Martinique"),
    "America/Guadeloupe": _("heure de la Guadeloupe"),
    "America/Cayenne": _("heure de la Guyane"),
    "Pacific/Noumea": _("heure de Nouméa"),
    "Pacific/Tahiti": _("heure de Tahiti"),
}


def time_zone_label(zone: str) -> str:
    """How a reader names a time zone: « heure de Paris », « heure de Mayotte »; a zone
    without a French name keeps its IANA name (« fuseau America/Sao_Paulo »)."""
    label = TIME_ZONE_LABELS.get(zone)
    if label is None:
        return str(_("fuseau %(zone)s") % {"zone": zone})
    return str(label)


time_zone_label_lazy = lazy(time_zone_label, str)

# « Heure de Mayotte (Indian/Mayotte) »: what people call it, and the zone it stands for.
# Sessions and structures (the Alertes' scheduled sending) choose from this list.
TIME_ZONE_CHOICES = [
    (zone, format_lazy("{} ({})", capfirst(TIME_ZONE_LABELS[zone]), zone))
    for zone in TIME_ZONE_LABELS
]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Fuseau horaire inconnu : %(tz)s"), params={"tz": value}) from None


# --------------------------------------------------------------------------- people


def user_name(user) -> str:
    """How pages and documents name an account: « Claire Vasseur », else its username."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
