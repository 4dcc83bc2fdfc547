"""`python manage.py import_members STRUCTURE_ID FILE [--dry-run]`: the same service as
the page « Importer des adhérent·es » (`formations.members_import.import_members`).

Exit status 0 when the file is imported (or would be, with --dry-run); 1 (CommandError)
when the report holds an error, and then nothing is written."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from formations.members_import import Outcome, import_members
from formations.models import Structure
from formations.tabular import max_upload_bytes, too_large_message


class Command(BaseCommand):
    help = (
        "Inscrit les adhérent·es d'une structure depuis un fichier CSV ou XLSX (colonnes nom, "
        "prenom, email, telephone, date_naissance, adresse, code_postal, commune, type, "
        "groupes, consentement_sms, consentement_email). Tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("structure", type=int, metavar="STRUCTURE_ID")
        parser.add_argument("file", metavar="FICHIER", help=_("Fichier .csv ou .xlsx à importer."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Vérifie le fichier et affiche le rapport sans rien enregistrer."),
        )

    def handle(self, *args, structure, file, dry_run=False, **options):
        found = Structure.objects.filter(pk=structure).first()
        if found is None:
            raise CommandError(_("Structure n° %(id)s introuvable.") % {"id": structure})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": file})
        if path.stat().st_size > max_upload_bytes():
            raise CommandError(too_large_message(path.stat().st_size))
        report = import_members(
            structure=found,
            file_name=path.name,
            content=path.read_bytes(),
            actor=None,
            dry_run=dry_run,
        )
        if dry_run:
            self.stdout.write(_("Simulation (--dry-run) : rien ne sera enregistré."))
        for message in report.file_errors:
            self.stdout.write(self.style.ERROR(message))
        for message in report.file_warnings:
            self.stdout.write(self.style.WARNING(message))
        for name in report.new_groups:
            self.stdout.write(_("Groupe nouveau : %(name)s") % {"name": name})
        for line in report.lines:
            parts = [
                _("Ligne %(number)s : %(outcome)s")
                % {"number": line.line_number, "outcome": line.outcome_label},
                line.full_name,
                *line.errors,
            ]
            text = " — ".join(part for part in parts if part)
            self.stdout.write(self.style.ERROR(text) if line.outcome == Outcome.ERROR else text)
        if report.has_errors:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
