"""Issuing is an explicit act: rendered once, kept in the private documents storage,
registered; downloads serve the kept bytes; reissues supersede and revocations withdraw,
each as an append-only entry; unsealed sheets stay provisional previews."""

import datetime as dt
import hashlib

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from formations.models import AuditEntry, User
from formations.storage import documents_storage
from livrables import services
from livrables.exceptions import LivrablesError
from livrables.models import DocumentEntry, IssuedDocument
from livrables.selectors import document_state, issued_file
from livrables.services import issue_sheet, issue_sheet_extract, revoke_document
from sessions.models import Seal
from tests.factories import FunderFactory, TrainingSessionFactory, UserFactory
from tests.livrables.conftest import kept_files, pdf_text
from tests.storages import NO_PATH_STORAGE

NOW = dt.datetime(2021, 10, 6, 16, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=2)


def sheet_url(session):
    return reverse("livrables:session_sheet", args=[session.pk])


def issue_url(session):
    return reverse("livrables:session_sheet_issue", args=[session.pk])


def verify_url(number):
    return reverse("livrables:verify_document", args=[number])


def session_url(session):
    return reverse("sessions:session_detail", args=[session.pk])


def page(response) -> str:
    """The page's HTML with apostrophes as typed (templates escape some, not others)."""
    return response.content.decode().replace("&#x27;", "'")


def auditor_of_feder():
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(FunderFactory(name="FEDER"))
    return auditor


# ---------------------------------------------------------------------------- issuing


def test_issuing_by_post_keeps_the_file_and_registers_it(client, sheet_world, documents_dir):
    client.force_login(sheet_world.trainer)

    response = client.post(issue_url(sheet_world.session), follow=True)

    record = IssuedDocument.objects.get()
    assert response.redirect_chain[-1][0] == session_url(sheet_world.session)
    assert f"Document n° {record.number} émis (Feuille d'émargement)." in page(response)
    assert record.issued_by == sheet_world.trainer
    assert record.filename == f"feuille-emargement-{record.number}.pdf"
    assert kept_files(documents_dir) == [record.storage_name]
    assert (
        record.storage_name == f"issued/attendance_sheet/{record.issued_at:%Y}/{record.number}.pdf"
    )
    kept = (documents_dir / record.storage_name).read_bytes()
    assert hashlib.sha256(kept).hexdigest() == record.sha256
    assert len(kept) == record.size
    assert record.number in pdf_text(kept)
    entry = AuditEntry.objects.get(action="livrables.sheet_issued")
    assert entry.data == {
        "number": record.number,
        "sha256": record.sha256,
        "bytes": record.size,
        "supersedes": [],
    }


def test_downloading_twice_gives_identical_bytes_and_one_register_entry(client, sheet_world):
    client.force_login(sheet_world.coordinator)
    client.post(issue_url(sheet_world.session))

    first = client.get(sheet_url(sheet_world.session))
    second = client.get(sheet_url(sheet_world.session))

    record = IssuedDocument.objects.get()
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert hashlib.sha256(second.content).hexdigest() == record.sha256
    assert first["Content-Disposition"] == f'attachment; filename="{record.filename}"'
    assert "no-store" in first["Cache-Control"]
    assert AuditEntry.objects.filter(action="livrables.sheet_issued").count() == 1


def test_downloads_by_every_allowed_role_are_the_same_bytes(client, sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=sheet_world.coordinator, now=NOW)
    contents = set()
    for user in (sheet_world.coordinator, sheet_world.trainer, auditor_of_feder()):
        client.force_login(user)
        contents.add(client.get(sheet_url(sheet_world.session)).content)
        contents.add(
            client.get(reverse("livrables:document_download", args=[record.number])).content
        )

    assert len(contents) == 1
    assert hashlib.sha256(contents.pop()).hexdigest() == record.sha256


def test_sealed_session_not_yet_issued_says_so_with_the_button(client, sheet_world):
    client.force_login(sheet_world.trainer)

    response = client.get(sheet_url(sheet_world.session))

    html = page(response)
    assert response.status_code == 404
    assert "sa feuille d'émargement n'a pas encore été émise" in html
    assert f'action="{issue_url(sheet_world.session)}"' in html
    assert "Émettre la feuille d'émargement" in html
    assert not IssuedDocument.objects.exists()


