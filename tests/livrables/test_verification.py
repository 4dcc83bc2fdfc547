import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from formations.models import AuditEntry
from livrables import services
from livrables.data import verification_url
from livrables.models import IssuedDocument
from livrables.selectors import document_state, issued_file
from livrables.services import issue_sheet, retention_until, revoke_document
from tests.factories import ProviderIdentityFactory
from tests.livrables.conftest import kept_files, pdf_text

NOW = dt.datetime(2021, 10, 6, 16, 0, tzinfo=dt.UTC)
PERSONAL_DATA = [
    "Nguyễn",
    "NGUYỄN",
    "Hương",
    "Dvořák",
    "DVOŘÁK",
    "Öztürk",
    "ÖZTÜRK",
    "Ayşe",
    "Camille",
    "Théo",
    "Claire",
    "Coordo",
]
MATCH = "Ce fichier est identique au document émis le"
MISMATCH = "ne correspond pas au document n°"


def verify_url(number):
    return reverse("livrables:verify_document", args=[number])


def upload(content: bytes, name="document.pdf"):
    return {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}


@pytest.fixture
def issued(sheet_world):
    """A signed sheet issued by the coordinator: (file handed out, its register row)."""
    record = issue_sheet(session=sheet_world.session, actor=sheet_world.coordinator, now=NOW)
    return issued_file(document=record), record


# ---------------------------------------------------------------------------- issuing


def test_issued_sheet_registers_the_exact_bytes_it_serves(client, sheet_world):
    client.force_login(sheet_world.coordinator)
    client.post(reverse("livrables:session_sheet_issue", args=[sheet_world.session.pk]))

    response = client.get(reverse("livrables:session_sheet", args=[sheet_world.session.pk]))

    record = IssuedDocument.objects.get()
    assert record.sha256 == hashlib.sha256(response.content).hexdigest()
    assert record.size == len(response.content)
    assert record.number in pdf_text(response.content)
    assert record.kind == IssuedDocument.Kind.ATTENDANCE_SHEET
    assert record.title == ("Feuille d'émargement — session LABO-2021-1 — FEDER-2018-AO.3")
    assert record.issued_by == sheet_world.coordinator
    assert record.session == sheet_world.session
    # ProgrammeFactory ends on 31/12/2022.
    assert record.retention_until == dt.date(2032, 12, 31)
    entry = AuditEntry.objects.get(action="livrables.sheet_issued")
    assert entry.data["sha256"] == record.sha256 and entry.data["number"] == record.number


def test_blank_sheet_is_neither_registered_nor_kept(client, sheet_world, documents_dir):
    client.force_login(sheet_world.trainer)

    response = client.get(reverse("livrables:session_blank_sheet", args=[sheet_world.session.pk]))

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "EMV-LABO-2021-1-" in text
    assert "Feuille à remplir : elle n'est pas enregistrée" in text
    assert "Vérifier l'authenticité" not in text
    assert not IssuedDocument.objects.exists()
    assert kept_files(documents_dir) == []
    entry = AuditEntry.objects.get(action="livrables.blank_sheet_printed")
    assert entry.actor == sheet_world.trainer
    assert entry.data["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_a_blank_sheet_number_is_explained_on_the_public_page(client, db):
    response = client.get(verify_url("EMV-LABO-2021-1-20211006160000-3F9A"))

    assert response.status_code == 404
    assert "feuille vierge à imprimer" in response.content.decode()


def test_issue_sheet_without_user_registers_no_issuer(sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)

    assert record.issued_by is None
    assert record.issued_at == NOW
    assert IssuedDocument.objects.get() == record


def test_issue_twice_in_the_same_second_gets_two_numbers(sheet_world):
    first = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    second = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)

    assert first.number != second.number
    assert second.number.startswith("EMG-LABO-2021-1-20211006160000-")
    assert len(second.number) == len(first.number)
    second_text = pdf_text(issued_file(document=second).content)
    assert second.number in second_text
    assert first.number not in second_text
    assert document_state(document=first).superseded_by == second.number
    records = {r.number: r.sha256 for r in IssuedDocument.objects.all()}
    assert records == {first.number: first.sha256, second.number: second.sha256}
    assert AuditEntry.objects.filter(action="livrables.sheet_issued").count() == 2


