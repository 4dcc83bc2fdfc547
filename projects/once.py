"""A form posted twice (a double click, a reload, a second tab) does its work once.

The form carries a `token` drawn when it was shown (`once_token_field`, `new_token`). The
service, inside its transaction, calls `first_submit(lock=…, action=…, token=…)` before
writing: the `lock` row is locked (so two submits in a race are serialised) and the
audit journal is searched for an entry of `action` carrying the token; if there is one,
`ProjectsError` (code `already_done` unless told otherwise) refuses the second submit.
The service then logs `action` with `data={"token": token, …}`. An empty token checks
nothing (management commands, the demo, services called directly)."""

import uuid

from django import forms
from django.db import models
from django.utils.translation import gettext as _

from formations.models import AuditEntry
from projects.exceptions import ProjectsError

ALREADY_DONE = "already_done"


def new_token() -> str:
    return uuid.uuid4().hex


def once_token_field() -> forms.CharField:
    """The hidden form field; give it `initial=new_token` (a callable: one per display)."""
    return forms.CharField(
        widget=forms.HiddenInput, max_length=64, required=False, initial=new_token
    )


def first_submit(
    *,
    lock: models.Model,
    action: str,
    token: str,
    message: str | None = None,
    code: str = ALREADY_DONE,
) -> None:
    """Refuses a token already used for `action` (see the module docstring). Call it in
    the service's transaction."""
    token = (token or "").strip()
    if not token:
        return
    type(lock).objects.select_for_update().filter(pk=lock.pk).first()
    if AuditEntry.objects.filter(action=action, data__token=token).exists():
        raise ProjectsError(
            message or _("Ce formulaire a déjà été enregistré : il ne l'est pas une seconde fois."),
            code=code,
        )
