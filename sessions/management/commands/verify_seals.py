"""`manage.py verify_seals [--session CODE]`: recomputes every seal and rectification
and names each émargement changed behind the application's back.

Exit codes: 0 everything verifies, 1 anomalies found (listed), 2 unknown session code.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions.models import TrainingSession
from sessions.sealing import verify_everything, verify_sessions


class Command(BaseCommand):
    help = (
        "Recalcule les empreintes de scellement des demi-journées closes et signale tout "
        "émargement modifié, ajouté ou supprimé en dehors de l'application."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--session", metavar="CODE", help="Ne vérifier que cette session (son code)."
        )

    def handle(self, *args, session=None, **options):
        if session:
            found = TrainingSession.objects.filter(code=session).first()
            if found is None:
                raise CommandError(f"Session inconnue : {session}", returncode=2)
            report = verify_sessions([found])
        else:
            report = verify_everything()
        self.stdout.write(
            _("Vérifié : %(sessions)s, %(slots)s, %(records)s, %(rectifications)s.")
            % {
                "sessions": ngettext("%(n)s session", "%(n)s sessions", report.sessions)
                % {"n": report.sessions},
                "slots": ngettext(
                    "%(n)s demi-journée scellée", "%(n)s demi-journées scellées", report.slots
                )
                % {"n": report.slots},
                "records": ngettext("%(n)s émargement", "%(n)s émargements", report.records)
                % {"n": report.records},
                "rectifications": ngettext(
                    "%(n)s rectification", "%(n)s rectifications", report.rectifications
                )
                % {"n": report.rectifications},
            }
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("OK : tous les scellements sont intègres."))
            return
        lines = [str(problem) for problem in report.problems]
        for line in lines:
            self.stdout.write(self.style.ERROR(line))
        raise CommandError(
            ngettext(
                "%(n)s anomalie : des données scellées ont été modifiées hors de l'application.",
                "%(n)s anomalies : des données scellées ont été modifiées hors de l'application.",
                len(lines),
            )
            % {"n": len(lines)}
            + "\n"
            + "\n".join(lines),
            returncode=1,
        )