def test_issue_number_taken_concurrently_is_rendered_again(sheet_world, monkeypatch, documents_dir):
    first = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    real_free_number = services._free_number
    calls = []

    def racing_free_number(data):
        # The first check misses the concurrent row: the insert must collide, then retry.
        calls.append(data.number)
        return data if len(calls) == 1 else real_free_number(data)

    monkeypatch.setattr(services, "_free_number", racing_free_number)

    second = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)

    assert calls[0] == first.number and len(calls) == 2
    assert second.number != first.number
    assert second.number in pdf_text(issued_file(document=second).content)
    assert IssuedDocument.objects.count() == 2
    assert AuditEntry.objects.filter(action="livrables.sheet_issued").count() == 2
    # The copy rendered under the taken number was never issued: it is not kept.
    assert kept_files(documents_dir) == sorted([first.storage_name, second.storage_name])


def test_issued_document_is_append_only(issued):
    _document, record = issued
    record.title = "Autre chose"

    with pytest.raises(ValueError):
        record.save()
    with pytest.raises(ValueError):
        record.delete()
    assert IssuedDocument.objects.get(pk=record.pk).title != "Autre chose"


def test_verification_url_printed_on_the_sheet_opens_its_page(issued):
    document, record = issued
    url = f"{settings.SUIVI_BASE_URL}/verifier/{record.number}/"
    assert url in pdf_text(document.content)

    response = Client().get(url.removeprefix(settings.SUIVI_BASE_URL))

    assert response.status_code == 200
    assert record.sha256 in response.content.decode()


def test_verification_url_printed_on_sheets_is_the_verification_page():
    number = "EMG-LABO-2021-1-20211006160000-3F9A"

    assert verification_url(number) == settings.SUIVI_BASE_URL + verify_url(number)


# ---------------------------------------------------------------------------- retention


@pytest.mark.parametrize(
    ("programme_end", "expected"),
    [
        (dt.date(2022, 12, 31), dt.date(2032, 12, 31)),
        (dt.date(2023, 1, 1), dt.date(2033, 12, 31)),
        (dt.date(2020, 2, 29), dt.date(2030, 12, 31)),
        (None, None),
    ],
)
def test_retention_until_is_31_december_ten_years_after_programme_end(programme_end, expected):
    assert retention_until(programme_end=programme_end) == expected


# ---------------------------------------------------------------------------- public page


def test_verify_document_is_public_and_shows_the_registered_facts(issued):
    _document, record = issued

    response = Client().get(verify_url(record.number))

    assert response.status_code == 200
    content = response.content.decode()
    assert record.number in content
    assert "Feuille d&#x27;émargement" in content
    assert "session LABO-2021-1" in content
    assert record.sha256 in content
    assert f"{record.size} octets" in content
    # Issued at 16:00 UTC, shown in the session's zone (Paris, UTC+2 in October).
    assert "6 octobre 2021 à 18:00:00" in content
    assert "31 décembre 2032" in content


