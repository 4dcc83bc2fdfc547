"""The SMS counter: characters and segments as operators bill them (GSM 03.38)."""

import json
from pathlib import Path

import pytest

from alertes.sms_segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    first_name_figures,
    sms_segments,
    worst_case,
)

# Shared with the browser test (tests/browser/test_alertes_campaigns_layout.py), which runs
# the page's counter on the same texts: Python and JavaScript are proven to agree.
VECTORS = json.loads((Path(__file__).parent / "sms_vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[v["why"] for v in VECTORS])
def test_shared_vectors(vector):
    result = sms_segments(vector["text"])
    assert (
        result.encoding,
        result.characters,
        result.segments,
        result.per_segment,
        list(result.unicode_characters),
    ) == (
        vector["encoding"],
        vector["characters"],
        vector["segments"],
        vector["per_segment"],
        vector["forcing"],
    )


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


# 3GPP TS 23.038 § 6.2.1, the GSM 7-bit default alphabet: the code point at each of the
# 128 positions (None: 0x1B, the escape to the extension table).
TS_23_038_BASIC = [
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, None, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
    *range(0x20, 0x24), 0x00A4, *range(0x25, 0x40),
    0x00A1, *range(0x41, 0x5B), 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, *range(0x61, 0x7B), 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
]  # fmt: skip
# § 6.2.1.1, the extension table, by position: 0x0A form feed, 0x14 ^, 0x28 {, 0x29 },
# 0x2F \, 0x3C [, 0x3D ~, 0x3E ], 0x40 |, 0x65 €.
TS_23_038_EXTENSION = [
    0x000C,
    0x005E,
    0x007B,
    0x007D,
    0x005C,
    0x005B,
    0x007E,
    0x005D,
    0x007C,
    0x20AC,
]


def test_tables_are_the_standard_ones_code_point_by_code_point():
    assert len(TS_23_038_BASIC) == 128
    expected = [point for point in TS_23_038_BASIC if point is not None]
    assert [ord(char) for char in GSM7_BASIC] == expected
    assert [ord(char) for char in GSM7_EXTENSION] == TS_23_038_EXTENSION


@pytest.mark.django_db
def test_crlf_from_the_form_counts_as_one_character():
    from alertes.forms_campaigns import CampaignForm
    from tests.factories.members import alertes_world

    world = alertes_world()
    form = CampaignForm(
        {
            "title": "T",
            "category": "news",
            "send_sms": "on",
            "body": "a\r\nb",
            "groups": [world.group.pk],
            "send_on": "2030-01-10",
            "send_time": "10:00",
        },
        structure=world.arbrisseau,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "a\nb"
    assert sms_segments(form.cleaned_data["body"]).characters == 3


def test_the_marketing_suffix_is_counted_on_the_campaign_figures(settings):
    settings.SUIVI_SMS_MARKETING_SUFFIX = "\nSTOP au 00000"
    assert worst_case(["a" * 146], suffix="\nSTOP au 00000").segments == 1
    assert worst_case(["a" * 147], suffix="\nSTOP au 00000").segments == 2


def test_first_name_figures_give_the_editor_its_worst_case():
    assert first_name_figures(["Inès", "Zoë", "Marie-Christine"]) == (15, "ë")
    assert first_name_figures([]) == (0, "")
    # An emoji in a name costs two units.
    assert first_name_figures(["Lou🌟"]) == (5, "🌟")


def test_invisible_characters_are_named():
    result = sms_segments("10\u00a0€ l\u2019atelier\u202f!")
    assert result.named_characters == "« espace insécable », ’, « espace fine insécable »"
