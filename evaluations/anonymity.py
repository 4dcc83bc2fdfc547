"""What the funder's copy of an evaluation never carries: contact details. A comment is
shown as written, unless a coordinator hid it (`services_synthesis.comment_hide`); an
e-mail address or a phone number typed in it is still replaced, in the funder's copy
only (the synthesis PDF, the funder's export), by a mark saying what was there."""

import re

from django.utils.translation import gettext as _

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French and overseas numbers as people type them: 06 12 34 56 78, 06.12.34.56.78,
# +33 6 12 34 56 78, +262639012345, 0033612345678.
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d{2,3}[\s.-]?(?:\(0\)\s?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"
)


def redact_contacts(text: str) -> str:
    """`text` with every e-mail address and phone number replaced by a mark."""
    text = EMAIL.sub(_("[adresse e-mail retirée]"), text)
    return PHONE.sub(_("[numéro retiré]"), text)
