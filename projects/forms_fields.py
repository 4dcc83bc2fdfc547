"""Bounded fields of the projects forms. The models' free texts have no length; what
people type is bounded here, with a message naming the limit:

- `LongTextField`: a free text of at most `LONG_TEXT` characters (5,000: a page and a half
  of the fiche; the journal and the reminders' message allow `LONGER_TEXT`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

LONG_TEXT = 5_000
LONGER_TEXT = 10_000


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
