"""`python manage.py remind_intersession_tasks [--dry-run]`: the reminders of intersession
tasks alone — one e-mail to the structure's referents `SUIVI_TASK_REMINDER_DAYS` days
before each open task's due date, once per task (`projects.reminders_tasks.remind_tasks`,
which `run_periodic` also runs once a day). ``--dry-run`` lists what would go and writes
nothing."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.reminders_tasks import remind_tasks


class Command(BaseCommand):
    help = (
        "Envoie aux référent·es des structures le rappel des travaux d'intersession à rendre "
        "bientôt (--dry-run : liste sans rien envoyer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Liste ce qui partirait, sans rien écrire ni envoyer.",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        report = remind_tasks(dry_run=dry_run)
        if dry_run or options["verbosity"] >= 2:
            for line in report.lines:
                self.stdout.write(line)
        self.stdout.write(summary(report, dry_run=dry_run))


def summary(report, *, dry_run: bool) -> str:
    """The closing line, in French with its plurals. The messages are put in the outbox,
    which the background worker delivers: none is sent here."""
    n = {"reminded": report.reminded, "messages": report.messages, "none": report.no_recipient}
    parts = [
        ngettext(
            "%(reminded)s travail rappelé",
            "%(reminded)s travaux rappelés",
            n["reminded"],
        ),
        ngettext(
            "%(messages)s e-mail mis dans la file d'envoi",
            "%(messages)s e-mails mis dans la file d'envoi",
            n["messages"],
        ),
        ngettext(
            "%(none)s travail sans référent·e à qui l'envoyer",
            "%(none)s travaux sans référent·e à qui l'envoyer",
            n["none"],
        ),
    ]
    text = ", ".join(part % n for part in parts) + "."
    return _("Simulation : %(summary)s") % {"summary": text} if dry_run else text
