"""Arrival and departure times, the signer's name at signing, and version 2 seals.
Seals made before keep version 1: their digests never covered these fields, so they still
verify. 0004 fills the new fields of existing rows and adds their constraints."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('training_sessions', '0002_session_code_charset'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='attendance',
            name='attendance_partial_has_minutes',
        ),
        migrations.AddField(
            model_name='attendance',
            name='arrived_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='arrivée'),
        ),
        migrations.AddField(
            model_name='attendance',
            name='left_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='départ'),
        ),
        migrations.AddField(
            model_name='attendance',
            name='signer_name',
            field=models.CharField(blank=True, max_length=255, verbose_name='nom à la signature'),
        ),
        migrations.AddField(
            model_name='attendance',
            name='signer_structure',
            field=models.CharField(blank=True, max_length=200, verbose_name='structure à la signature'),
        ),
        migrations.AddField(
            model_name='seal',
            name='sealed_slot',
            field=models.JSONField(blank=True, null=True, verbose_name='demi-journée scellée'),
        ),
        migrations.AddField(
            model_name='seal',
            name='version',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='format'),
        ),
        migrations.AlterField(
            model_name='seal',
            name='version',
            field=models.PositiveSmallIntegerField(default=2, verbose_name='format'),
        ),
        migrations.AlterField(
            model_name='attendance',
            name='method',
            field=models.CharField(choices=[('tablet', 'Tablette du formateur'), ('qr_code', 'QR code sur son téléphone'), ('remote_link', 'Lien personnel à distance'), ('paper', 'Feuille papier saisie'), ('trainer', 'Relevé par le formateur'), ('closing', 'Constaté à la clôture')], max_length=20, verbose_name='mode de recueil'),
        ),
        migrations.AlterField(
            model_name='attendance',
            name='status',
            field=models.CharField(choices=[('present', 'Présent·e'), ('late', 'Retard'), ('left_early', 'Départ anticipé'), ('late_left_early', 'Retard et départ anticipé'), ('absent_excused', 'Absent·e excusé·e'), ('absent', 'Absent·e')], max_length=20, verbose_name='statut'),
        ),
    ]
