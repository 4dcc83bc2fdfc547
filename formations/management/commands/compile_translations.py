"""`python manage.py compile_translations [--force]`: builds the `.mo` files of LOCALE_PATHS
from their `.po` sources, in pure Python (no GNU gettext needed)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from formations.translations import compile_catalogues


class Command(BaseCommand):
    help = (
        "Compile les catalogues de traduction (.po → .mo) de LOCALE_PATHS, sans GNU gettext. "
        "Seuls les .mo absents ou plus anciens que leur .po sont reconstruits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Reconstruit tous les .mo, même à jour."
        )

    def handle(self, *args, force=False, **options):
        written = compile_catalogues(settings.LOCALE_PATHS, force=force)
        for path in written:
            self.stdout.write(f"Compilé : {path}")
        if not written and options["verbosity"] > 1:
            self.stdout.write("Catalogues déjà à jour.")
