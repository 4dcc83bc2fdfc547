"""Installs the default questionnaires shipped with the application (evaluations.defaults):
the missing ones only, so a database that already has them keeps its own."""

from django.db import migrations

from evaluations.defaults import install_defaults


def install(apps, schema_editor):
    install_defaults(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0002_campaign_opens_at_follows_session"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