def test_an_auditor_is_told_who_issues_the_sheet_and_gets_no_button(client, sheet_world):
    client.force_login(auditor_of_feder())

    response = client.get(sheet_url(sheet_world.session))

    html = page(response)
    assert response.status_code == 404
    assert "Elle est émise par la coordination" in html
    assert issue_url(sheet_world.session) not in html


# ---------------------------------------------------------------------------- reissue


def test_reissue_supersedes_and_the_verification_page_says_so(client, sheet_world):
    old = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    client.force_login(sheet_world.coordinator)

    response = client.post(issue_url(sheet_world.session), follow=True)

    new = IssuedDocument.objects.exclude(pk=old.pk).get()
    assert f"il remplace le n° {old.number}" in response.content.decode()
    entry = DocumentEntry.objects.get()
    assert (entry.document, entry.kind, entry.replaced_by) == (old, "superseded", new)
    assert entry.by == sheet_world.coordinator
    assert document_state(document=old).superseded_by == new.number
    assert document_state(document=new).is_current
    page = Client().get(verify_url(old.number)).content.decode()
    assert f"Remplacé par n° {new.number}" in page
    assert verify_url(new.number) in page
    assert "En vigueur" not in page
    assert "En vigueur" in Client().get(verify_url(new.number)).content.decode()
    # The session's sheet is now the new one; the old one stays downloadable by number.
    assert client.get(sheet_url(sheet_world.session)).content == issued_file(document=new).content
    old_copy = client.get(reverse("livrables:document_download", args=[old.number]))
    assert hashlib.sha256(old_copy.content).hexdigest() == old.sha256
    assert AuditEntry.objects.filter(action="livrables.sheet_issued").order_by("pk").last().data[
        "supersedes"
    ] == [old.number]


def test_only_a_reissue_adds_a_document(client, sheet_world):
    client.force_login(sheet_world.trainer)
    client.post(issue_url(sheet_world.session))
    for _ in range(3):
        client.get(sheet_url(sheet_world.session))
    assert IssuedDocument.objects.count() == 1

    client.post(issue_url(sheet_world.session))

    assert IssuedDocument.objects.count() == 2
    assert DocumentEntry.objects.filter(kind="superseded").count() == 1


def test_a_matching_file_of_a_superseded_document_is_flagged(sheet_world):
    old = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    issue_sheet(session=sheet_world.session, actor=None, now=LATER)
    content = issued_file(document=old).content

    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post(verify_url(old.number), {"file": SimpleUploadedFile("a.pdf", content)})

    html = page(response)
    assert "Ce fichier est identique au document émis le" in html
    assert "ce document n'est plus en vigueur" in html


def test_issuing_replaces_documents_registered_before_files_were_kept(client, sheet_world):
    legacy = IssuedDocument.objects.create(
        number="EMG-LABO-2021-1-20211005090000-AAAA",
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET,
        title="Feuille d'émargement — session LABO-2021-1 — FEDER-2018-AO.3",
        sha256="a" * 64,
        size=1000,
        issued_at=NOW - dt.timedelta(days=1),
        session=sheet_world.session,
    )
    client.force_login(sheet_world.coordinator)
    assert client.get(sheet_url(sheet_world.session)).status_code == 404
    with pytest.raises(LivrablesError) as error:
        issued_file(document=legacy)
    assert error.value.code == "file_missing"

    new = issue_sheet(session=sheet_world.session, actor=sheet_world.coordinator, now=NOW)

    assert document_state(document=legacy).superseded_by == new.number
    assert client.get(sheet_url(sheet_world.session)).status_code == 200


# ---------------------------------------------------------------------------- revocation