def headline(content: str) -> str:
    """The page's first statement (`<h2 id="registered">`), tags and spacing removed."""
    match = re.search(r'<h2 id="registered">(.*?)</h2>', content, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_verify_document_current_says_so_first(issued):
    _document, record = issued

    content = Client().get(verify_url(record.number)).content.decode()

    assert (
        headline(content) == f"Le document n° {record.number} a bien été émis par Suivi Formations"
    )
    assert content.index('data-state="current"') < content.index("Type de document")


def test_verify_document_names_the_organisation_once_its_identity_is_set(issued):
    _document, record = issued
    ProviderIdentityFactory(legal_name="Formations du Littoral")

    content = Client().get(verify_url(record.number)).content.decode()

    assert headline(content) == (
        f"Le document n° {record.number} a bien été émis par Formations du Littoral "
        "(avec Suivi Formations)"
    )


def test_verify_document_revoked_says_so_in_its_headline_before_any_detail(issued, sheet_world):
    _document, record = issued
    revoke_document(
        document=record,
        actor=sheet_world.coordinator,
        reason="Erreur de session",
        now=NOW + dt.timedelta(days=2),
    )

    content = Client().get(verify_url(record.number)).content.decode()

    assert headline(content) == (
        f"Le document n° {record.number}, émis par Suivi Formations, a été révoqué le "
        "8 octobre 2021"
    )
    assert "bien été émis" not in content
    assert "Révoqué le 8 octobre 2021 : il ne vaut plus justificatif." in content
    assert content.index('data-state="revoked"') < content.index("Type de document")
    assert 'data-state="current"' not in content
    assert "Erreur de session" not in content


def test_verify_document_superseded_names_its_replacement_in_its_headline(issued, sheet_world):
    _document, record = issued
    newer = issue_sheet(session=sheet_world.session, actor=None, now=NOW + dt.timedelta(hours=1))

    content = Client().get(verify_url(record.number)).content.decode()

    assert headline(content) == (
        f"Le document n° {record.number}, émis par Suivi Formations, a été remplacé par "
        f"le n° {newer.number}"
    )
    assert content.index('data-state="superseded"') < content.index("Type de document")
    assert verify_url(newer.number) in content


def test_verify_document_shows_no_personal_data(issued):
    _document, record = issued

    content = Client().get(verify_url(record.number)).content.decode()

    assert [name for name in PERSONAL_DATA if name in content] == []


def test_verify_document_same_bytes_match(issued):
    document, record = issued

    response = Client().post(verify_url(record.number), upload(document.content))

    assert response.status_code == 200
    content = response.content.decode()
    assert MATCH in content
    assert "6 octobre 2021 à 18:00" in content
    assert MISMATCH not in content


def test_verify_document_modified_bytes_do_not_match(issued):
    document, record = issued
    modified = document.content.replace(b"/Producer", b"/Producex", 1)
    assert modified != document.content and len(modified) == len(document.content)

    response = Client().post(verify_url(record.number), upload(modified))

    assert response.status_code == 200
    content = response.content.decode()
    assert (
        f"Ce fichier ne correspond pas au document n° {record.number} : il a été modifié "
        "ou ce n'est pas le bon document."
    ) in content
    assert hashlib.sha256(modified).hexdigest() in content
    assert MATCH not in content


def test_verify_document_another_issued_document_is_named(issued, sheet_world):
    _document, record = issued
    other = issue_sheet(session=sheet_world.session, actor=None, now=NOW + dt.timedelta(hours=1))

    response = Client().post(verify_url(record.number), upload(issued_file(document=other).content))

    content = response.content.decode()
    assert MISMATCH in content and MATCH not in content
    assert 'data-verification="other-document"' in content
    assert f"c'est, sans aucune modification, le document n° {other.number}." in content
    assert f'href="{verify_url(other.number)}"' in content
    assert "Fichier différent" not in content


def test_verify_document_result_is_where_the_form_lands_and_takes_the_focus(issued):
    document, record = issued
    page = Client().get(verify_url(record.number)).content.decode()
    assert "comparison-result" not in page and "autofocus" not in page

    content = Client().post(verify_url(record.number), upload(b"autre chose")).content.decode()

    assert 'id="comparison-result" class="comparison-result" tabindex="-1" autofocus' in content
    # The result comes right under the section's heading, before the form's explanation.
    heading = content.index('<h2 id="compare">')
    assert heading < content.index("comparison-result") < content.index("Pour savoir si le PDF")
    # A digest is one long word: it wraps (code.digest) instead of widening the page.
    digest = hashlib.sha256(b"autre chose").hexdigest()
    assert f'<code class="digest">{digest}</code>' in content


def test_verify_document_genuine_copy_of_a_revoked_document_is_not_shown_as_valid(
    issued, sheet_world
):
    document, record = issued
    revoke_document(document=record, actor=sheet_world.coordinator, reason="Erreur")

    content = Client().post(verify_url(record.number), upload(document.content)).content.decode()

    assert MATCH in content
    assert '<div class="message warning" role="status" data-verification="match">' in content
    assert "Attention : ce document n'est plus en vigueur" in content


def test_verify_document_non_pdf_upload_reports_a_mismatch(issued):
    _document, record = issued

    response = Client().post(
        verify_url(record.number), upload(b"\x89PNG\r\n\x1a\n not a pdf", name="photo.png")
    )

    assert response.status_code == 200
    assert MISMATCH in response.content.decode()


TOO_LARGE = "Le fichier dépasse la taille maximale autorisée"
ONE_FILE = "Un seul fichier peut être déposé à la fois"
FIELD = "Ce formulaire n&#x27;accepte un fichier que dans son champ prévu"


@pytest.mark.parametrize("excess", [1, 200_000])
def test_verify_document_oversized_upload_refused(issued, settings, excess):
    document, record = issued
    settings.SUIVI_MAX_UPLOAD_BYTES = len(document.content) - 1

    response = Client().post(verify_url(record.number), upload(document.content + b"\0" * excess))

    assert response.status_code == 413
    content = response.content.decode()
    assert TOO_LARGE in content
    assert MATCH not in content and MISMATCH not in content


def test_verify_document_two_files_refused(issued):
    document, record = issued

    response = Client().post(
        verify_url(record.number),
        {"file": [upload(document.content)["file"], upload(document.content)["file"]]},
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert ONE_FILE in content
    assert MATCH not in content


@pytest.mark.parametrize("fields", [["file", "other"], ["other"], ["other", "file"]])
def test_verify_document_file_in_another_field_refused(issued, fields):
    document, record = issued

    response = Client().post(
        verify_url(record.number),
        {field: upload(document.content)["file"] for field in fields},
    )

    assert response.status_code == 400
    assert FIELD in response.content.decode()


def test_verify_document_uploads_leave_no_temporary_file(issued, settings, tmp_path):
    document, record = issued
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # every file goes to a temporary file
    settings.SUIVI_MAX_UPLOAD_BYTES = len(document.content) + 10
    client = Client()

    answers = [
        client.post(
            verify_url(record.number),
            {"file": [upload(document.content)["file"], upload(document.content)["file"]]},
        ),
        client.post(verify_url(record.number), upload(document.content + b"\0" * 5_000)),
        client.post(verify_url(record.number), upload(document.content)),
    ]

    assert [answer.status_code for answer in answers] == [400, 413, 200]
    assert MATCH in answers[2].content.decode()
    assert list(tmp_path.iterdir()) == []


def test_verify_document_accepted_upload_keeps_the_csrf_check(issued, settings):
    document, record = issued
    client = Client(enforce_csrf_checks=True)
    client.get(verify_url(record.number))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    refused = client.post(verify_url(record.number), upload(document.content))
    answered = client.post(
        verify_url(record.number),
        {"csrfmiddlewaretoken": token, **upload(document.content)},
    )

    assert refused.status_code == 403
    assert answered.status_code == 200
    assert MATCH in answered.content.decode()


def test_verify_document_without_file_asks_for_one(issued):
    _document, record = issued

    response = Client().post(verify_url(record.number), {})

    assert response.status_code == 200
    assert "Ce champ est obligatoire" in response.content.decode()


def test_verify_document_unknown_number_is_404_with_an_explanation(db):
    response = Client().get(verify_url("EMG-INCONNU-20211006160000-0000"))

    assert response.status_code == 404
    content = response.content.decode()
    assert "Aucun document n'a été émis sous le numéro" in content
    assert "EMG-INCONNU-20211006160000-0000" in content


def test_verify_document_number_with_nul_byte_is_404_not_server_error(db):
    # PostgreSQL refuses NUL in a text parameter: the lookup must not reach the database.
    response = Client().get("/verifier/EMG-A%00B/")

    assert response.status_code == 404
    assert "Aucun document n'a été émis sous le numéro" in response.content.decode()


@pytest.mark.parametrize(
    "variant",
    [
        lambda n: n[:-1],  # a prefix
        lambda n: n + "0",  # longer
        lambda n: n.rpartition("-")[0] + "-%",  # a LIKE wildcard
    ],
)
def test_verify_document_lookup_is_exact(issued, variant):
    _document, record = issued

    response = Client().get(verify_url(variant(record.number)))

    assert response.status_code == 404
    assert record.sha256 not in response.content.decode()


def test_verify_document_typed_in_lower_case_leads_to_its_page(issued):
    _document, record = issued

    response = Client().get(verify_url(record.number.lower()))

    assert response.status_code == 302
    assert response["Location"] == verify_url(record.number)


def test_verify_document_of_a_code_in_small_letters_is_found_as_printed(sheet_world):
    sheet_world.session.code = "Labo-b"
    sheet_world.session.save()
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    assert "-Labo-b-" in record.number

    assert Client().get(verify_url(record.number)).status_code == 200


def test_verify_document_refuses_other_methods(issued):
    _document, record = issued

    assert Client().put(verify_url(record.number)).status_code == 405


# ---------------------------------------------------------------------------- lookup form


def test_verify_lookup_is_public_and_shows_a_form(db):
    response = Client().get(reverse("livrables:verify_lookup"))

    assert response.status_code == 200
    assert 'name="numero"' in response.content.decode()


def test_verify_lookup_redirects_to_the_verification_page(issued):
    _document, record = issued

    response = Client().get(reverse("livrables:verify_lookup"), {"numero": f"  {record.number} "})

    assert response.status_code == 302
    assert response["Location"] == verify_url(record.number)


def test_verify_lookup_finds_a_number_typed_in_lower_case_with_spaces(issued):
    _document, record = issued
    typed = " " + record.number.lower().replace("-", " - ", 2) + "\n"

    response = Client().get(reverse("livrables:verify_lookup"), {"numero": typed}, follow=True)

    assert response.redirect_chain == [(verify_url(record.number), 302)]
    content = response.content.decode()
    assert f"Le document n° {record.number} a bien été émis" in content
    assert "Document inconnu" not in content


def test_verify_lookup_help_names_certificates_with_an_example(db):
    content = Client().get(reverse("livrables:verify_lookup")).content.decode()

    assert "certificat de réalisation, attestation ou certificat d&#x27;assiduité" in content
    assert "CR-F4-P100-20261129115422-6129" in content
    assert "majuscules comprises" not in content


def test_verify_lookup_unknown_number_redirects_then_404(db):
    response = Client().get(
        reverse("livrables:verify_lookup"), {"numero": "EMG-NIMPORTE-QUOI"}, follow=True
    )

    assert response.status_code == 404


def test_verify_lookup_refuses_a_slash_with_a_message(db):
    response = Client().get(reverse("livrables:verify_lookup"), {"numero": "EMG/../admin"})

    assert response.status_code == 200
    assert "ne contient pas de barre oblique" in response.content.decode()


@pytest.mark.django_db
def test_a_provisional_number_is_explained_on_the_public_page(client):
    response = client.get(reverse("livrables:verify_document", args=["PROV-LABO-1-20261129-ABCD"]))

    assert response.status_code == 404
    assert "feuille d'émargement provisoire" in response.content.decode()
