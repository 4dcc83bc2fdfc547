"""The domain exception of the livrables app: services refuse with `LivrablesError`, whose
`code` is stable (views turn it into a message, tests assert it).

Codes: `not_allowed` (the actor may not do this), `not_sealed` (a session not fully sealed
has only a provisional preview), `sealed` (a sealed session's sheet is issued, not
previewed), `already_revoked`, `reason_required`, `file_missing` and `file_altered` (the
kept file of an issued document is gone, or no longer has the registered digest);
for expenses (`livrables.services_expenses`): `invalid`, `receipt_missing`,
`receipt_empty`, `receipt_too_large`, `receipt_type`."""

from django.core.exceptions import ValidationError


class LivrablesError(Exception):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


def clean_or_refuse(instance, *, exclude=()) -> None:
    """`full_clean()` (constraints included) of a row a service is about to save, its
    errors turned into one French refusal `invalid` (« label : message »)."""
    try:
        instance.full_clean(exclude=list(exclude) or None)
    except ValidationError as error:
        messages = []
        for field, errors in error.message_dict.items():
            label = str(instance._meta.get_field(field).verbose_name) if field != "__all__" else ""
            messages.extend(f"{label} : {message}" if label else message for message in errors)
        raise LivrablesError(" ".join(messages), code="invalid") from error
