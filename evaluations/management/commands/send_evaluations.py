"""`python manage.py send_evaluations [--dry-run]`: the evaluations alone — launches the
campaigns due, sends the invitations not sent yet and the reminders due, each once
(`evaluations.sending.send_due`, which `run_periodic` also runs every five minutes).
``--dry-run`` lists what would go and writes nothing."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
        self.stdout.write(summary(report, dry_run=dry_run))


def summary(report, *, dry_run: bool) -> str:
    """The closing line, in French with its plurals. The messages are put in the outbox,
    which the background worker (`db_worker`) delivers: none is sent here."""
    n = {
        "launched": report.launched,
        "written": report.invitations_written,
        "email": report.sent_email,
        "sms": report.sent_sms,
        "no_contact": report.no_contact,
        "reminders": report.reminders,
    }
    parts = [
        ngettext("%(launched)s campagne lancée", "%(launched)s campagnes lancées", n["launched"]),
        ngettext("%(written)s invitation créée", "%(written)s invitations créées", n["written"]),
        ngettext(
            "%(email)s invitation mise dans la file d'envoi par e-mail et %(sms)s par SMS",
            "%(email)s invitations mises dans la file d'envoi par e-mail et %(sms)s par SMS",
            n["email"],
        ),
        ngettext(
            "%(no_contact)s personne sans coordonnées",
            "%(no_contact)s personnes sans coordonnées",
            n["no_contact"],
        ),
        ngettext(
            "%(reminders)s relance mise dans la file d'envoi",
            "%(reminders)s relances mises dans la file d'envoi",
            n["reminders"],
        ),
    ]
    text = ", ".join(part % n for part in parts) + "."
    return _("Simulation : %(summary)s") % {"summary": text} if dry_run else text
