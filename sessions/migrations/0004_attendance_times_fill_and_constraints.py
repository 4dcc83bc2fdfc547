"""Fills the times and signer's name of rows recorded before 0003, then ties each partial
status to its times.

Rows recorded before get their times from what they stored (minutes attended: a late
arrival came `planned − attended` minutes after the start, an early departure left that
long before the end) and their signer's name and structure as they are now, the best
known. Data and constraints are apart from 0003's schema changes so that PostgreSQL never
alters a table with updates pending in the same transaction.
"""

import datetime as dt

from django.db import migrations, models

FIELDS = ["arrived_at", "left_at", "signer_name", "signer_structure"]


def fill_times_and_names(apps, schema_editor):
    Attendance = apps.get_model("training_sessions", "Attendance")
    rows = Attendance.objects.select_related("slot", "enrolment__participant__structure")
    changed = []
    for row in rows.iterator(chunk_size=2000):
        planned = int((row.slot.ends_at - row.slot.starts_at).total_seconds() // 60)
        if row.status in ("late", "left_early") and row.minutes_attended is not None:
            missed = max(1, min(planned - 1, planned - row.minutes_attended))
            if row.status == "late":
                row.arrived_at = row.slot.starts_at + dt.timedelta(minutes=missed)
            else:
                row.left_at = row.slot.ends_at - dt.timedelta(minutes=missed)
        participant = row.enrolment.participant
        row.signer_name = f"{participant.last_name.upper()} {participant.first_name}"[:255]
        row.signer_structure = participant.structure.name[:200]
        changed.append(row)
        if len(changed) >= 2000:
            Attendance.objects.bulk_update(changed, FIELDS)
            changed = []
    if changed:
        Attendance.objects.bulk_update(changed, FIELDS)


PARTIAL = ["late", "left_early", "late_left_early"]
ARRIVAL = ["late", "late_left_early"]
DEPARTURE = ["left_early", "late_left_early"]


class Migration(migrations.Migration):
    dependencies = [("training_sessions", "0003_attendance_times_and_seal_v2")]

    operations = [
        migrations.RunPython(fill_times_and_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.CheckConstraint(
                condition=~models.Q(status__in=PARTIAL) | models.Q(minutes_attended__isnull=False),
                name="attendance_partial_has_minutes",
            ),
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.CheckConstraint(
                condition=models.Q(status__in=ARRIVAL, arrived_at__isnull=False)
                | models.Q(~models.Q(status__in=ARRIVAL), arrived_at__isnull=True),
                name="attendance_arrival_iff_late",
            ),
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.CheckConstraint(
                condition=models.Q(status__in=DEPARTURE, left_at__isnull=False)
                | models.Q(~models.Q(status__in=DEPARTURE), left_at__isnull=True),
                name="attendance_departure_iff_left_early",
            ),
        ),
    ]