def test_revocation_is_an_entry_and_the_verification_page_says_revoked(client, sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    client.force_login(sheet_world.coordinator)
    url = reverse("livrables:document_revoke", args=[record.number])
    assert "Motif de la révocation" in client.get(url).content.decode()

    response = client.post(url, {"motif": "Erreur de saisie sur le nom de Mme Nguyễn"})

    assert response.status_code == 302
    assert response["Location"] == session_url(sheet_world.session)
    entry = DocumentEntry.objects.get()
    assert (entry.document, entry.kind, entry.by) == (record, "revoked", sheet_world.coordinator)
    page = Client().get(verify_url(record.number)).content.decode()
    revoked_on = dt.date.today()
    assert "Révoqué le" in page and str(revoked_on.year) in page
    assert "il ne vaut plus justificatif" in page
    assert "Nguyễn" not in page and "Erreur de saisie" not in page
    audit = AuditEntry.objects.get(action="livrables.document_revoked")
    assert audit.data == {
        "number": record.number,
        "reason": "Erreur de saisie sur le nom de Mme Nguyễn",
    }
    # Nothing stands any more: the sheet must be issued again; the revoked file stays.
    assert client.get(sheet_url(sheet_world.session)).status_code == 404
    kept = client.get(reverse("livrables:document_download", args=[record.number]))
    assert hashlib.sha256(kept.content).hexdigest() == record.sha256


def test_after_revoking_the_standing_sheet_the_pages_say_so_and_a_new_one_replaces_it(
    client, sheet_world
):
    first = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    second = issue_sheet(
        session=sheet_world.session, actor=sheet_world.trainer, now=NOW + dt.timedelta(hours=1)
    )
    revoke_document(document=second, actor=sheet_world.coordinator, reason="Nom mal écrit")
    client.force_login(sheet_world.coordinator)

    session_page = client.get(session_url(sheet_world.session)).content.decode()
    sheet_page = client.get(sheet_url(sheet_world.session)).content.decode()
    for text in (session_page, sheet_page):
        assert f"Le document n° {second.number} a été révoqué le" in text
        assert "pas encore été émise" not in text

    third = issue_sheet(
        session=sheet_world.session, actor=sheet_world.trainer, now=NOW + dt.timedelta(hours=2)
    )

    # The chain from the first document leads, through the revoked one, to the new one.
    assert document_state(document=first).superseded_by == second.number
    assert document_state(document=second).superseded_by == third.number
    assert document_state(document=second).revoked_at is not None
    public = Client().get(verify_url(second.number)).content.decode()
    assert "Révoqué le" in public and third.number in public


def test_revocation_date_is_shown_as_revoked_on(sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    revoke_document(document=record, actor=None, reason="Doublon", now=LATER)

    page = Client().get(verify_url(record.number)).content.decode()

    assert "Révoqué le 8 octobre 2021 : il ne vaut plus justificatif." in page


@pytest.mark.parametrize(
    ("who", "reason", "code"),
    [
        ("trainer", "Erreur", "not_allowed"),
        ("coordinator", "   ", "reason_required"),
    ],
)
def test_revocation_refusals(sheet_world, who, reason, code):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)

    with pytest.raises(LivrablesError) as error:
        revoke_document(document=record, actor=getattr(sheet_world, who), reason=reason)

    assert error.value.code == code
    assert not DocumentEntry.objects.exists()


def test_a_document_is_revoked_once(sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    revoke_document(document=record, actor=sheet_world.coordinator, reason="Doublon")

    with pytest.raises(LivrablesError) as error:
        revoke_document(document=record, actor=sheet_world.coordinator, reason="Encore")

    assert error.value.code == "already_revoked"
    assert DocumentEntry.objects.count() == 1


def test_revoke_page_is_403_for_a_trainer_and_404_out_of_scope(client, sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    url = reverse("livrables:document_revoke", args=[record.number])

    client.force_login(sheet_world.trainer)
    assert client.post(url, {"motif": "x"}).status_code == 403
    client.force_login(UserFactory(role=User.Role.TRAINER))
    assert client.post(url, {"motif": "x"}).status_code == 404
    assert not DocumentEntry.objects.exists()


def test_revoke_page_without_reason_explains(client, sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    client.force_login(sheet_world.coordinator)

    response = client.post(
        reverse("livrables:document_revoke", args=[record.number]), {"motif": ""}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Indiquez le motif de la révocation." in content
    assert "Ce champ est obligatoire" not in content
    assert not DocumentEntry.objects.exists()


def test_revoke_page_cancels_back_to_the_session(client, sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    client.force_login(sheet_world.coordinator)

    content = client.get(reverse("livrables:document_revoke", args=[record.number])).content
    html = content.decode()

    cancel = f'<a class="button secondary" href="{session_url(sheet_world.session)}">Annuler</a>'
    assert cancel in html
    assert f'<a href="{session_url(sheet_world.session)}">Session LABO-2021-1</a>' in html
    assert not DocumentEntry.objects.exists()


# ---------------------------------------------------------------------------- append-only


def test_entries_are_append_only(sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    entry = revoke_document(document=record, actor=None, reason="Doublon")
    entry.reason = "Autre"

    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert DocumentEntry.objects.get().reason == "Doublon"


@pytest.mark.parametrize(
    "values",
    [
        {"kind": "revoked", "reason": ""},
        {"kind": "superseded", "reason": ""},
    ],
)
def test_database_refuses_inconsistent_entries(sheet_world, values):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentEntry.objects.create(document=record, at=NOW, **values)


def test_database_refuses_a_second_supersession(sheet_world):
    first = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    second = issue_sheet(session=sheet_world.session, actor=None, now=LATER)

    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentEntry.objects.create(
            document=first, kind="superseded", at=LATER, replaced_by=second
        )


# ---------------------------------------------------------------------------- provisional


def test_a_provisional_sheet_is_never_kept_nor_registered(client, sheet_world, documents_dir):
    Seal.objects.filter(slot=sheet_world.afternoon).delete()
    client.force_login(sheet_world.coordinator)

    issued = client.post(issue_url(sheet_world.session), follow=True)
    preview = client.get(sheet_url(sheet_world.session))

    assert "ne sont pas encore closes et scellées" in page(issued)
    assert preview.status_code == 200
    assert preview["Content-Disposition"].startswith(
        'attachment; filename="feuille-emargement-provisoire-PROV-'
    )
    assert "DOCUMENT PROVISOIRE" in pdf_text(preview.content)
    assert not IssuedDocument.objects.exists()
    assert kept_files(documents_dir) == []
    assert AuditEntry.objects.filter(action="livrables.sheet_previewed").count() == 1


def test_issue_service_refuses_an_unsealed_session(sheet_world, documents_dir):
    Seal.objects.filter(slot=sheet_world.afternoon).delete()

    with pytest.raises(LivrablesError) as error:
        issue_sheet(session=sheet_world.session, actor=sheet_world.trainer)

    assert error.value.code == "not_sealed"
    assert kept_files(documents_dir) == []


def test_a_session_without_half_days_is_not_issued(db, coordinator):
    with pytest.raises(LivrablesError) as error:
        issue_sheet(session=TrainingSessionFactory(), actor=coordinator)

    assert error.value.code == "not_sealed"


# ---------------------------------------------------------------------------- who issues


def test_a_trainer_of_another_session_cannot_issue(client, sheet_world, documents_dir):
    other = UserFactory(role=User.Role.TRAINER)
    TrainingSessionFactory().trainers.add(other)
    client.force_login(other)

    response = client.post(issue_url(sheet_world.session))

    assert response.status_code == 404
    with pytest.raises(LivrablesError) as error:
        issue_sheet(session=sheet_world.session, actor=other)
    assert error.value.code == "not_allowed"
    assert not IssuedDocument.objects.exists()
    assert kept_files(documents_dir) == []


@pytest.mark.parametrize("role", ["auditor", "referent"])
def test_auditors_and_referents_do_not_issue_the_sheet(client, sheet_world, role):
    if role == "auditor":
        user = auditor_of_feder()
    else:
        structure = sheet_world.enrolments["nguyen"].participant.structure
        user = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
    client.force_login(user)

    assert client.post(issue_url(sheet_world.session)).status_code == 404
    with pytest.raises(LivrablesError) as error:
        issue_sheet(session=sheet_world.session, actor=user)
    assert error.value.code == "not_allowed"


def test_the_issue_url_refuses_get(client, sheet_world):
    client.force_login(sheet_world.coordinator)

    assert client.get(issue_url(sheet_world.session)).status_code == 405
    assert not IssuedDocument.objects.exists()


def test_only_the_structures_referent_issues_its_extract(sheet_world):
    structure = sheet_world.enrolments["dvorak"].participant.structure
    other = sheet_world.enrolments["nguyen"].participant.structure
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=other)

    for actor in (referent, sheet_world.coordinator, sheet_world.trainer):
        with pytest.raises(LivrablesError) as error:
            issue_sheet_extract(session=sheet_world.session, structure=structure, actor=actor)
        assert error.value.code == "not_allowed"
    assert not IssuedDocument.objects.exists()


def test_each_structure_has_its_own_current_extract(client, sheet_world):
    structures = [sheet_world.enrolments[k].participant.structure for k in ("dvorak", "nguyen")]
    records = []
    for structure in structures:
        referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
        records.append(
            issue_sheet_extract(session=sheet_world.session, structure=structure, actor=referent)
        )
        client.force_login(referent)
        response = client.get(
            reverse("livrables:session_sheet_extract", args=[sheet_world.session.pk])
        )
        assert hashlib.sha256(response.content).hexdigest() == records[-1].sha256
        # Nor may a referent fetch the other structure's extract by its number.
        if len(records) == 2:
            other = reverse("livrables:document_download", args=[records[0].number])
            assert client.get(other).status_code == 404

    assert not DocumentEntry.objects.exists()


# ---------------------------------------------------------------------------- kept file


def test_an_altered_kept_file_is_never_served(client, sheet_world, documents_dir):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    path = documents_dir / record.storage_name
    path.write_bytes(path.read_bytes().replace(b"/Producer", b"/Producex", 1))
    client.force_login(sheet_world.coordinator)

    response = client.get(sheet_url(sheet_world.session))

    assert response.status_code == 503
    assert not response.content.startswith(b"%PDF")
    assert "ne correspond plus à l'empreinte enregistrée" in page(response)


def test_a_missing_kept_file_is_reported_not_rerendered(client, sheet_world, documents_dir):
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    (documents_dir / record.storage_name).unlink()
    client.force_login(sheet_world.coordinator)

    response = client.get(sheet_url(sheet_world.session))

    assert response.status_code == 503
    assert "est introuvable" in response.content.decode()
    assert IssuedDocument.objects.count() == 1


def test_a_failed_registration_leaves_no_kept_file(sheet_world, documents_dir, monkeypatch):
    def broken_log(**kwargs):
        raise RuntimeError("journal indisponible")

    monkeypatch.setattr(services, "_log", broken_log)

    with pytest.raises(RuntimeError):
        issue_sheet(session=sheet_world.session, actor=None, now=NOW)

    assert not IssuedDocument.objects.exists()
    assert kept_files(documents_dir) == []


def test_issued_files_are_read_through_the_storage_api(sheet_world, settings):
    settings.STORAGES = {**settings.STORAGES, "documents": NO_PATH_STORAGE}
    record = issue_sheet(session=sheet_world.session, actor=None, now=NOW)

    assert documents_storage().exists(record.storage_name)
    with pytest.raises(NotImplementedError):
        documents_storage().path(record.storage_name)
    assert hashlib.sha256(issued_file(document=record).content).hexdigest() == record.sha256


# ---------------------------------------------------------------------------- session page


def test_session_page_offers_issuing_to_the_trainer(client, sheet_world):
    client.force_login(sheet_world.trainer)

    html = page(client.get(session_url(sheet_world.session)))

    assert "la feuille d'émargement n'a pas encore été émise" in html
    assert f'action="{issue_url(sheet_world.session)}"' in html


def test_session_page_lists_issued_documents_with_their_state(client, sheet_world):
    old = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    new = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=LATER)
    client.force_login(sheet_world.coordinator)

    html = client.get(session_url(sheet_world.session)).content.decode()

    assert f"N° {new.number}, émis le 8 octobre 2021" in html
    assert f"remplacé par n° {new.number}" in html
    assert "en vigueur" in html
    assert reverse("livrables:document_download", args=[old.number]) in html
    assert reverse("livrables:document_revoke", args=[new.number]) in html
    assert "Rééditer" in html


def test_session_page_gives_the_auditor_downloads_but_no_buttons(client, sheet_world):
    record = issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    client.force_login(auditor_of_feder())

    html = client.get(session_url(sheet_world.session)).content.decode()

    assert reverse("livrables:document_download", args=[record.number]) in html
    assert issue_url(sheet_world.session) not in html
    assert "Rééditer" not in html
    assert reverse("livrables:document_revoke", args=[record.number]) not in html


def test_session_page_shows_a_referent_only_their_extract(client, sheet_world):
    issue_sheet(session=sheet_world.session, actor=sheet_world.trainer, now=NOW)
    structure = sheet_world.enrolments["dvorak"].participant.structure
    referent = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=structure)
    client.force_login(referent)

    html = page(client.get(session_url(sheet_world.session)))

    assert "L'extrait de votre structure n'a pas encore été émis." in html
    assert "Émettre l'extrait de ma structure" in html
    assert "EMG-" not in html


def test_session_page_query_count_does_not_grow_with_documents(
    client, sheet_world, django_assert_max_num_queries
):
    client.force_login(sheet_world.coordinator)
    issue_sheet(session=sheet_world.session, actor=None, now=NOW)
    with django_assert_max_num_queries(100) as one:
        client.get(session_url(sheet_world.session))
    for day in range(1, 6):
        record = issue_sheet(
            session=sheet_world.session, actor=None, now=NOW + dt.timedelta(days=day)
        )
    revoke_document(document=record, actor=None, reason="Doublon")

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(session_url(sheet_world.session))
    assert response.content.decode().count("remplacé par n°") == 5
