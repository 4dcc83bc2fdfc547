import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.tabular import max_upload_bytes, too_large_message
from sessions.attendance_import import COLUMNS, check_file
from sessions.exceptions import SessionsError
from sessions.services.paper import check_scan_file, paper_sheets_import


def half_days(count: int) -> str:
    return ngettext("%(n)s demi-journée", "%(n)s demi-journées", count) % {"n": count}


class Command(BaseCommand):
    help = (
        "Saisit des feuilles d'émargement papier depuis un CSV ou un XLSX (colonnes : "
        + ", ".join(c.key for c in COLUMNS)
        + "). Tout ou rien : à la moindre erreur, rien n'est écrit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="Fichier CSV (UTF-8 ou Windows-1252, virgule ou point-virgule) ou XLSX "
            "(première feuille).",
        )
        parser.add_argument(
            "--scan",
            metavar="PATH",
            help="Scan de la feuille signée (PDF, JPEG ou PNG), joint comme preuve à chaque "
            "demi-journée concernée. "
            "Sans cette option, chaque demi-journée doit déjà avoir un scan.",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="Identifiant de la personne qui saisit (obligatoire).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Vérifie le fichier sans rien écrire."
        )

    def handle(self, *args, file, scan=None, actor=None, dry_run=False, **options):
        if not actor:
            raise CommandError(
                "--actor USERNAME est obligatoire : il désigne la personne enregistrée comme "
                "auteur de la saisie."
            )
        user = get_user_model().objects.filter(username=actor).first()
        if user is None:
            raise CommandError(f"Utilisateur·rice inconnu·e : « {actor} » (option --actor).")
        try:
            size = Path(file).stat().st_size
            if size > max_upload_bytes():
                raise CommandError(too_large_message(size))
            content = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Impossible de lire {file} : {exc.strerror or exc}.") from None

        scan_handle = None
        if scan:
            try:
                scan_handle = open(scan, "rb")  # noqa: SIM115 - closed in finally
            except OSError as exc:
                raise CommandError(
                    f"Impossible de lire le scan {scan} : {exc.strerror or exc}."
                ) from None
        try:
            scan_file = File(scan_handle, name=os.path.basename(scan)) if scan_handle else None
            if scan_file is not None:
                try:
                    check_scan_file(scan_file)
                except SessionsError as exc:
                    raise CommandError(f"Scan refusé ({scan}) : {exc.message}") from None

            check = check_file(
                content,
                file_name=os.path.basename(file),
                actor=user,
                scan_provided=scan_file is not None,
            )
            if not check.ok:
                raise CommandError(
                    "\n".join(
                        [
                            ngettext(
                                "%(n)s erreur : rien n'a été importé.",
                                "%(n)s erreurs : rien n'a été importé.",
                                len(check.errors),
                            )
                            % {"n": len(check.errors)}
                        ]
                        + [str(error) for error in check.errors]
                    )
                )
            by_slot = check.entries_by_slot()
            if dry_run:
                self.stdout.write(
                    _(
                        "Vérification réussie : %(lines)s sur %(slots)s. "
                        "Rien n'a été écrit (--dry-run)."
                    )
                    % {
                        "lines": ngettext(
                            "%(n)s ligne valide", "%(n)s lignes valides", len(check.lines)
                        )
                        % {"n": len(check.lines)},
                        "slots": half_days(len(by_slot)),
                    }
                )
                return
            try:
                attendances = paper_sheets_import(
                    entries_by_slot=by_slot, actor=user, scan_file=scan_file
                )
            except SessionsError as exc:
                where = ""
                for line in check.lines:
                    if line.enrolment == getattr(exc, "enrolment", None) and line.slot == getattr(
                        exc, "slot", None
                    ):
                        where = f"Ligne {line.line} : "
                raise CommandError(f"Rien n'a été importé. {where}{exc.message}") from None
        finally:
            if scan_handle:
                scan_handle.close()
        self.stdout.write(
            self.style.SUCCESS(
                _("%(attendances)s sur %(slots)s.")
                % {
                    "attendances": ngettext(
                        "%(n)s émargement saisi", "%(n)s émargements saisis", len(attendances)
                    )
                    % {"n": len(attendances)},
                    "slots": half_days(len(by_slot)),
                }
            )
        )
