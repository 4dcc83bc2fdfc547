"""Counters for the formations whose expenses were numbered before `ExpenseNumbering`
existed (0010): without one, deleting their last expense would let its n° be given again."""

from django.db import migrations
from django.db.models import Max


def seed(apps, schema_editor):
    Expense = apps.get_model("livrables", "Expense")
    ExpenseNumbering = apps.get_model("livrables", "ExpenseNumbering")
    highest = (
        Expense.objects.exclude(formation__expense_numbering__isnull=False)
        .values("formation_id")
        .annotate(last=Max("number"))
    )
    ExpenseNumbering.objects.bulk_create(
        ExpenseNumbering(formation_id=row["formation_id"], last_number=row["last"])
        for row in highest
    )


class Migration(migrations.Migration):
    dependencies = [
        ("livrables", "0014_claims_payments_updated_at"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
