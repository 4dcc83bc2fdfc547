"""Forms of the expenses pages: they shape the input; the service decides (amounts,
receipt content, scope)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.forms import DateInput, FieldsetsMixin
from livrables.models_expenses import Expense
from livrables.selectors_expenses import formation_missions, formation_sessions

RECEIPT_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _amount(label):
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ExpenseForm(FieldsetsMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    category = forms.ChoiceField(label=_("Catégorie"), choices=Expense.Category.choices)
    description = forms.CharField(label=_("Description"), max_length=255)
    attached_to = forms.ChoiceField(
        label=_("Session ou mission"),
        required=False,
        help_text=_("La session ou la mission à laquelle la dépense se rattache."),
    )
    amount_ht = _amount(_("Montant HT (€)"))
    vat = _amount(_("TVA (€)"))
    amount_ttc = _amount(_("Montant TTC (€)"))
    paid_by = forms.CharField(
        label=_("Payé par"),
        max_length=200,
        help_text=_("Ex. : l'organisme (carte de l'association), la formatrice (à rembourser)."),
    )
    receipt = forms.FileField(
        label=_("Justificatif (PDF, JPEG ou PNG, 10 Mo au plus)"),
        widget=forms.ClearableFileInput(attrs={"accept": RECEIPT_ACCEPT}),
    )

    fieldsets = [
        (_("Dépense"), ("date", "category", "description", "attached_to", "paid_by")),
        (_("Montants"), ("amount_ht", "vat", "amount_ttc")),
        (_("Justificatif"), ("receipt",)),
    ]

    def __init__(self, *args, formation, expense: Expense | None = None, **kwargs):
        if expense is not None:
            kwargs.setdefault(
                "initial",
                {
                    "date": expense.date,
                    "category": expense.category,
                    "description": expense.description,
                    "attached_to": (
                        f"s{expense.session_id}"
                        if expense.session_id
                        else f"m{expense.mission_id}"
                        if expense.mission_id
                        else ""
                    ),
                    "amount_ht": expense.amount_ht,
                    "vat": expense.vat,
                    "amount_ttc": expense.amount_ttc,
                    "paid_by": expense.paid_by,
                },
            )
        super().__init__(*args, **kwargs)
        self.sessions = {f"s{s.pk}": s for s in formation_sessions(formation=formation)}
        self.missions = {f"m{m.pk}": m for m in formation_missions(formation=formation)}
        choices = [("", _("Hors mission"))]
        if self.sessions:
            choices.append((_("Sessions"), [(key, s.code) for key, s in self.sessions.items()]))
        if self.missions:
            choices.append(
                (
                    _("Missions"),
                    [
                        (key, f"{m.name} ({m.start_date:%d/%m/%Y})")
                        for key, m in self.missions.items()
                    ],
                )
            )
        self.fields["attached_to"].choices = choices
        if expense is not None:
            self.fields["receipt"].required = False
            self.fields["receipt"].help_text = _(
                "Laissez vide pour garder le justificatif déposé (%(name)s)."
            ) % {"name": expense.receipt_original_name}

    def service_fields(self) -> dict:
        data = self.cleaned_data
        key = data["attached_to"]
        return {
            "date": data["date"],
            "category": data["category"],
            "description": data["description"],
            "session": self.sessions.get(key),
            "mission": self.missions.get(key),
            "amount_ht": data["amount_ht"],
            "vat": data["vat"],
            "amount_ttc": data["amount_ttc"],
            "paid_by": data["paid_by"],
        }


class MissionForm(FieldsetsMixin, forms.Form):
    name = forms.CharField(label=_("Intitulé"), max_length=200)
    start_date = forms.DateField(label=_("Du"), widget=DateInput())
    end_date = forms.DateField(label=_("Au"), widget=DateInput())
    place = forms.CharField(label=_("Lieu"), max_length=255, required=False)
