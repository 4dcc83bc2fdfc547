"""`python manage.py import_participants FILE [--dry-run]`: the same service as the page.

Exit status 0 when the file is imported (or would be, with --dry-run), warnings included;
1 (CommandError) when the report holds an error, and then nothing is written."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from formations.importing import ImportReport, Outcome, import_participants
from formations.tabular import max_upload_bytes, too_large_message


class Command(BaseCommand):
    help = (
        "Importe des participant·es depuis un fichier CSV (UTF-8 ou Windows-1252, séparateur "
        "virgule ou point-virgule) ou XLSX. Tout ou rien : à la moindre erreur, rien n'est "
        "enregistré ; les avertissements (doublon identique, type de structure inconnu…) "
        "n'empêchent pas l'import."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help=_("Fichier .csv ou .xlsx à importer."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Vérifie le fichier et affiche le rapport sans rien enregistrer."),
        )

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": file})
        size = path.stat().st_size
        if size > max_upload_bytes():
            raise CommandError(too_large_message(size))
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Lecture impossible de %(path)s : %(error)s") % {"path": file, "error": exc}
            ) from exc

        report = import_participants(
            file_name=path.name, content=content, actor=None, dry_run=dry_run
        )
        self.print_report(report)
        if report.has_errors:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def print_report(self, report: ImportReport) -> None:
        out = self.stdout
        out.write(_("Fichier : %(name)s") % {"name": report.file_name})
        if report.dry_run:
            out.write(_("Simulation (--dry-run) : rien ne sera enregistré."))
        for message in report.file_errors:
            out.write(self.style.ERROR(_("Erreur de fichier : %(message)s") % {"message": message}))
        for message in report.file_warnings:
            out.write(self.style.WARNING(_("Avertissement : %(message)s") % {"message": message}))
        for line in report.lines:
            head = _("Ligne %(number)s : %(outcome)s") % {
                "number": line.line_number,
                "outcome": line.outcome_label,
            }
            who = line.full_name
            if line.structure_name:
                who = f"{who} ({line.structure_name})"
            parts = [head, who] if who.strip() else [head]
            parts.extend(line.messages)
            if line.existing is not None and line.existing_url:
                parts.append(settings.SUIVI_BASE_URL.rstrip("/") + line.existing_url)
            if line.participant is not None:
                parts.append(_("n° %(id)s") % {"id": line.participant.pk})
            text = " — ".join(parts)
            if line.outcome == Outcome.ERROR:
                text = self.style.ERROR(text)
            out.write(text)
            for warning in line.warnings:
                out.write(
                    self.style.WARNING(
                        "    ! " + _("Avertissement : %(message)s") % {"message": warning}
                    )
                )
        if report.structures_to_create and not report.has_errors:
            title = _("Structures créées :") if report.applied else _("Structures à créer :")
            out.write(title)
            for planned in report.structures_to_create:
                lines = ", ".join(str(n) for n in planned.line_numbers)
                details = [planned.kind_display]
                if planned.kind_label:
                    details.append(_("type déclaré « %(label)s »") % {"label": planned.kind_label})
                if planned.commune:
                    details.append(planned.commune)
                out.write(
                    f"  - {planned.name} ({', '.join(details)}) — "
                    + _("lignes %(lines)s") % {"lines": lines}
                )
