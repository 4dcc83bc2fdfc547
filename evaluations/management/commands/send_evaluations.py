"""`python manage.py send_evaluations [--dry-run]`: the evaluations alone — launches the
campaigns due, sends the invitations not sent yet and the reminders due, each once
(`evaluations.sending.send_due`, which `run_periodic` also runs every five minutes).
``--dry-run`` lists what would go and writes nothing."""

from django.core.management.base import BaseCommand

from evaluations.sending import send_due


class Command(BaseCommand):
    help = (
        "Envoie les évaluations dues : lance les campagnes arrivées à leur date, envoie les "
        "invitations et les relances (--dry-run : liste sans rien envoyer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Liste ce qui partirait, sans rien écrire ni envoyer.",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        report = send_due(dry_run=dry_run)
        if dry_run or options["verbosity"] >= 2:
            for line in report.lines:
                self.stdout.write(line)
        prefix = "Simulation : " if dry_run else ""
        self.stdout.write(
            f"{prefix}{report.launched} campagne(s) lancée(s), "
            f"{report.invitations_written} invitation(s) créée(s), "
            f"{report.sent_email} envoyée(s) par e-mail, {report.sent_sms} par SMS, "
            f"{report.no_contact} sans coordonnées, {report.reminders} relance(s)."
        )
