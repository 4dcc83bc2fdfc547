import importlib

import pytest
from django.apps import apps

from formations.importing import import_participants
from formations.models import SORT_KEY_MAX_LENGTH, Participant, Structure
from tests.factories import ParticipantFactory, StructureFactory
from tests.factories.importing import csv_bytes, person

pytestmark = pytest.mark.django_db


def stored_key(obj) -> str:
    return type(obj).objects.values_list("sort_key", flat=True).get(pk=obj.pk)


def test_participant_sort_key_is_computed_on_create():
    participant = ParticipantFactory(last_name="Öztürk", first_name="Ayşe")

    assert stored_key(participant) == "ozturk ayse  ozturk ayse"


def test_participant_sort_key_follows_a_rename():
    participant = ParticipantFactory(last_name="Öztürk", first_name="Ayşe")

    participant.last_name = "Čapek"
    participant.save()

    assert stored_key(participant) == "capek ayse  capek ayse"


def test_update_or_create_renaming_with_update_fields_updates_the_key():
    participant = ParticipantFactory(last_name="Dupont", first_name="Anne", email="a@example.org")

    Participant.objects.update_or_create(
        email="a@example.org", defaults={"last_name": "Le Gall", "first_name": "Anne"}
    )

    assert stored_key(participant) == "legall anne  le gall anne"


def test_save_of_other_fields_leaves_the_key_and_reads_no_name(django_assert_num_queries):
    participant = ParticipantFactory(last_name="Dupont", first_name="Anne")
    loaded = Participant.objects.only("pk", "phone").get(pk=participant.pk)

    with django_assert_num_queries(1):
        loaded.phone = "03 20 00 00 00"
        loaded.save(update_fields=["phone"])

    assert stored_key(participant) == "dupont anne  dupont anne"


def test_bulk_create_sets_the_keys():
    structure = StructureFactory()

    Participant.objects.bulk_create(
        [
            Participant(last_name="Nguyễn", first_name="Thị", structure=structure),
            Participant(last_name="Dvořák", first_name="Antonín", structure=structure),
        ]
    )

    assert sorted(Participant.objects.values_list("sort_key", flat=True)) == [
        "dvorak antonin  dvorak antonin",
        "nguyen thi  nguyen thi",
    ]


def test_bulk_update_of_names_updates_the_keys():
    participant = ParticipantFactory(last_name="Dupont", first_name="Anne")
    participant.last_name = "Œuvrard"

    Participant.objects.bulk_update([participant], ["last_name"])

    assert stored_key(participant) == "oeuvrard anne  oeuvrard anne"


def test_structure_sort_key_follows_its_name():
    structure = StructureFactory(name="Centre social L'Étoile")

    assert stored_key(structure) == "centresocialletoile  centre social l etoile"

    structure.name = "Étoile du Nord"
    structure.save(update_fields=["name"])

    assert stored_key(structure) == "etoiledunord  etoile du nord"


def test_key_of_a_name_expanding_under_compatibility_folding_is_cut_to_the_column():
    # U+FDFA (an Arabic ligature) decomposes into 18 letters: 120 of them would not fit.
    participant = ParticipantFactory(last_name="\ufdfa" * 120, first_name="Ali")

    assert len(stored_key(participant)) == SORT_KEY_MAX_LENGTH


def test_participants_import_sets_the_keys_of_people_and_new_structures():
    content = csv_bytes(
        [
            person(nom="ÖZTÜRK", prenom="Ayşe", email="ayse@example.org", structure="L'Étoile"),
            person(nom="Čapek", prenom="Karel", email="karel@example.org", structure="L'Étoile"),
        ]
    )

    report = import_participants(file_name="p.csv", content=content, actor=None, dry_run=False)

    assert report.applied
    assert list(Participant.objects.values_list("last_name", "sort_key")) == [
        ("Čapek", "capek karel  capek karel"),
        ("ÖZTÜRK", "ozturk ayse  ozturk ayse"),
    ]
    assert Structure.objects.get(name="L'Étoile").sort_key == "letoile  l etoile"


def test_migration_fills_the_keys_of_existing_rows():
    migration = importlib.import_module("formations.migrations.0002_participant_sort_key")
    participant = ParticipantFactory(last_name="Öztürk", first_name="Ayşe")
    Participant.objects.update(sort_key="")
    Structure.objects.filter(pk=participant.structure_id).update(name="Étoile", sort_key="")

    migration.fill_sort_keys(apps, None)

    assert stored_key(participant) == "ozturk ayse  ozturk ayse"
    assert stored_key(participant.structure) == "etoile  etoile"
