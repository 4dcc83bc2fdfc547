"""Paper scans move from the public media storage (MEDIA_ROOT) to the private documents
storage (STORAGES["documents"]): same names, bytes checked against the recorded SHA-256
before the original is removed."""

import hashlib

import formations.storage
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import migrations, models


def _move(apps, source, target):
    PaperSheetScan = apps.get_model("training_sessions", "PaperSheetScan")
    for scan in PaperSheetScan.objects.exclude(file="").only("pk", "file", "sha256").iterator():
        name = scan.file.name
        if not source.exists(name) or target.exists(name):
            continue
        with source.open(name, "rb") as handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != scan.sha256:
            # Not the scan that was registered: left where it is, for someone to look at.
            continue
        saved = target.save(name, ContentFile(content))
        if saved != name:  # pragma: no cover - the target had no such name a moment ago
            target.delete(saved)
            continue
        source.delete(name)


def to_documents(apps, schema_editor):
    _move(apps, storages["default"], storages["documents"])


def to_media(apps, schema_editor):
    _move(apps, storages["documents"], storages["default"])


class Migration(migrations.Migration):
    dependencies = [
        ("training_sessions", "0007_calendar_sequence_time_zone_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="papersheetscan",
            name="file",
            field=models.FileField(
                storage=formations.storage.documents_storage,
                upload_to="paper_sheets/%Y/%m/",
                verbose_name="fichier",
            ),
        ),
        migrations.RunPython(to_documents, to_media, elidable=False),
    ]
