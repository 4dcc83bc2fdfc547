import re
from types import SimpleNamespace

import pytest

from formations.phones import (
    PhoneError,
    format_national,
    is_e164,
    is_mobile,
    normalize_phone,
    region_for_structure,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0639 69 12 34", "+262639691234"),  # Mayotte: +33 6 39… would not exist
        ("0269 61 11 11", "+262269611111"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("0693 12 34 56", "+262693123456"),
        ("0262 12 34 56", "+262262123456"),
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("0691 22 12 34", "+590691221234"),
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0697 12 34 56", "+596697123456"),
        ("0694 12 34 56", "+594694123456"),  # Guyane
        ("06 12 34 56 78", "+33612345678"),
        ("03.27.46.92.23", "+33327469223"),
        ("639691234", "+262639691234"),  # a spreadsheet dropped the leading zero
        ("612345678", "+33612345678"),
        ("+262 639 69 12 34", "+262639691234"),
        ("00 262 639 69 12 34", "+262639691234"),
        ("07 09 35 12 34", "+262709351234"),  # newer Mayotte mobiles
        ("0709 20 12 34", "+262709201234"),  # and La Réunion's
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_national_numbers_take_the_region_of_their_prefix(typed, stored):
    assert normalize_phone(typed) == stored


def test_a_metropolitan_mobile_of_someone_in_mayotte_stays_french():
    assert normalize_phone("06 12 34 56 78", region="YT") == "+33612345678"


@pytest.mark.parametrize(
    ("territory", "postal_code", "region"),
    [
        ("Mayotte", "", "YT"),
        ("La Réunion", "", "RE"),
        ("Ile de la Reunion", "", "RE"),
        ("Guadeloupe", "", "GP"),
        ("", "97600", "YT"),
        ("", "97400", "RE"),
        ("", "97300", "GF"),
        ("Lille Sud", "59000", "FR"),
        ("", "", "FR"),
    ],
)
def test_region_of_a_structure_comes_from_its_territory_then_postal_code(
    territory, postal_code, region
):
    structure = SimpleNamespace(territory=territory, postal_code=postal_code)
    assert region_for_structure(structure) == region


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("0639 12", "invalid"),
        ("06 39 12 34 56 78 90", "invalid"),
        ("+33 639 12 34 56", "invalid"),  # the trap the prefix rule avoids
        ("à rappeler", "invalid_characters"),
        ("=1+1", "invalid_characters"),
    ],
)
def test_unreadable_numbers_are_refused_with_a_french_message(typed, code):
    with pytest.raises(PhoneError) as error:
        normalize_phone(typed)
    assert error.value.code == code
    assert f"« {typed} »" in error.value.message


def test_blank_stays_blank():
    assert normalize_phone("  ") == ""


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+262639691234", "0639 69 12 34"),
        ("+590690123456", "0690 12 34 56"),
        ("+32470123456", "+32 470 12 34 56"),
        ("06 12", "06 12"),  # an old value the migration could not read, as it is
        ("", ""),
    ],
)
def test_numbers_are_shown_as_a_french_reader_dials_them(stored, shown):
    assert format_national(stored) == shown


def test_e164_means_a_valid_number_written_with_plus_and_digits_only():
    assert is_e164("+262639691234")
    assert not is_e164("+33639123456")  # well formed, but no such number
    assert not is_e164("+262 639 69 12 34")
    assert not is_e164("+1=2")
    assert not is_e164(None)


def test_only_mobiles_receive_sms():
    assert is_mobile("+262639691234")
    assert is_mobile("+33751234567")
    assert not is_mobile("+33327469223")
    assert not is_mobile("0612345678")


def test_the_examples_the_messages_give_are_accepted():
    """Help texts and error messages quote examples: each must itself be valid."""
    from formations.forms import ParticipantForm
    from formations.phones import E164_MESSAGE

    with pytest.raises(PhoneError) as error:
        normalize_phone("0639 12")
    texts = [
        error.value.message,
        str(E164_MESSAGE),
        str(ParticipantForm.base_fields["phone"].help_text),
    ]
    examples = [e for text in texts for e in re.findall(r"\+?\d[\d ]{9,}\d", text)]

    assert len(examples) >= 4
    for example in examples:
        assert normalize_phone(example).startswith("+"), example
