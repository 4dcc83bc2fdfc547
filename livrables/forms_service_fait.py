"""Forms of the « Service fait » panel: the period of the statement, a claim, a payment."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.forms import DateInput, FieldsetsMixin
from livrables.pdf.service_fait import euros


class PeriodForm(forms.Form):
    du = forms.DateField(label=gettext_lazy("Du"), widget=DateInput())
    au = forms.DateField(label=gettext_lazy("Au"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError(
                _("La période est inversée : la date de début suit la date de fin.")
            )
        return data


class ClaimForm(FieldsetsMixin, forms.Form):
    period_start = forms.DateField(label=gettext_lazy("Période du"), widget=DateInput())
    period_end = forms.DateField(label=gettext_lazy("au"), widget=DateInput())
    amount = forms.DecimalField(
        label=gettext_lazy("Montant demandé (€)"), max_digits=12, decimal_places=2, min_value=0
    )
    sent_on = forms.DateField(label=gettext_lazy("Envoyée le"), widget=DateInput())
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, basis: str = "HT", **kwargs):
        # Its own ids: the payment form on the same page has fields of the same names.
        kwargs.setdefault("auto_id", "id_claim_%s")
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Montant demandé (€ %(basis)s)") % {"basis": basis}


class PaymentForm(FieldsetsMixin, forms.Form):
    received_on = forms.DateField(label=gettext_lazy("Reçu le"), widget=DateInput())
    amount = forms.DecimalField(
        label=gettext_lazy("Montant reçu (€)"), max_digits=12, decimal_places=2, min_value=0
    )
    funder = forms.ModelChoiceField(label=gettext_lazy("Financeur"), queryset=None)
    claim = forms.ModelChoiceField(
        label=gettext_lazy("Demande réglée"), queryset=None, required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, funders, claims, **kwargs):
        kwargs.setdefault("auto_id", "id_payment_%s")
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = funders
        # A programme funded by one funder: it is the one that paid.
        only = list(funders[:2])
        if len(only) == 1 and "funder" not in self.initial:
            self.initial["funder"] = only[0].pk
        self.fields["claim"].queryset = claims
        self.fields["claim"].label_from_instance = lambda c: (
            _("du %(start)s au %(end)s (%(ttc)s TTC)")
            % {
                "start": f"{c.period_start:%d/%m/%Y}",
                "end": f"{c.period_end:%d/%m/%Y}",
                "ttc": euros(c.amount_ttc),
            }
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif de l'annulation"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, payment: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = (
            _("Ex. : saisie en double, virement rejeté par la banque. ")
            if payment
            else _("Ex. : saisie en double, demande retirée par le financeur. ")
        ) + _("L'historique de la formation le garde.")
