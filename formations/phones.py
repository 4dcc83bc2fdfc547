"""Phone numbers: validated with `phonenumbers`, stored in E.164 (« +33612345678 »), shown
in the national format a French reader dials (« 06 12 34 56 78 », « 0639 01 23 45 »).

Why a region rule: the French overseas departments share the French national format
(a ten-digit number starting with 0) but not the country code. Parsed as French,
« 0639 01 23 45 » (a Mayotte mobile) becomes +33 6 39 12 34 56, which does not exist.
So the region of a national number comes first from its prefix (`OVERSEAS_PREFIXES`),
then from the structure's territory or postal code, and only then defaults to France.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_REGION = "FR"

# National prefixes (mobile, then fixed lines) whose region is not metropolitan France.
# (ARCEP's national numbering plan gives each overseas department its own ranges.)
OVERSEAS_PREFIXES: dict[str, str] = {
    "0639": "YT",  # Mayotte, mobiles
    "0269": "YT",  # Mayotte, fixed lines
    "0692": "RE",  # La Réunion, mobiles
    "0693": "RE",
    "0262": "RE",  # La Réunion, fixed lines
    "0263": "RE",
    "0690": "GP",  # Guadeloupe (and Saint-Martin, Saint-Barthélemy), mobiles
    "0691": "GP",
    "0590": "GP",  # fixed lines
    "0696": "MQ",  # Martinique, mobiles
    "0697": "MQ",
    "0596": "MQ",  # fixed lines
    "0694": "GF",  # Guyane, mobiles
    "0594": "GF",  # fixed lines
    "0508": "PM",  # Saint-Pierre-et-Miquelon
    # Mobile ranges opened since in 0709 (for new subscribers of the same departments).
    "07090": "GP",
    "07091": "MQ",
    "07092": "RE",
    "070930": "GF",
    "070931": "GF",
    "070932": "GF",
    "070933": "GF",
    "070935": "YT",
    "070936": "YT",
    "070937": "YT",
}

# A structure's territory (free text) or postal code names its region.
TERRITORY_REGIONS: tuple[tuple[str, str], ...] = (
    ("mayotte", "YT"),
    ("reunion", "RE"),
    ("guadeloupe", "GP"),
    ("martinique", "MQ"),
    ("guyane", "GF"),
    ("saint-pierre", "PM"),
    ("miquelon", "PM"),
)
POSTAL_CODE_REGIONS: dict[str, str] = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "975": "PM",
    "976": "YT",
}

# Regions whose numbers a French reader dials in the national format (same numbering
# plan, trunk prefix 0); any other number is shown in the international format.
FRENCH_PLAN_ORDER = ("FR", "YT", "RE", "GP", "MQ", "GF", "PM", "BL", "MF")
FRENCH_PLAN_REGIONS = frozenset(FRENCH_PLAN_ORDER)

_E164 = re.compile(r"^\+[1-9]\d{5,14}$")
_ALLOWED = re.compile(r"^[\d\s().+\-/]*$")


class PhoneError(ValueError):
    """A number that cannot be stored. `code`: "invalid_characters", "invalid"."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def region_for_structure(structure) -> str:
    """The region of a structure's national numbers: its territory (« Mayotte », « La
    Réunion »…), else its postal code (976xx…), else metropolitan France."""
    if structure is None:
        return DEFAULT_REGION
    territory = _fold(getattr(structure, "territory", "") or "")
    for word, region in TERRITORY_REGIONS:
        if word in territory:
            return region
    postal_code = (getattr(structure, "postal_code", "") or "").strip()
    return POSTAL_CODE_REGIONS.get(postal_code[:3], DEFAULT_REGION)


def _national_digits(text: str) -> str | None:
    """« 06 39 12 34 56 » → "0639123456"; a nine-digit number that lost its leading zero
    in a spreadsheet (639123456) gets it back; None for an international number."""
    if text.startswith(("+", "00")):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    return digits


def parse_phone(text: str, *, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber:
    """A valid number from what a person typed, or `PhoneError`.

    International numbers (« +262 639… », « 00 33 6… ») are read as written. A national
    number takes the region of its prefix when it is an overseas one, else `region` (the
    structure's), else France.
    """
    text = (text or "").strip()
    if not text or not _ALLOWED.match(text) or not re.search(r"\d", text):
        raise PhoneError(
            _("« %(value)s » n'est pas un numéro de téléphone.") % {"value": text},
            code="invalid_characters",
        )
    national = _national_digits(text)
    if national is None:
        candidates: list[str | None] = [None if text.startswith("+") else DEFAULT_REGION]
    else:
        # The prefix first, then the structure's region, France, and the other regions of
        # the French plan: their ranges do not overlap, so a range the table above lacks
        # still finds its region (phonenumbers' metadata knows it).
        prefix_region = next(
            (
                OVERSEAS_PREFIXES[national[:n]]
                for n in (6, 5, 4)
                if national[:n] in OVERSEAS_PREFIXES
            ),
            None,
        )
        candidates = list(
            dict.fromkeys([prefix_region, region, DEFAULT_REGION, *FRENCH_PLAN_ORDER])
        )
        candidates = [c for c in candidates if c]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(national or text, candidate)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    raise PhoneError(
        _(
            "Numéro de téléphone invalide : « %(value)s ». Écrivez-le comme on le compose en "
            "France (06 12 34 56 78, 0639 01 23 45) ou avec l'indicatif (+262 639 01 23 45)."
        )
        % {"value": text},
        code="invalid",
    )


def normalize_phone(text: str, *, region: str = DEFAULT_REGION) -> str:
    """E.164 of what a person typed ("" stays ""); `PhoneError` if it is not a valid
    number."""
    if not (text or "").strip():
        return ""
    number = parse_phone(text, region=region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_e164(value) -> bool:
    """True for a valid number written in E.164 (« +33612345678 »), as stored. Exports may
    leave such a cell as it is: a leading « + » followed by digits only runs no formula."""
    if not isinstance(value, str) or not _E164.match(value):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def is_mobile(value: str) -> bool:
    """A stored number that can receive an SMS (mobile, or a line the plan does not tell
    apart from one)."""
    if not is_e164(value):
        return False
    kind = phonenumbers.number_type(phonenumbers.parse(value, None))
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def format_national(value: str) -> str:
    """How a French reader dials a stored number: « 06 12 34 56 78 », « 0639 01 23 45 »;
    foreign numbers in the international format; anything not in E.164 (an old value the
    migration could not read) as it is."""
    if not is_e164(value):
        return value or ""
    number = phonenumbers.parse(value, None)
    if phonenumbers.region_code_for_number(number) in FRENCH_PLAN_REGIONS:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_e164(value: str) -> None:
    """Model validator: what is stored is a valid number in E.164 (or nothing)."""
    if value and not is_e164(value):
        raise ValidationError(E164_MESSAGE, code="phone_not_e164", params={"value": value})


E164_MESSAGE = gettext_lazy(
    "Numéro de téléphone invalide : « %(value)s ». Écrivez-le comme on le compose en France "
    "(06 12 34 56 78) ou avec l'indicatif (+262 639 01 23 45)."
)
