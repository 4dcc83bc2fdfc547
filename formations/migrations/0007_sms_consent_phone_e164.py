# The consent box goes (its ticks are consent records since 0006), and participants'
# phones are stored in E.164 (formations.phones): each number is read the way the forms
# read it now (overseas prefixes, then the structure's territory or postal code, then
# France). A number that cannot be read is left as it is and listed on the console; the
# participant's form asks for a valid one at the next edit.

from django.db import migrations, models

import formations.phones


def phones_to_e164(apps, schema_editor):
    from formations.phones import PhoneError, is_e164, normalize_phone, region_for_structure

    Participant = apps.get_model("formations", "Participant")
    changed, unreadable = [], []
    for participant in Participant.objects.exclude(phone="").select_related("structure").iterator():
        if is_e164(participant.phone):
            continue
        try:
            participant.phone = normalize_phone(
                participant.phone, region=region_for_structure(participant.structure)
            )
        except PhoneError:
            unreadable.append(participant)
            continue
        changed.append(participant)
    Participant.objects.bulk_update(changed, ["phone"], batch_size=500)
    if changed or unreadable:
        print(
            f"\n  Téléphones des participant·es : {len(changed)} mis au format international, "
            f"{len(unreadable)} laissés tels quels (illisibles)."
        )
    for participant in unreadable:
        print(f"    participant·e n° {participant.pk} : « {participant.phone} »")


class Migration(migrations.Migration):
    dependencies = [
        ("formations", "0006_sms_consent_records"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="participant",
            name="contact_consent",
        ),
        migrations.RunPython(phones_to_e164, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="participant",
            name="phone",
            field=models.CharField(
                blank=True,
                max_length=30,
                validators=[formations.phones.validate_e164],
                verbose_name="téléphone",
            ),
        ),
    ]
