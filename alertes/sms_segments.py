"""How many SMS a text costs, as operators bill it (GSM 03.38 / 3GPP TS 23.038).

A text written only with the GSM 7-bit alphabet goes as GSM-7: 160 characters in one SMS,
153 per part once it is split (each part carries a 7-character header); a character of
the extension table (€ [ ] { } \\ ~ ^ | and the form feed) takes two places (an escape and
itself). A single character outside that alphabet (ê, ï, ë, œ, ç, ’, an emoji…) turns the
whole message into UCS-2: 70 characters in one SMS, 67 per part, and an emoji outside
the basic plane counts twice (two UTF-16 code units).

Parts are counted greedily, as phones and operators cut them: an extension character
(escape + character) and a surrogate pair (an emoji) are never split across two parts,
so a part may hold 152 septets or 66 units and the count is not always ceil(n / 153).

Line breaks count as one character (LF): the form and the services normalise CRLF.

The same two tables are given to the browser's live counter (`static/js/sms-counter.js`
reads them from the form's data attributes, and implements the same greedy count); the
vectors in tests/alertes/sms_vectors.json are checked against both, so the page and the
server are proven to agree.

Note: the GSM-7 basic set has few accented letters: à é è ù ì ò Ä Ö Ñ Ü ä ö ñ ü Å å Æ æ
ß É Ç Ø ø, and not ï, ë, ê, â, î, ô, û, œ nor the lowercase ç (the table's 0x09 is the
capital Ç): « Anaïs » and « Zoë » both force Unicode."""

from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# GSM 03.38 default alphabet (basic set), in table order; \n and \r are line feed and
# carriage return. The escape (0x1B) is not a character one can type.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENSION = "\f^{}\\[~]|€"

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# (single message, per part of a concatenated message)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


# Characters one cannot see (pasted from a word processor), named on the page instead of
# being shown as a blank between quotes.
INVISIBLE_NAMES = {
    "\u00a0": _("espace insécable"),
    "\u202f": _("espace fine insécable"),
    "\u2009": _("espace fine"),
    "\u200b": _("espace sans largeur"),
    "\u2060": _("gluon de mots"),
    "\ufeff": _("espace sans largeur insécable"),
    "\u00ad": _("trait d'union conditionnel"),
    "\t": _("tabulation"),
}


def character_label(char: str) -> str:
    """How the page names a character: itself, or its name when one cannot see it."""
    name = INVISIBLE_NAMES.get(char)
    return f"« {name} »" if name is not None else char


def marketing_suffix() -> str:
    """What the SMS provider appends to a campaign SMS (marketing: the opt-out mention),
    counted in its cost: `SUIVI_SMS_MARKETING_SUFFIX`."""
    return getattr(settings, "SUIVI_SMS_MARKETING_SUFFIX", "")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # as billed: septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # 160/153 (GSM-7) or 70/67 (UCS-2): the limit that applies
    unicode_characters: tuple[str, ...] = ()  # the distinct characters that forced UCS-2

    @property
    def is_unicode(self) -> bool:
        return self.encoding == UCS2

    @property
    def named_characters(self) -> str:
        """The characters that forced UCS-2, as the page writes them (« ê, « espace
        insécable » »)."""
        return ", ".join(character_label(char) for char in self.unicode_characters)


def unicode_characters(text: str) -> tuple[str, ...]:
    """The distinct characters of `text` outside GSM-7, in their order of appearance."""
    return tuple(
        dict.fromkeys(char for char in text if char not in _BASIC and char not in _EXTENSION)
    )


def _costs(text: str, unicode: bool) -> list[int]:
    """What each character takes: septets (GSM-7: 2 for the extension table) or UTF-16
    code units (UCS-2: 2 outside the basic plane). A character is never split."""
    if unicode:
        return [2 if ord(char) > 0xFFFF else 1 for char in text]
    return [2 if char in _EXTENSION else 1 for char in text]


def _parts(costs: list[int], per_part: int) -> int:
    parts, room = 1, per_part
    for cost in costs:
        if cost > room:
            parts += 1
            room = per_part
        room -= cost
    return parts


def sms_segments(text: str, *, forcing: tuple[str, ...] = ()) -> Segments:
    """The cost of `text`. `forcing`: characters known to come in later (a first name's
    « ë »): they force UCS-2 and are named, as if they were in the text."""
    forcing = tuple(dict.fromkeys((*unicode_characters(text), *forcing)))
    encoding = UCS2 if forcing else GSM7
    costs = _costs(text, bool(forcing))
    characters = sum(costs)
    single, part = LIMITS[encoding]
    if characters <= single:
        return Segments(encoding, characters, 1 if characters else 0, single, forcing)
    return Segments(encoding, characters, _parts(costs, part), part, forcing)


def worst_case(texts, *, suffix: str = "") -> Segments:
    """Among the texts one message becomes for its recipients (their first names put in),
    the one that costs most (most segments, then Unicode, then most characters), naming
    every character that forces Unicode for any of them; an empty list is the empty text.
    `suffix`: what the provider appends to each (`marketing_suffix()`)."""
    texts = list(texts)
    figures = [sms_segments(text + suffix) for text in texts] or [sms_segments("")]
    worst = max(figures, key=lambda s: (s.segments, s.is_unicode, s.characters))
    forcing = tuple(dict.fromkeys(char for s in figures for char in s.unicode_characters))
    return replace(worst, unicode_characters=forcing)


def first_name_figures(first_names) -> tuple[int, str]:
    """For the editor's live worst case: the longest first name (in the units it would
    cost: septets, or UTF-16 units if it forces Unicode) and the characters outside
    GSM-7 found in any first name."""
    longest = 0
    forcing: dict[str, None] = {}
    for name in first_names:
        name = name or ""
        own = unicode_characters(name)
        forcing.update(dict.fromkeys(own))
        longest = max(longest, sum(_costs(name, bool(own))), sum(_costs(name, True)))
    return longest, "".join(forcing)
