"""Age bands: what a member's page shows (`age_band`) and what the statistics count in
SQL (`age_band_filter`) agree on every birthday boundary."""

import datetime as dt

import pytest

from formations.members import AGE_BANDS, age_band, age_band_filter, age_on
from formations.models import Participant
from tests.factories.members import MemberPersonFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    "born",
    [
        dt.date(2008, 3, 1),  # 18 today
        dt.date(2008, 3, 2),  # 18 tomorrow
        dt.date(2000, 3, 1),  # 26 today
        dt.date(1981, 3, 2),  # 44 until tomorrow
        dt.date(1961, 3, 1),  # 65 today
        dt.date(2008, 2, 29),  # leap day: 18 on 1 March of a common year
        None,
    ],
)
def test_the_statistics_count_each_person_in_the_band_their_page_shows(born):
    person = MemberPersonFactory(date_of_birth=born)
    shown = age_band(age_on(born, TODAY))

    counted = [
        band
        for band in AGE_BANDS
        if Participant.objects.filter(age_band_filter(band, TODAY), pk=person.pk).exists()
    ]

    assert counted == [shown]
