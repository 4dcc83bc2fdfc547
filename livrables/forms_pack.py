"""The optional period of a formation's audit pack (the button on the formation page)."""

from django import forms
from django.utils.translation import gettext_lazy

from formations.forms import DateInput
from livrables.exceptions import LivrablesError
from livrables.pack.services import check_period

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class PackPeriodForm(forms.Form):
    du = forms.DateField(
        label=gettext_lazy("Du (facultatif)"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=DateInput(),
    )
    au = forms.DateField(
        label=gettext_lazy("Au (facultatif)"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=DateInput(),
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the service-fait period on the same page has fields of the same names.
        kwargs.setdefault("auto_id", "pack_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        try:
            check_period(data.get("du"), data.get("au"))
        except LivrablesError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        return data
