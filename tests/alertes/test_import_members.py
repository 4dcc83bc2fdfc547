"""Mass import of a structure's members (seed 002: « Importation des Bases des données au
format Excel et csv »): groups and date of birth as columns, known people not duplicated,
bad lines named, bad files refused, a dry run writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from formations.consent import may_contact
from formations.members_import import import_members
from formations.models import AuditEntry, ContactConsent, MemberGroup, Membership, Participant
from tests.factories.importing import csv_bytes, xlsx_bytes
from tests.factories.members import MembershipFactory, alertes_world

pytestmark = pytest.mark.django_db

HEADER = [
    "Nom",
    "Prénom",
    "E-mail",
    "Téléphone",
    "Date de naissance",
    "Adresse",
    "Code postal",
    "Commune",
    "Type",
    "Groupes",
    "Consentement SMS",
    "Consentement e-mail",
]


def _row(nom="Dupont", prenom="Zoë", email="", tel="", naissance="", groupes="", **more):
    return [
        nom,
        prenom,
        email,
        tel,
        naissance,
        more.get("adresse", ""),
        more.get("cp", ""),
        more.get("commune", ""),
        more.get("type", ""),
        groupes,
        more.get("sms", ""),
        more.get("mail", ""),
    ]


def _import(world, content, *, name="adherents.csv", actor=None, dry_run=False):
    return import_members(
        structure=world.arbrisseau,
        file_name=name,
        content=content,
        actor=actor or world.admin,
        dry_run=dry_run,
    )


def test_csv_with_semicolons_in_windows_1252_registers_members_groups_and_consents():
    world = alertes_world()
    content = csv_bytes(
        [
            _row(
                email="zoe@example.org",
                tel="06 12 34 56 78",
                naissance="02/03/1990",
                groupes="Petite enfance ; Culture",
                adresse="3 rue des Lilas",
                cp="59000",
                commune="Lille",
                sms="oui",
                mail="non",
            ),
            _row("Martin", "Élise", naissance="15/06/1954", type="Bénévole", groupes="culture"),
        ],
        header=HEADER,
        delimiter=";",
        encoding="cp1252",
    )
    report = _import(world, content)
    assert not report.has_errors, report.summary()
    assert report.new_groups == ["Culture"]
    zoe = Participant.objects.get(email="zoe@example.org")
    assert zoe.phone == "+33612345678"
    assert zoe.date_of_birth == dt.date(1990, 3, 2)
    assert (zoe.address, zoe.postal_code, zoe.commune) == ("3 rue des Lilas", "59000", "Lille")
    assert zoe.kind == Participant.Kind.RESIDENT
    membership = zoe.memberships.get()
    assert membership.structure == world.arbrisseau
    assert sorted(g.name for g in membership.groups.all()) == ["Culture", "Petite enfance"]
    assert MemberGroup.objects.filter(structure=world.arbrisseau, name="Culture").count() == 1
    assert may_contact(zoe, "sms", "structure_news", structure=world.arbrisseau).allowed
    assert not may_contact(zoe, "email", "structure_news", structure=world.arbrisseau).allowed
    consent = ContactConsent.objects.get(participant=zoe)
    assert consent.method == ContactConsent.Method.IMPORT
    assert consent.structure == world.arbrisseau
    elise = Participant.objects.get(last_name="Martin")
    assert elise.kind == Participant.Kind.VOLUNTEER
    assert elise.date_of_birth == dt.date(1954, 6, 15)
    assert AuditEntry.objects.filter(action="members_imported").count() == 1


def test_xlsx_with_real_date_cells():
    world = alertes_world()
    content = xlsx_bytes(
        [_row(naissance=dt.datetime(1988, 12, 31), groupes="Petite enfance, Jeunesse")],
        header=HEADER,
    )
    report = _import(world, content, name="adherents.xlsx")
    assert not report.has_errors, report.summary()
    person = Participant.objects.get(last_name="Dupont")
    assert person.date_of_birth == dt.date(1988, 12, 31)
    # « Jeunesse » exists at Chemin Rouge only: a new group of l'Arbrisseau, the other
    # structure's group untouched.
    groups = person.memberships.get().groups.all()
    assert {(g.name, g.structure_id) for g in groups} == {
        ("Petite enfance", world.arbrisseau.pk),
        ("Jeunesse", world.arbrisseau.pk),
    }


def test_a_known_person_is_reported_and_not_duplicated_and_other_structures_are_not_looked_at():
    world = alertes_world()
    known = MembershipFactory(structure=world.arbrisseau, participant__email="known@example.org")
    elsewhere = MembershipFactory(
        structure=world.chemin_rouge, participant__email="elsewhere@example.org"
    )
    content = csv_bytes(
        [
            _row("Autre", "Nom", email="KNOWN@example.org"),
            _row("Ailleurs", "Personne", email="elsewhere@example.org"),
            _row("Ailleurs", "Personne", email="elsewhere@example.org"),
        ],
        header=HEADER,
    )
    report = _import(world, content)
    assert [line.outcome for line in report.lines] == ["known", "create", "same"]
    assert report.lines[0].existing == known
    assert report.lines[2].same_as == 3
    assert Membership.objects.filter(participant=known.participant).count() == 1
    # Known elsewhere: a new record of l'Arbrisseau's own (a coordinator merges later).
    assert Participant.objects.filter(email="elsewhere@example.org").count() == 2
    assert elsewhere.participant.memberships.count() == 1


def test_bad_lines_are_named_and_nothing_is_written():
    world = alertes_world()
    content = csv_bytes(
        [
            _row(),
            _row("", "Sans nom"),
            _row("Date", "Fausse", naissance="31/02/1990"),
            _row("Mail", "Faux", email="pas-un-mail"),
            _row("Type", "Inconnu", type="cousin"),
            _row("Accord", "Flou", sms="peut-être"),
            _row("Tel", "Faux", tel="12"),
        ],
        header=HEADER,
    )
    report = _import(world, content)
    assert report.has_errors
    errors = {line.line_number: " ".join(line.errors) for line in report.error_lines}
    assert set(errors) == {3, 4, 5, 6, 7, 8}
    assert "nom" in errors[3]
    assert "31/02/1990" in errors[4]
    assert "pas-un-mail" in errors[5]
    assert "cousin" in errors[6]
    assert "peut-être" in errors[7]
    assert "Téléphone invalide" in errors[8]
    assert not Participant.objects.exists()
    assert not MemberGroup.objects.filter(structure=world.arbrisseau).exclude(pk=world.group.pk)


def test_dry_run_writes_nothing():
    world = alertes_world()
    content = csv_bytes([_row(groupes="Nouveau groupe", sms="oui")], header=HEADER)
    report = _import(world, content, dry_run=True)
    assert not report.has_errors
    assert report.create_count == 1 and report.new_groups == ["Nouveau groupe"]
    assert not Participant.objects.exists()
    assert not MemberGroup.objects.filter(name="Nouveau groupe").exists()
    assert not ContactConsent.objects.exists()


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("vide.csv", b"", "vide"),
        ("ancien.xls", b"\xd0\xcf\x11\xe0" + b"x" * 50, "XLSX ou CSV"),
        ("faux.xlsx", b"PK\x03\x04garbage", "XLSX"),
        ("sans-nom.csv", b"prenom;email\r\nZo\xc3\xab;z@example.org\r\n", "nom"),
    ],
)
def test_a_malformed_file_is_refused_with_a_message(name, content, message):
    world = alertes_world()
    report = _import(world, content, name=name)
    assert report.file_errors and message in " ".join(report.file_errors)
    assert not Participant.objects.exists()


def test_only_the_structure_people_and_coordinators_may_import():
    world = alertes_world()
    content = csv_bytes([_row()], header=HEADER)
    with pytest.raises(PermissionDenied):
        _import(world, content, actor=world.other_admin)
    assert not _import(world, content, actor=world.coordinator).has_errors
    assert not _import(world, content, actor=world.staff, dry_run=True).has_errors


def test_the_pages_preview_then_confirm_once(client):
    world = alertes_world()
    client.force_login(world.staff)
    url = reverse("alertes:member_import", kwargs={"structure": world.arbrisseau.pk})
    assert client.get(url).status_code == 200
    model = client.get(
        reverse("alertes:member_import_template", kwargs={"structure": world.arbrisseau.pk})
    )
    assert model.content.decode("utf-8-sig").startswith("nom;prenom;email;telephone")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "adherents.csv", csv_bytes([_row(groupes="Sorties")], header=HEADER), "text/csv"
    )
    response = client.post(url, {"fichier": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Sorties" in text and "DUPONT Zoë" in text
    assert not Participant.objects.exists()
    confirm = response["Location"] + "confirmer/"
    assert client.post(confirm).status_code == 200
    client.post(confirm)  # a double submit imports once
    assert Participant.objects.count() == 1


def test_another_structure_s_account_gets_404(client):
    world = alertes_world()
    client.force_login(world.other_admin)
    url = reverse("alertes:member_import", kwargs={"structure": world.arbrisseau.pk})
    assert client.get(url).status_code == 404


def test_the_command_dry_run_then_import(tmp_path):
    from django.core.management import call_command

    world = alertes_world()
    path = tmp_path / "adherents.csv"
    path.write_bytes(csv_bytes([_row(naissance="02/03/1990")], header=HEADER))
    call_command("import_members", str(world.arbrisseau.pk), str(path), "--dry-run")
    assert not Participant.objects.exists()
    call_command("import_members", str(world.arbrisseau.pk), str(path))
    assert Participant.objects.get().memberships.get().structure == world.arbrisseau


def test_a_confirmation_is_bound_to_the_structure_and_the_import_it_was_previewed_for(client):
    """A coordinator previews l'Arbrisseau's file: the token confirmed under Chemin
    Rouge's URL, or at the participants' import, is a 404 and imports nothing; the
    participants' token is refused by the members' pages too."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    world = alertes_world()
    client.force_login(world.coordinator)
    url = reverse("alertes:member_import", kwargs={"structure": world.arbrisseau.pk})
    upload = SimpleUploadedFile("adherents.csv", csv_bytes([_row()], header=HEADER), "text/csv")
    token = client.post(url, {"fichier": upload})["Location"].rstrip("/").rsplit("/", 1)[-1]
    elsewhere = {"structure": world.chemin_rouge.pk, "token": token}
    assert client.get(reverse("alertes:member_import_preview", kwargs=elsewhere)).status_code == 404
    assert (
        client.post(reverse("alertes:member_import_confirm", kwargs=elsewhere)).status_code == 404
    )
    assert (
        client.post(reverse("formations:participant_import_confirm", args=[token])).status_code
        == 404
    )
    assert not Participant.objects.exists()
    # Still confirmable where it was previewed.
    here = {"structure": world.arbrisseau.pk, "token": token}
    assert client.post(reverse("alertes:member_import_confirm", kwargs=here)).status_code == 200
    assert Membership.objects.get().structure == world.arbrisseau
    # A participants' upload is not a members' one.
    upload = SimpleUploadedFile("participants.csv", b"nom;prenom\r\nDurand;Alix\r\n", "text/csv")
    location = client.post(reverse("formations:participant_import"), {"fichier": upload})
    theirs = location["Location"].rstrip("/").rsplit("/", 1)[-1]
    here["token"] = theirs
    assert client.post(reverse("alertes:member_import_confirm", kwargs=here)).status_code == 404
    assert Participant.objects.count() == 1


