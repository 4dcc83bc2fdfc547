import io
import os
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from formations.models import User
from livrables.models import IssuedDocument
from livrables.selectors import document_states, issued_file, session_fully_sealed
from sessions.models import TrainingSession

pytestmark = pytest.mark.django_db

STRUCTURE_CERTIFICATE = IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE


def test_load_demo_issues_each_sealed_sessions_sheet_and_certificates_once():
    first = io.StringIO()
    call_command("load_demo", stdout=first)
    issued = set(IssuedDocument.objects.values_list("number", flat=True))
    second = io.StringIO()
    call_command("load_demo", stdout=second)

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
    attestations = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ATTENDANCE_ATTESTATION)
    assert set(attestations.values_list("participant_id", "formation_id")) == people
    assert attestations.count() == len(people)
    # A certificat de réalisation for each of them but those with no hour realised.
    completions = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE)
    assert set(completions.values_list("participant_id", "formation_id")) == {
        (document.participant_id, document.formation_id)
        for document in attestations
        if document.realised_minutes
    }
    assert not completions.filter(realised_minutes=0).exists()
    assert attestations.filter(realised_minutes=0).exists()  # the demo has someone absent
    structures = {
        (enrolment.participant.structure_id, session.formation_id)
        for session in sealed
        if session.status != TrainingSession.Status.CANCELLED
        for enrolment in session.enrolments.select_related("participant")
    }
    certificates = IssuedDocument.objects.filter(kind=STRUCTURE_CERTIFICATE)
    assert set(certificates.values_list("structure_id", "formation_id")) == structures
    assert certificates.count() == len(structures)
    # Issued after every sealed session: none is « à rééditer ».
    assert not any(state.needs_reissue for state in document_states(certificates).values())
    said = re.compile(r"certificats d’assiduité de structure émis : (\d+)")
    assert said.search(first.getvalue()).group(1) == str(len(structures))
    assert said.search(second.getvalue()).group(1) == "0"
    record = sheets.first()
    assert record.issued_by.username == "coordination"
    assert issued_file(document=record).content.startswith(b"%PDF")


def test_demo_referent_finds_their_structure_s_certificate_on_its_page(client):
    call_command("load_demo", stdout=open(os.devnull, "w"))
    referent = User.objects.get(username="referent")
    certificate = IssuedDocument.objects.filter(
        kind=STRUCTURE_CERTIFICATE, structure_id=referent.structure_id
    ).first()
    assert certificate is not None
    client.force_login(referent)

    page = client.get(reverse("formations:structure_detail", args=[referent.structure_id]))

    html = page.content.decode()
    assert "Certificats d'assiduité de la structure" in html
    assert certificate.number in html
    download = client.get(reverse("livrables:document_download", args=[certificate.number]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == (
        issued_file(document=certificate).content
    )


def test_demo_fse_formation_has_expenses_with_receipts_claims_and_a_payment(client, documents_dir):
    from PIL import Image
    from pypdf import PdfReader

    from livrables.models import Expense, Payment, ServiceFaitClaim

    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # idempotent: nothing twice

    expenses = Expense.objects.filter(formation__contract_reference="FSE-DESIGN-PALAS-FAIS-LABO")
    assert expenses.count() == 5
    assert expenses.filter(mission__isnull=False).count() == 2
    assert expenses.filter(session__isnull=False).count() == 2
    kinds = set()
    for expense in expenses:
        with expense.receipt.open("rb") as handle:
            content = handle.read()
        if expense.receipt_content_type == "application/pdf":
            assert "Facture" in PdfReader(io.BytesIO(content)).pages[0].extract_text()
        else:
            image = Image.open(io.BytesIO(content))
            image.load()  # a real PNG, decoded to the last pixel
        kinds.add(expense.receipt_content_type)
    assert kinds == {"application/pdf", "image/png"}
    formation = expenses.first().formation
    assert ServiceFaitClaim.objects.filter(formation=formation).count() == 2
    assert Payment.objects.filter(formation=formation).count() == 1

    client.force_login(User.objects.get(username="coordination"))
    page = client.get(reverse("formations:formation_detail", args=[formation.pk])).text
    # 2 claims of 18 000 € HT (one labo of five each) = 43 200 € TTC; the first paid.
    assert "43\u202f200,00\u00a0€ TTC" in page
    assert "<dt>Reçu</dt><dd>21\u202f600,00\u00a0€</dd>" in page
    assert "<strong>21\u202f600,00\u00a0€</strong>" in page
    listing = client.get(reverse("livrables:expense_list", args=[formation.pk])).text
    assert "Repérage des lieux des labos" in listing
