"""Forms of the expected deliverables' pages: they shape the input; the services decide
(due dates, file contents, who may decide)."""

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.forms import DateInput, FieldsetsMixin
from livrables.models_deliverables import ExpectedDeliverable

VERSION_ACCEPT = ".pdf,.docx,.odt,.pptx,.odp"
MESSAGE_ACCEPT = ".pdf,.eml,.msg,.jpg,.jpeg,.png"


def parse_dates(text: str) -> list[dt.date]:
    """Dates typed one per line or separated by commas / semicolons, as 31/03/2026 or
    2026-03-31. Raises ValidationError naming the first one not understood."""
    dates = []
    for piece in re.split(r"[\n,;]+", text or ""):
        piece = piece.strip()
        if not piece:
            continue
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
            try:
                dates.append(dt.datetime.strptime(piece, pattern).date())
                break
            except ValueError:
                continue
        else:
            raise forms.ValidationError(
                _("« %(value)s » n'est pas une date (écrivez par exemple 31/03/2026)."),
                params={"value": piece},
                code="bad_date",
            )
    return sorted(set(dates))


class DeliverableForm(FieldsetsMixin, forms.Form):
    title = forms.CharField(
        label=_("Intitulé"),
        max_length=200,
        help_text=_("Ex. : Récit collectif bimestriel."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ce que le marché attend de ce document."),
    )
    rhythm = forms.ChoiceField(
        label=_("Rythme"),
        choices=ExpectedDeliverable.Rhythm.choices,
        help_text=_(
            "Les périodes suivent le calendrier (bimestres janvier–février, mars–avril… ; "
            "semestres ; années civiles), coupées par la période d'exécution de la "
            "formation ; chacune est due à son dernier jour, plus le délai de remise."
        ),
    )
    lead_days = forms.IntegerField(
        label=_("Délai de remise après la fin de chaque période (jours)"),
        min_value=0,
        max_value=365,
        required=False,
        initial=0,
        help_text=_("0 : dû le dernier jour de la période. Sans effet pour des dates données."),
    )
    given_dates = forms.CharField(
        label=_("Dates d'échéance (rythme « à des dates données »)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Une date par ligne, par exemple 31/03/2026 ; seulement pour ce rythme, dans la "
            "période d'exécution de la formation."
        ),
    )

    fieldsets = [
        (_("Livrable"), ("title", "description")),
        (_("Échéances"), ("rhythm", "lead_days", "given_dates")),
    ]

    def __init__(self, *args, deliverable: ExpectedDeliverable | None = None, **kwargs):
        if deliverable is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": deliverable.title,
                    "description": deliverable.description,
                    "rhythm": deliverable.rhythm,
                    "lead_days": deliverable.lead_days,
                    "given_dates": "\n".join(
                        f"{day:%d/%m/%Y}" for day in deliverable.given_date_values
                    ),
                },
            )
        super().__init__(*args, **kwargs)

    def clean_given_dates(self):
        return parse_dates(self.cleaned_data.get("given_dates", ""))

    def clean(self):
        data = super().clean()
        if (
            data.get("rhythm") == ExpectedDeliverable.Rhythm.GIVEN_DATES
            and "given_dates" in data
            and not data["given_dates"]
        ):
            self.add_error("given_dates", _("Indiquez au moins une date d'échéance."))
        if (
            data.get("rhythm")
            and data.get("rhythm") != ExpectedDeliverable.Rhythm.GIVEN_DATES
            and data.get("given_dates")
        ):
            # Dates typed for another rhythm would be dropped without a word.
            self.add_error(
                "given_dates",
                _(
                    "Des dates d'échéance ne servent qu'au rythme « à des dates données » : "
                    "choisissez ce rythme, ou effacez les dates."
                ),
            )
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "rhythm": data["rhythm"],
            "lead_days": data.get("lead_days") or 0,
            "given_dates": data.get("given_dates") or [],
        }


class VersionForm(FieldsetsMixin, forms.Form):
    file = forms.FileField(
        label=_("Fichier du livrable (PDF, DOCX, ODT, PPTX ou ODP, 10 Mo au plus)"),
        widget=forms.ClearableFileInput(attrs={"accept": VERSION_ACCEPT}),
    )


class DecisionForm(FieldsetsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision du financeur"),
        choices=[("validated", _("Validé")), ("to_rework", _("À reprendre"))],
        widget=forms.RadioSelect,
    )
    funder = forms.ModelChoiceField(
        label=_("Financeur"),
        queryset=None,
        error_messages={"required": _("Choisissez le financeur qui a décidé.")},
    )
    decided_on = forms.DateField(
        label=_("Date de la décision"),
        widget=DateInput(),
        help_text=_("La date du message du financeur (pas avant le dépôt de la version)."),
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Obligatoire pour « à reprendre » : ce qui est à reprendre."),
    )
    message_file = forms.FileField(
        label=_("Message du financeur (PDF, e-mail .eml ou .msg, image JPEG ou PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": MESSAGE_ACCEPT}),
    )
    message_text = forms.CharField(
        label=_("Ou le texte du message du financeur"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Collez le courriel reçu, avec son expéditeur et sa date."),
    )

    fieldsets = [
        (_("Décision"), ("decision", "funder", "decided_on", "comment")),
        (_("Message du financeur"), ("message_file", "message_text")),
    ]

    def __init__(self, *args, funders, auditor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the funders of the formation's programme (the auditor's own among them):
        # the one funder preselected, a choice required among several.
        self.fields["funder"].queryset = funders
        only = list(funders[:2])
        if len(only) == 1:
            self.fields["funder"].initial = only[0].pk
            self.fields["funder"].empty_label = None
        self.fields["decided_on"].initial = timezone.localdate
        if auditor:
            # The auditor's own account is the funder's word, dated now: no message to
            # attach, no date to give.
            del self.fields["message_file"]
            del self.fields["message_text"]
            del self.fields["decided_on"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == "to_rework" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Dites ce qui est à reprendre."))
        return data


class DiffuseForm(FieldsetsMixin, forms.Form):
    diffused_on = forms.DateField(
        label=_("Date de la diffusion"),
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=_("Pas avant la validation par le financeur, ni dans le futur."),
    )