def test_a_no_for_a_known_person_withdraws_and_a_yes_is_never_a_grant():
    """Review finding 11: a file used to record refusals changes what stands; a « oui »
    on a known person is reported, not granted; imported consents carry their own
    wording version and the file's SHA-256."""
    import hashlib

    from formations.consent import IMPORT_WORDING_VERSION
    from tests.factories.members import give_structure_consent

    world = alertes_world()
    known = MembershipFactory(structure=world.arbrisseau, participant__email="known@example.org")
    give_structure_consent(known, "sms")
    content = csv_bytes(
        [
            _row("Known", "Person", email="known@example.org", sms="non", mail="oui"),
            _row(email="new@example.org", tel="06 12 34 56 78", sms="oui"),
        ],
        header=HEADER,
    )
    preview = _import(world, content, dry_run=True)
    assert "1 accord à retirer pour des personnes déjà inscrites" in preview.summary()
    assert "1 accord « oui » non repris" in preview.summary()
    assert may_contact(
        known.participant, "sms", "structure_news", structure=world.arbrisseau
    ).allowed

    report = _import(world, content)
    assert "1 accord retiré pour des personnes déjà inscrites" in report.summary()
    person = known.participant
    assert not may_contact(person, "sms", "structure_news", structure=world.arbrisseau).allowed
    assert not may_contact(person, "email", "structure_news", structure=world.arbrisseau).allowed
    withdrawal = ContactConsent.objects.get(participant=person, action="withdrawn")
    digest = hashlib.sha256(content).hexdigest()
    assert withdrawal.method == ContactConsent.Method.IMPORT and digest in withdrawal.note
    created = ContactConsent.objects.get(participant__email="new@example.org")
    assert created.wording_version == IMPORT_WORDING_VERSION
    assert digest in created.note
    assert AuditEntry.objects.get(action="members_imported").data["withdrawn"] == [
        [known.pk, "sms"]
    ]
    # Imported again: nothing more to withdraw.
    assert _import(world, content, dry_run=True).withdrawal_count == 0
