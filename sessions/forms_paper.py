"""Forms of the paper fallback page: upload a scanned sheet, key in the statuses read from it."""

import copy
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.french import size_label
from sessions.forms_signing import MarkForm
from sessions.models import Attendance, Enrolment, PaperSheetScan, Slot
from sessions.presence import attendance_text, local_moment
from sessions.services.paper import SCAN_ACCEPT, PaperEntry


class PaperScanUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Scan ou photo de la feuille signée"),
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF, JPEG ou PNG, %(max)s au maximum. "
            "Sur téléphone, vous pouvez photographier la feuille."
        ) % {"max": size_label(settings.SUIVI_MAX_UPLOAD_BYTES)}


@dataclass
class KeyInRow:
    enrolment: Enrolment
    attendance: Attendance | None
    readonly: bool
    status: forms.BoundField | None = None
    arrival: forms.BoundField | None = None
    departure: forms.BoundField | None = None
    minutes_missed: forms.BoundField | None = None
    presence: str = ""

    @property
    def fields(self) -> list[forms.BoundField]:
        if self.status is None:
            return []
        return [self.status, self.arrival, self.departure, self.minutes_missed]

    @property
    def errors(self) -> list[str]:
        return [error for field in self.fields for error in field.errors]


class PaperKeyInForm(forms.Form):
    """Per enrolled participant whose half-day is not already signed: a status, and what
    the sheet says of a partial presence (arrival or departure time, or minutes missed),
    the same inputs as on the trainer's half-day page. Rows left on "—" are not keyed in."""

    STATUS_CHOICES = [("", gettext_lazy("— non saisi —")), *Attendance.Status.choices]

    scan = forms.ModelChoiceField(
        label=gettext_lazy("Feuille scannée d'où proviennent ces statuts"),
        queryset=PaperSheetScan.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args, slot: Slot, enrolments, attendances: dict, scans, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot = slot
        self.fields["scan"].queryset = scans
        self.fields["scan"].label_from_instance = self._scan_label
        self._rows: list[tuple[Enrolment, Attendance | None, bool]] = []
        template = MarkForm(slot=slot)
        for enrolment in enrolments:
            attendance = attendances.get(enrolment.pk)
            # Signed electronically by the person: never overwritten by a key-in. A row
            # keyed in earlier from paper may still be corrected until the slot is sealed.
            readonly = attendance is not None and bool(attendance.signature)
            self._rows.append((enrolment, attendance, readonly))
            if readonly:
                continue
            name = enrolment.participant.full_name
            initial = MarkForm.initial_for(attendance, slot)
            self.fields[f"status_{enrolment.pk}"] = forms.ChoiceField(
                label=_("Statut de %(name)s") % {"name": name},
                choices=self.STATUS_CHOICES,
                required=False,
                initial=initial.get("status", ""),
            )
            for name_part, label in (
                ("arrival", _("Heure d'arrivée de %(name)s")),
                ("departure", _("Heure de départ de %(name)s")),
                ("minutes_missed", _("Minutes manquées par %(name)s")),
            ):
                field = copy.deepcopy(template.fields[name_part])
                field.label = label % {"name": name}
                field.initial = initial.get(name_part)
                field.help_text = ""
                self.fields[f"{name_part}_{enrolment.pk}"] = field

    def _scan_label(self, scan: PaperSheetScan) -> str:
        uploaded = timezone.localtime(scan.uploaded_at, self.slot.session.tzinfo)
        return f"{scan.original_name} ({uploaded:%d/%m/%Y %H:%M})"

    @property
    def rows(self) -> list[KeyInRow]:
        rows = []
        for enrolment, attendance, readonly in self._rows:
            row = KeyInRow(
                enrolment=enrolment,
                attendance=attendance,
                readonly=readonly,
                presence=attendance_text(attendance, self.slot) if attendance else "",
            )
            if not readonly:
                row.status = self[f"status_{enrolment.pk}"]
                row.arrival = self[f"arrival_{enrolment.pk}"]
                row.departure = self[f"departure_{enrolment.pk}"]
                row.minutes_missed = self[f"minutes_missed_{enrolment.pk}"]
            rows.append(row)
        return rows

    def clean(self):
        cleaned = super().clean()
        chosen = sum(
            1
            for enrolment, _attendance, readonly in self._rows
            if not readonly and cleaned.get(f"status_{enrolment.pk}")
        )
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choisissez le statut d'au moins une personne."))
        return cleaned

    def entries(self) -> list[PaperEntry]:
        """One entry per row with a status; the service checks times and minutes."""
        entries = []
        for enrolment, _attendance, readonly in self._rows:
            if readonly:
                continue
            data = self.cleaned_data
            status = data.get(f"status_{enrolment.pk}")
            if not status:
                continue
            arrival = data.get(f"arrival_{enrolment.pk}")
            departure = data.get(f"departure_{enrolment.pk}")
            entries.append(
                PaperEntry(
                    enrolment=enrolment,
                    status=status,
                    arrived_at=local_moment(self.slot, arrival) if arrival else None,
                    left_at=local_moment(self.slot, departure) if departure else None,
                    minutes_missed=data.get(f"minutes_missed_{enrolment.pk}"),
                )
            )
        return entries

    def add_row_error(self, enrolment: Enrolment, message: str) -> None:
        field = f"status_{enrolment.pk}"
        self.add_error(field if field in self.fields else None, message)
