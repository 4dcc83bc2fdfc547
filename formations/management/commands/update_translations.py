"""`python manage.py update_translations [--check]`: writes into the French catalogue every
plural message (`ngettext`, `{% blocktranslate count %}`) of the code and templates."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from formations.translations import SOURCE_FOLDERS, extract_plural_messages, update_catalogue


class Command(BaseCommand):
    help = (
        "Met à jour locale/fr/LC_MESSAGES/django.po : ajoute les messages au pluriel "
        "(ngettext, blocktranslate count) trouvés dans le code et les gabarits, retire ceux "
        "qui n'existent plus. Avec --check, n'écrit rien et échoue si le catalogue est en retard."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Vérifie sans écrire (code de sortie 1)."
        )

    def handle(self, *args, check=False, **options):
        root = Path(settings.BASE_DIR)
        po_path = root / "locale" / "fr" / "LC_MESSAGES" / "django.po"
        messages = extract_plural_messages(root, SOURCE_FOLDERS)
        if check:
            import tempfile

            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder) / "django.po"
                if po_path.exists():
                    copy.write_bytes(po_path.read_bytes())
                changes = update_catalogue(copy, messages)
            if changes["added"] or changes["removed"]:
                raise CommandError(
                    f"Catalogue en retard (à ajouter : {len(changes['added'])}, à retirer : "
                    f"{len(changes['removed'])}). Lancez manage.py update_translations."
                )
            self.stdout.write("Catalogue à jour.")
            return
        changes = update_catalogue(po_path, messages)
        self.stdout.write(
            f"{po_path.relative_to(root)} : messages au pluriel : {len(messages)} "
            f"(ajoutés : {len(changes['added'])}, retirés : {len(changes['removed'])})."
        )
