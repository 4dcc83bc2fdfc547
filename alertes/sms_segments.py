"""How many SMS a text costs, as operators bill it (GSM 03.38 / 3GPP TS 23.038).

A text written only with the GSM 7-bit alphabet goes as GSM-7: 160 characters in one SMS,
153 per part once it is split (each part carries a 7-character header); a character of
the extension table (€ [ ] { } \\ ~ ^ | and the form feed) takes two places (an escape and
itself). A single character outside that alphabet (ê, ï, ë, œ, ç, ’, an emoji…) turns the
whole message into UCS-2: 70 characters in one SMS, 67 per part, and an emoji outside
the basic plane counts twice (two UTF-16 code units).

The same two tables are given to the browser's live counter (`static/js/sms-counter.js`
reads them from the form's data attributes), so the page and the server always agree.

Note: the GSM-7 basic set has few accented letters: à é è ù ì ò Ä Ö Ñ Ü ä ö ñ ü Å å Æ æ
ß É Ç Ø ø, and not ï, ë, ê, â, î, ô, û, œ nor the lowercase ç (the table's 0x09 is the
capital Ç): « Anaïs » and « Zoë » both force Unicode."""

from dataclasses import dataclass, replace

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


def unicode_characters(text: str) -> tuple[str, ...]:
    """The distinct characters of `text` outside GSM-7, in their order of appearance."""
    return tuple(
        dict.fromkeys(char for char in text if char not in _BASIC and char not in _EXTENSION)
    )


def sms_segments(text: str) -> Segments:
    forcing = unicode_characters(text)
    if forcing:
        encoding = UCS2
        characters = len(text.encode("utf-16-le")) // 2
    else:
        encoding = GSM7
        characters = sum(2 if char in _EXTENSION else 1 for char in text)
    single, part = LIMITS[encoding]
    if characters <= single:
        return Segments(encoding, characters, 1 if characters else 0, single, forcing)
    return Segments(encoding, characters, -(-characters // part), part, forcing)


def worst_case(texts) -> Segments:
    """Among the texts one message becomes for its recipients (their first names put in),
    the one that costs most (most segments, then Unicode, then most characters), naming
    every character that forces Unicode for any of them; an empty list is the empty text."""
    figures = [sms_segments(text) for text in texts] or [sms_segments("")]
    worst = max(figures, key=lambda s: (s.segments, s.is_unicode, s.characters))
    forcing = tuple(dict.fromkeys(char for s in figures for char in s.unicode_characters))
    return replace(worst, unicode_characters=forcing)
