"""One way for the projects services to check a row before saving it: `full_clean()`
whose `ValidationError` becomes a `ProjectsError` (code `invalid`), so a view that catches
`ProjectsError` shows a form error instead of a server error, whatever the input."""

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models

from projects.exceptions import ProjectsError


def _label(obj: models.Model, name: str) -> str:
    if name == NON_FIELD_ERRORS:
        return ""
    try:
        return str(obj._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a check named after something else
        return name


def clean_or_refuse(obj: models.Model, **options) -> None:
    """`obj.full_clean(**options)`; refuses with `ProjectsError(code="invalid")` whose
    message names each field at fault (« Taille de l'équipe : … ») and whose `field` is
    the first one, for the form to show it beside."""
    try:
        obj.full_clean(**options)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise ProjectsError(" ".join(error.messages), code="invalid") from None
        messages, first = [], None
        for name, errors in error.message_dict.items():
            label = _label(obj, name)
            if first is None and name != NON_FIELD_ERRORS:
                first = name
            messages.extend(f"{label.capitalize()} : {text}" if label else text for text in errors)
        raise ProjectsError(" ".join(messages), code="invalid", field=first) from None


def checked_save(obj: models.Model, *, update_fields=None, **options) -> None:
    """`clean_or_refuse(obj, **options)`, then `obj.save(update_fields=…)`."""
    clean_or_refuse(obj, **options)
    obj.save(update_fields=update_fields)


def show_refusal(form, error: ProjectsError) -> None:
    """Puts a service's refusal on the form: beside its field when the form has it, at
    the top otherwise (a field the form does not show never raises)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
