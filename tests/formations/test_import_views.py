import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from formations.models import AuditEntry, Participant, Structure
from formations.storage import documents_storage
from formations.views_import import SESSION_KEY, pending_name
from tests.factories import ParticipantFactory
from tests.factories.importing import HEADER, csv_bytes, person, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("formations:participant_import")


def counts():
    return Participant.objects.count(), Structure.objects.count()


def upload(client, content, name="participants.csv"):
    return client.post(IMPORT_URL, {"fichier": SimpleUploadedFile(name, content)})


def token_of(response):
    match = re.search(r"/participants/import/([A-Za-z0-9_-]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def confirm_url(token):
    return reverse("formations:participant_import_confirm", args=[token])


GOOD = csv_bytes(
    [
        person(nom="Martin", prenom="Hélène", email="helene@example.org", date="15/03/2019"),
        person(nom="Bernard", prenom="Luc", email="luc@example.org", type_structure=""),
    ],
    delimiter=";",
    encoding="cp1252",
)


def test_upload_page_lists_columns_and_template_link(coordinator_client):
    response = coordinator_client.get(IMPORT_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_fichier">' in html and 'id="id_fichier"' in html
    for column in ("nom", "prenom", "email", "structure", "type_structure", "date_prise_de_poste"):
        assert f"<code>{column}</code>" in html
    assert reverse("formations:participant_import_template") in html
    assert "Taille maximale : 10 Mo" in html


def test_template_download_has_the_header_row(coordinator_client):
    response = coordinator_client.get(reverse("formations:participant_import_template"))

    assert response["Content-Disposition"] == 'attachment; filename="modele_participants.csv"'
    assert response.content.decode("utf-8-sig") == (
        "nom;prenom;email;telephone;fonction;structure;type_structure;commune;"
        "date_prise_de_poste;consentement_email;consentement_sms\r\n"
    )


def test_preview_then_confirm_creates(coordinator_client, coordinator):
    response = upload(coordinator_client, GOOD)
    assert response.status_code == 302
    token = token_of(response)

    preview = coordinator_client.get(response["Location"])

    html = preview.content.decode()
    assert counts() == (0, 0)
    assert "Confirmer l'import" in html
    assert confirm_url(token) in html
    assert "MARTIN Hélène" in html and "BERNARD Luc" in html
    assert "Société Saint-Vincent" in html
    assert preview.context["report"].created_count == 2

    result = coordinator_client.post(confirm_url(token))

    assert result.status_code == 200
    assert counts() == (2, 1)
    assert result.context["report"].applied
    assert "2 participant·es créé·es" in result.content.decode()
    assert AuditEntry.objects.get(action="participants_imported").actor == coordinator
    assert not documents_storage().exists(pending_name(token))


def test_double_confirm_imports_once(coordinator_client):
    token = token_of(upload(coordinator_client, GOOD))
    coordinator_client.post(confirm_url(token))

    second = coordinator_client.post(confirm_url(token), follow=True)

    assert counts() == (2, 1)
    assert AuditEntry.objects.filter(action="participants_imported").count() == 1
    assert "déjà été confirmé ou a expiré" in second.content.decode()


def test_preview_with_errors_has_no_confirm_button_and_highlights_lines(coordinator_client):
    content = csv_bytes(
        [
            person(nom="Martin", email="helene@example.org"),
            person(nom="Durand", email="pas-un-mail"),
        ]
    )
    response = upload(coordinator_client, content)

    preview = coordinator_client.get(response["Location"])

    html = preview.content.decode()
    assert "Confirmer l'import" not in html
    assert "Import impossible." in html and "1 ligne est en erreur." in html
    row = re.search(r'<tr class="import-line import-error">(.*?)</tr>', html, re.S).group(1)
    assert '<th scope="row">3</th>' in row
    assert "✗ Erreur" in row
    assert "Adresse e-mail invalide : « pas-un-mail »." in row


def test_confirm_refused_when_file_has_errors(coordinator_client):
    token = token_of(
        upload(
            coordinator_client,
            csv_bytes(
                [
                    person(nom="Martin", email="helene@example.org"),
                    person(nom="Durand", structure="Inconnue", type_structure=""),
                ]
            ),
        )
    )

    result = coordinator_client.post(confirm_url(token))

    assert counts() == (0, 0)
    assert result.context["report"].has_errors
    assert "Import refusé" in result.content.decode()
    assert not AuditEntry.objects.exists()


def test_confirm_revalidates_data_changed_since_preview(coordinator_client):
    token = token_of(upload(coordinator_client, GOOD))
    coordinator_client.get(reverse("formations:participant_import_preview", args=[token]))
    luc = ParticipantFactory(email="LUC@example.org", last_name="Bernard", first_name="Luc")

    result = coordinator_client.post(confirm_url(token))

    report = result.context["report"]
    assert (report.created_count, report.existing_count) == (1, 1)
    assert report.lines[1].existing == luc
    assert Participant.objects.filter(email__iexact="luc@example.org").count() == 1
    assert f"n° {luc.pk}" in result.content.decode()


def test_token_of_another_session_is_refused(client, coordinator_client, coordinator):
    from tests.factories import UserFactory

    token = token_of(upload(coordinator_client, GOOD))
    client.force_login(UserFactory())  # another coordinator, another session

    response = client.post(confirm_url(token))

    assert response.status_code == 302 and response["Location"] == IMPORT_URL
    assert counts() == (0, 0)


def test_oversized_upload_is_refused_with_the_limit(coordinator_client, settings):
    settings.SUIVI_MAX_UPLOAD_BYTES = 1024

    response = upload(coordinator_client, GOOD + b"x" * 2000)

    assert response.status_code == 413
    assert "dépasse la taille maximale autorisée (1\u00a0Ko)" in response.content.decode()
    assert SESSION_KEY not in coordinator_client.session


def test_upload_with_two_files_is_refused(coordinator_client):
    response = coordinator_client.post(
        IMPORT_URL,
        {"fichier": [SimpleUploadedFile("a.csv", GOOD), SimpleUploadedFile("b.csv", GOOD)]},
    )

    assert response.status_code == 400
    assert "Un seul fichier peut être déposé à la fois" in response.content.decode()
    assert SESSION_KEY not in coordinator_client.session


def test_garbage_binary_upload_shows_a_message_not_a_500(coordinator_client):
    response = upload(coordinator_client, bytes(range(256)) * 10, name="scan.csv")

    preview = coordinator_client.get(response["Location"])

    assert preview.status_code == 200
    assert "Erreur : fichier refusé" in preview.content.decode()
    assert "caractères binaires" in preview.content.decode()


def test_other_format_is_refused_by_the_form(coordinator_client):
    response = upload(coordinator_client, b"%PDF-1.4", name="liste.pdf")

    assert response.status_code == 200
    assert "fournissez un fichier .csv ou .xlsx" in response.content.decode()


def test_xlsx_upload_preview(coordinator_client):
    response = upload(coordinator_client, xlsx_bytes([person(email="a@example.org")]), "liste.xlsx")

    preview = coordinator_client.get(response["Location"])

    assert preview.context["report"].created_count == 1


@pytest.mark.parametrize("role_fixture", ["trainer", "auditor", "referent"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", IMPORT_URL),
        ("post", IMPORT_URL),
        ("get", reverse("formations:participant_import_template")),
        ("get", reverse("formations:participant_import_preview", args=["a" * 24])),
        ("post", confirm_url("a" * 24)),
    ],
)
def test_non_coordinators_get_403(client, request, role_fixture, method, url):
    client.force_login(request.getfixturevalue(role_fixture))

    response = getattr(client, method)(url)

    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


WITH_WARNINGS = csv_bytes(
    [
        person(
            nom="Martin",
            prenom="Hélène",
            email="helene@example.org",
            structure="Foyer rural de Bavay",
            type_structure="Foyer rural",
        ),
        person(
            nom="Petit",
            prenom="Léa",
            email="lea@example.org",
            structure="Foyer rural de Bavay",
            type_structure="",
        ),
        person(
            nom="Martin",
            prenom="Hélène",
            email="HELENE@example.org",
            structure="Foyer rural de Bavay",
            type_structure="",
        ),
    ]
)


def section(html, heading_id):
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    return match.group(1) if match else None


def test_preview_shows_warnings_apart_and_keeps_the_confirm_button(coordinator_client):
    response = upload(coordinator_client, WITH_WARNINGS)

    html = coordinator_client.get(response["Location"]).content.decode()

    assert "Confirmer l'import" in html
    assert "⚠ Import possible, avec des avertissements." in html
    assert section(html, "import-erreurs") is None
    warnings = section(html, "import-avertissements")
    assert "⚠ Avertissements : 1 point à vérifier" in warnings
    assert "⚠ Ligne 2</span>" in warnings
    assert "Type de structure inconnu « Foyer rural »" in warnings
    row = re.search(r'<tr class="import-line import-same">(.*?)</tr>', html, re.S).group(1)
    assert '<th scope="row">4</th>' in row
    assert "≡ Même personne que la ligne 2" in row
    assert "Foyer rural de Bavay</a>" not in html  # not created yet
    assert "(Autre, type déclaré « Foyer rural », à reclasser, Lille)" in section(
        html, "import-structures"
    )
    assert counts() == (0, 0)


def test_confirm_with_warnings_creates_one_person_and_an_other_structure(coordinator_client):
    token = token_of(upload(coordinator_client, WITH_WARNINGS))

    result = coordinator_client.post(confirm_url(token))

    assert counts() == (2, 1)
    structure = Structure.objects.get()
    assert (structure.kind, structure.kind_label) == ("other", "Foyer rural")
    html = result.content.decode()
    assert f'<a href="{structure.get_absolute_url()}">Foyer rural de Bavay</a>' in html
    assert "1 ligne en double (même personne)" in html


def test_preview_with_errors_and_warnings_lists_them_apart(coordinator_client):
    content = csv_bytes(
        [
            person(
                nom="Martin",
                email="helene@example.org",
                structure="Foyer rural",
                type_structure="Foyer",
            ),
            person(
                nom="Durand",
                prenom="Paul",
                email="helene@example.org",
                structure="Foyer rural",
                type_structure="",
            ),
        ],
        header=[*HEADER, "Remarque"],
    )
    response = upload(coordinator_client, content)

    html = coordinator_client.get(response["Location"]).content.decode()

    assert "Confirmer l'import" not in html
    errors, warnings = section(html, "import-erreurs"), section(html, "import-avertissements")
    assert "✗ Erreurs : 1 ligne empêche l'import" in errors
    assert "✗ Ligne 3</span>" in errors and "un autre nom" in errors
    assert "Type de structure inconnu" not in errors
    assert "⚠ Avertissements : 2 points à vérifier" in warnings
    assert "⚠ Fichier</span>" in warnings and "Colonne « Remarque » inconnue" in warnings
    assert "⚠ Ligne 2</span>" in warnings and "Type de structure inconnu « Foyer »" in warnings
    assert "un autre nom" not in warnings


def test_pending_upload_waits_in_the_private_documents_storage(coordinator_client, settings):
    token = token_of(upload(coordinator_client, GOOD))

    assert documents_storage().open(pending_name(token)).read() == GOOD
    public = list(Path(settings.MEDIA_ROOT).rglob("*"))
    assert [path for path in public if token in path.name] == []
    for url in (f"/media/{pending_name(token)}", f"/media/imports/{token}.bin"):
        assert coordinator_client.get(url).status_code == 404


# --- The file is parsed once per upload --------------------------------------------------------


@pytest.fixture
def parses(monkeypatch):
    """Counts the calls to the CSV and XLSX parsers."""
    from formations import tabular

    calls = []
    for name in ("read_csv", "read_xlsx"):
        original = getattr(tabular, name)

        def spy(content, *, limit, _original=original, _name=name):
            calls.append(_name)
            return _original(content, limit=limit)

        monkeypatch.setattr(tabular, name, spy)
    return calls


@pytest.mark.parametrize(
    ("name", "content", "parser"),
    [
        ("participants.csv", GOOD, "read_csv"),
        ("participants.xlsx", xlsx_bytes([person(email="a@example.org")]), "read_xlsx"),
    ],
    ids=["csv", "xlsx"],
)
def test_preview_and_confirm_parse_the_file_once(coordinator_client, parses, name, content, parser):
    token = token_of(upload(coordinator_client, content, name))
    preview_url = reverse("formations:participant_import_preview", args=[token])

    coordinator_client.get(preview_url)
    coordinator_client.get(preview_url)  # a reload of the preview
    result = coordinator_client.post(confirm_url(token))

    assert parses == [parser]
    assert result.context["report"].applied
    assert Participant.objects.count() == result.context["report"].created_count > 0


def test_a_refused_file_is_parsed_once_too(coordinator_client, parses):
    token = token_of(upload(coordinator_client, b"nom;prenom\r\n" + b"\x00" * 10))
    preview_url = reverse("formations:participant_import_preview", args=[token])

    first = coordinator_client.get(preview_url)
    second = coordinator_client.get(preview_url)

    assert parses == ["read_csv"]
    assert first.context["report"].file_errors == second.context["report"].file_errors
    assert "caractères binaires" in second.context["report"].file_errors[0]


def test_confirm_parses_again_when_the_cache_lost_the_preview(coordinator_client, parses):
    from django.core.cache import cache

    token = token_of(upload(coordinator_client, GOOD))
    coordinator_client.get(reverse("formations:participant_import_preview", args=[token]))
    cache.clear()

    result = coordinator_client.post(confirm_url(token))

    assert parses == ["read_csv", "read_csv"]
    assert result.context["report"].applied
    assert counts() == (2, 1)


def test_confirm_forgets_the_parsed_table(coordinator_client):
    from django.core.cache import cache

    from formations.tabular import _CACHE_PREFIX

    token = token_of(upload(coordinator_client, GOOD))
    coordinator_client.get(reverse("formations:participant_import_preview", args=[token]))
    assert cache.get(_CACHE_PREFIX + token) is not None

    coordinator_client.post(confirm_url(token))

    assert cache.get(_CACHE_PREFIX + token) is None
