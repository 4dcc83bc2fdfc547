"""Bounded fields of the projects forms. The models' free texts have no length and their
dates no range; what people type is bounded here, with a message naming the limit:

- `LongTextField`: a free text of at most `LONG_TEXT` characters (5,000: a page and a half
  of the fiche; the journal and the reminders' message allow `LONGER_TEXT`);
- `BoundedDateField`: a date between `FIRST_DAY` and `LAST_DAY` (years 2000 to 2100), so a
  mistyped year (« 0001 », « 20244 ») is refused rather than printed.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from formations.forms import DateInput

LONG_TEXT = 5_000
LONGER_TEXT = 10_000
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


class LongTextField(forms.CharField):
    """A multi-line free text of at most `max_length` characters (`LONG_TEXT` by default).
    No `maxlength` attribute on the text area: a browser cuts a pasted text there
    silently; the server's message says by how much it is too long instead."""

    def __init__(self, *, max_length: int = LONG_TEXT, rows: int = 4, **kwargs):
        self.limit = max_length
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and len(value) > self.limit:
            raise ValidationError(
                _("Ce texte compte %(length)s caractères : %(limit)s au plus. Raccourcissez-le."),
                code="max_length",
                params={
                    "length": number_format(len(value), force_grouping=True),
                    "limit": number_format(self.limit, force_grouping=True),
                },
            )


class BoundedDateField(forms.DateField):
    """A date between `FIRST_DAY` and `LAST_DAY`; the date picker offers those only."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            DateInput(attrs={"min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()}),
        )
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(
                _("Saisissez une date entre %(first)s et %(last)s (année à quatre chiffres)."),
                code="out_of_range",
                params={"first": f"{FIRST_DAY:%d/%m/%Y}", "last": f"{LAST_DAY:%d/%m/%Y}"},
            )
