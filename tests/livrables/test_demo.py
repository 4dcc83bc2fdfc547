import os

import pytest
from django.core.management import call_command

from livrables.models import IssuedDocument
from livrables.selectors import issued_file, session_fully_sealed
from sessions.models import TrainingSession

pytestmark = pytest.mark.django_db


def test_load_demo_issues_each_sealed_sessions_sheet_once():
    call_command("load_demo", stdout=open(os.devnull, "w"))
    sheets = set(IssuedDocument.objects.values_list("number", flat=True))
    call_command("load_demo", stdout=open(os.devnull, "w"))

    sealed = [s for s in TrainingSession.objects.all() if session_fully_sealed(session=s)]
    assert sealed
    assert set(IssuedDocument.objects.values_list("number", flat=True)) == sheets
    assert len(sheets) == len(sealed)
    record = IssuedDocument.objects.first()
    assert record.issued_by.username == "coordination"
    assert issued_file(document=record).content.startswith(b"%PDF")
