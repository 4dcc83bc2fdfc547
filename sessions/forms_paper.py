"""Forms of the paper fallback page: upload a scanned sheet, key in the statuses read from it."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions.models import Attendance, Enrolment, PaperSheetScan, Slot
from sessions.services.paper import SCAN_ACCEPT


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
        ) % {"max": filesizeformat(settings.SUIVI_MAX_UPLOAD_BYTES)}


@dataclass
class KeyInRow:
    enrolment: Enrolment
    attendance: Attendance | None
    readonly: bool
    status: forms.BoundField | None = None
    minutes: forms.BoundField | None = None

    @property
    def errors(self) -> list[str]:
        if self.status is None:
            return []
        return [*self.status.errors, *self.minutes.errors]


class PaperKeyInForm(forms.Form):
    """One status select and one minutes input per enrolled participant whose half-day is
    not already signed; rows left on "—" are not keyed in."""

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
        for enrolment in enrolments:
            attendance = attendances.get(enrolment.pk)
            # Signed electronically by the person: never overwritten by a key-in. A row
            # keyed in earlier from paper may still be corrected until the slot is sealed.
            readonly = attendance is not None and bool(attendance.signature)
            self._rows.append((enrolment, attendance, readonly))
            if readonly:
                continue
            name = enrolment.participant.full_name
            self.fields[f"status_{enrolment.pk}"] = forms.ChoiceField(
                label=_("Statut de %(name)s") % {"name": name},
                choices=self.STATUS_CHOICES,
                required=False,
                initial=attendance.status if attendance else "",
            )
            self.fields[f"minutes_{enrolment.pk}"] = forms.IntegerField(
                label=_("Minutes de présence de %(name)s") % {"name": name},
                required=False,
                min_value=1,
                max_value=max(slot.planned_minutes - 1, 1),
                initial=attendance.minutes_attended if attendance else None,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def _scan_label(self, scan: PaperSheetScan) -> str:
        uploaded = timezone.localtime(scan.uploaded_at, self.slot.session.tzinfo)
        return f"{scan.original_name} ({uploaded:%d/%m/%Y %H:%M})"

    @property
    def rows(self) -> list[KeyInRow]:
        rows = []
        for enrolment, attendance, readonly in self._rows:
            row = KeyInRow(enrolment=enrolment, attendance=attendance, readonly=readonly)
            if not readonly:
                row.status = self[f"status_{enrolment.pk}"]
                row.minutes = self[f"minutes_{enrolment.pk}"]
            rows.append(row)
        return rows

    def clean(self):
        cleaned = super().clean()
        chosen = 0
        for enrolment, _attendance, readonly in self._rows:
            if readonly:
                continue
            status = cleaned.get(f"status_{enrolment.pk}")
            minutes_field = f"minutes_{enrolment.pk}"
            if not status:
                continue
            chosen += 1
            if status in Attendance.PARTIAL_STATUSES and cleaned.get(minutes_field) is None:
                if minutes_field not in self.errors:
                    self.add_error(
                        minutes_field,
                        _("Indiquez les minutes de présence (retard ou départ anticipé)."),
                    )
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choisissez le statut d'au moins une personne."))
        return cleaned

    def entries(self) -> list[tuple[Enrolment, str, int | None]]:
        entries = []
        for enrolment, _attendance, readonly in self._rows:
            if readonly:
                continue
            status = self.cleaned_data.get(f"status_{enrolment.pk}")
            if not status:
                continue
            minutes = None
            if status in Attendance.PARTIAL_STATUSES:
                minutes = self.cleaned_data.get(f"minutes_{enrolment.pk}")
            entries.append((enrolment, status, minutes))
        return entries

    def add_row_error(self, enrolment: Enrolment, message: str) -> None:
        field = f"status_{enrolment.pk}"
        self.add_error(field if field in self.fields else None, message)
