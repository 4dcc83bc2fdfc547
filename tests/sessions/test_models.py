import pytest
from django.core.exceptions import ValidationError

from tests.factories import TrainingSessionFactory


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["LABO/2021", "labo 2021", "-LABO", "LABO-2021-é"])
def test_session_code_refuses_characters_that_break_document_numbers(code):
    session = TrainingSessionFactory.build(code=code)
    with pytest.raises(ValidationError) as error:
        session.full_clean(exclude=["formation"])
    assert "code" in error.value.message_dict


@pytest.mark.django_db
def test_session_code_accepts_the_tender_style():
    session = TrainingSessionFactory.build(code="CD93-2022_01.b")
    session.full_clean(exclude=["formation"])
