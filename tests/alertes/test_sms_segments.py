"""The SMS counter: characters and segments as operators bill them (GSM 03.38)."""

import pytest

from alertes.sms_segments import GSM7_BASIC, GSM7_EXTENSION, sms_segments, worst_case


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(0, 0, 160), (1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153)],
)
def test_gsm7_boundaries(length, segments, per_segment):
    result = sms_segments("a" * length)
    assert result.encoding == "GSM-7"
    assert (result.characters, result.segments, result.per_segment) == (
        length,
        segments,
        per_segment,
    )
    assert result.unicode_characters == ()


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67)],
)
def test_unicode_boundaries(length, segments, per_segment):
    result = sms_segments("ê" + "a" * (length - 1))
    assert result.encoding == "UCS-2"
    assert (result.characters, result.segments, result.per_segment) == (
        length,
        segments,
        per_segment,
    )


def test_extension_characters_count_two():
    assert sms_segments("€").characters == 2
    assert sms_segments("a" * 158 + "€").segments == 1  # 160 septets
    assert sms_segments("a" * 159 + "[").segments == 2  # 161 septets
    result = sms_segments("{}[]~^|\\€")
    assert (result.encoding, result.characters) == ("GSM-7", 18)


def test_emoji_count_two_utf16_units_and_are_named():
    result = sms_segments("Fête 🎉")
    assert result.encoding == "UCS-2"
    assert result.characters == 7
    assert result.unicode_characters == ("ê", "🎉")


def test_the_characters_that_forced_unicode_are_named_once_in_order():
    result = sms_segments("Noël, fête, cœur, fête")
    assert result.unicode_characters == ("ë", "ê", "œ")


def test_gsm7_accented_letters_of_the_table():
    for text in ("àéèùìò", "ÄÖÑÜäöñü", "ÇØøÅåÆæßÉ"):
        assert sms_segments(text).encoding == "GSM-7", text
    # Not in GSM 03.38: ï, ë, ê, â, î, ô, û, œ and the lowercase ç.
    for char in "ïëêâîôûœç":
        assert sms_segments(char).encoding == "UCS-2", char


def test_first_names_of_the_issue_against_the_table():
    # The issue took « Anaïs » for GSM-7; GSM 03.38 has no ï: it forces Unicode, like « Zoë ».
    assert sms_segments("Anaïs").unicode_characters == ("ï",)
    assert sms_segments("Zoë").unicode_characters == ("ë",)
    assert sms_segments("Anaëlle").encoding == "UCS-2"
    assert sms_segments("Inès").encoding == "GSM-7"


def test_worst_case_among_recipients():
    body = "Bonjour {prénom}, " + "a" * 60
    texts = [body.replace("{prénom}", name) for name in ("Inès", "Zoë")]
    result = worst_case(texts)
    assert result.encoding == "UCS-2" and result.segments == 2
    assert worst_case([]).segments == 0


def test_tables_are_the_standard_sizes():
    # 128 positions, less the escape; 10 in the extension table (form feed included).
    assert len(GSM7_BASIC) == 127 and len(set(GSM7_BASIC)) == 127
    assert len(GSM7_EXTENSION) == 10
