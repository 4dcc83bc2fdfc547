"""The audit journal: every write a funder may question goes through `log_action`.

Each entry keeps who (`actor`), what (`action`, `summary`, `data`), when (`at`), on which
object (`object_type`, `object_id`: the model's label and primary key) and from where
(`ip_address`): the address of the request being served, which `AuditRequestMiddleware`
holds for the length of the request, so that no service needs the request to journal it.
The objects an entry names besides its own (`mentions`: the people of an enrolment or of
an import) are kept in `AuditMention`, which their histories read through an index.
A command or a background task has no request: no address. Entries are read back by
`formations.history` (the history shown on an object's page).
"""

from collections.abc import Iterable
from contextvars import ContextVar

from django.db import models

from formations.client_ip import client_ip, valid_ip
from formations.models import AuditEntry, AuditMention

_request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


def current_ip() -> str | None:
    """The address of the request being served, or None (command, task, test)."""
    return _request_ip.get()


class AuditRequestMiddleware:
    """Holds the client's address while the request is served, as the signatures record
    it (`formations.client_ip.client_ip`: behind trusted reverse proxies, the address the
    nearest of them saw)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _request_ip.reset(token)


def _label(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def log_action(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    summary: str = "",
    data=None,
    ip: str | None = None,
    mentions: Iterable[models.Model] = (),
) -> AuditEntry:
    """Writes one journal entry. `ip` defaults to the address of the request being served.
    `mentions`: the objects the entry names besides `obj` (the people enrolled by one
    entry written on the session), so that their histories find it (`AuditMention`)."""
    object_type, object_id = _label(obj) if obj is not None else ("", "")
    entry = AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=data or {},
        ip_address=valid_ip(ip) or current_ip(),
    )
    named = dict.fromkeys(_label(mentioned) for mentioned in mentions)
    named.pop((object_type, object_id), None)  # the entry's own object needs no mention
    AuditMention.objects.bulk_create(
        (AuditMention(entry=entry, object_type=t, object_id=i) for t, i in named),
        batch_size=500,
    )
    return entry
