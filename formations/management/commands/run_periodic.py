"""`python manage.py run_periodic`: enqueue what has fallen due (cron, every five minutes).

    */5 * * * * cd /srv/suivi && .venv/bin/python manage.py run_periodic --verbosity 0

Idempotent: a job already run in its slot (the current minute for the outbox) is skipped.
"""

from django.core.management.base import BaseCommand

from formations.periodic import run_periodic


class Command(BaseCommand):
    help = "Met en file ce qui est dû : envois à (re)tenter, puis les tâches des autres modules."

    def handle(self, *args, **options):
        failed = False
        for outcome in run_periodic():
            if not outcome.ran:
                line = f"{outcome.name} : déjà passé dans ce créneau"
            elif outcome.error:
                failed = True
                line = f"{outcome.name} : ERREUR {outcome.error}"
            else:
                details = ", ".join(f"{k}={v}" for k, v in (outcome.result or {}).items())
                line = f"{outcome.name} : fait ({details or 'rien'})"
            if options["verbosity"] >= 1 or outcome.error:
                self.stdout.write(line)
        if failed:
            raise SystemExit(1)
