"""`manage.py export_justificatifs --formation REF --out FILE.zip [--from DATE --to DATE]`:
writes a formation's audit pack (`livrables.pack`) and registers it as an issued
document (« Dossier de justificatifs »), exactly as the formation page's button does.

The ZIP is written to a temporary file beside FILE.zip and renamed once complete and
registered: no half-written ZIP is ever left at FILE.zip. Dates as JJ/MM/AAAA or
AAAA-MM-JJ, both bounds included (the half-days whose local date is within them).

Exit codes: 0 written, 2 bad arguments (unknown reference, bad or reversed dates,
unwritable destination, a period with no sealed half-day), 1 the pack could not be built.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from formations.french import size_label
from formations.models import Formation
from livrables.exceptions import LivrablesError
from livrables.pack.registry import PackScope
from livrables.pack.services import build_audit_pack, check_scope

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def parse_date(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise CommandError(
        _("Date invalide pour %(option)s : « %(value)s » (attendu JJ/MM/AAAA ou AAAA-MM-JJ).")
        % {"option": option, "value": value},
        returncode=2,
    )


class Command(BaseCommand):
    help = (
        "Constitue le dossier de justificatifs d'une formation (ZIP vérifiable hors de "
        "l'application) et l'inscrit au registre des documents émis."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--formation", metavar="REF", required=True, help="Référence du marché."
        )
        parser.add_argument("--out", metavar="FICHIER.zip", required=True, help="Fichier écrit.")
        parser.add_argument(
            "--from", dest="date_from", metavar="DATE", help="Début de la période (incluse)."
        )
        parser.add_argument(
            "--to", dest="date_to", metavar="DATE", help="Fin de la période (incluse)."
        )

    def handle(self, *args, formation, out, date_from=None, date_to=None, **options):
        found = (
            Formation.objects.select_related("programme")
            .filter(contract_reference=formation)
            .first()
        )
        if found is None:
            raise CommandError(
                _("Formation inconnue : aucune référence de marché « %(ref)s ».")
                % {"ref": formation},
                returncode=2,
            )
        start = parse_date(date_from, "--from")
        end = parse_date(date_to, "--to")
        try:
            check_scope(PackScope(formation=found, date_from=start, date_to=end))
        except LivrablesError as error:
            raise CommandError(error.message, returncode=2) from None
        destination = Path(out).expanduser()
        folder = destination.parent.resolve() if str(destination.parent) else Path.cwd()
        if destination.is_dir():
            raise CommandError(
                _("%(path)s est un dossier : indiquez le nom du fichier ZIP à écrire.")
                % {"path": destination},
                returncode=2,
            )
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise CommandError(
                _("Impossible d'écrire dans %(folder)s : dossier absent ou protégé en écriture.")
                % {"folder": folder},
                returncode=2,
            )
        try:
            handle = tempfile.NamedTemporaryFile(
                mode="w+b", dir=folder, prefix=f".{destination.name}.", suffix=".part", delete=False
            )
        except OSError as error:
            raise CommandError(
                _("Impossible d'écrire dans %(folder)s : %(error)s")
                % {"folder": folder, "error": error.strerror or error},
                returncode=2,
            ) from None
        try:
            with handle:
                built = build_audit_pack(
                    scope=PackScope(formation=found, date_from=start, date_to=end),
                    actor=None,
                    output=handle,
                )
            os.replace(handle.name, destination)
        except LivrablesError as error:
            Path(handle.name).unlink(missing_ok=True)
            raise CommandError(error.message, returncode=1) from None
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        document = built.document
        self.stdout.write(
            _("Dossier n° %(number)s écrit dans %(path)s (%(size)s, %(files)s fichiers).")
            % {
                "number": document.number,
                "path": destination,
                "size": size_label(document.size),
                "files": built.outcome.written + 1,
            }
        )
        self.stdout.write(_("SHA-256 : %(sha)s") % {"sha": document.sha256})
        for path, _section, reason in built.outcome.left_out:
            self.stdout.write(
                self.style.WARNING(
                    _("Non inclus : %(path)s — %(reason)s") % {"path": path, "reason": reason}
                )
            )
