import os

import pytest
from django.core.management import call_command

from livrables.models import IssuedDocument
from livrables.selectors import issued_file, session_fully_sealed
from sessions.models import TrainingSession

pytestmark = pytest.mark.django_db


def test_load_demo_issues_each_sealed_sessions_sheet_and_certificates_once():
    call_command("load_demo", stdout=open(os.devnull, "w"))
    issued = set(IssuedDocument.objects.values_list("number", flat=True))
    call_command("load_demo", stdout=open(os.devnull, "w"))

    sealed = [s for s in TrainingSession.objects.all() if session_fully_sealed(session=s)]
    assert sealed
    assert set(IssuedDocument.objects.values_list("number", flat=True)) == issued
    sheets = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ATTENDANCE_SHEET)
    assert sheets.count() == len(sealed)
    people = {
        (enrolment.participant_id, session.formation_id)
        for session in sealed
        for enrolment in session.enrolments.all()
    }
    for kind in (
        IssuedDocument.Kind.COMPLETION_CERTIFICATE,
        IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
    ):
        certificates = IssuedDocument.objects.filter(kind=kind)
        assert set(certificates.values_list("participant_id", "formation_id")) == people
        assert certificates.count() == len(people)
    record = sheets.first()
    assert record.issued_by.username == "coordination"
    assert issued_file(document=record).content.startswith(b"%PDF")
