"""The audit journal: every write a funder may question goes through `log_action`."""

from django.db import models

from formations.models import AuditEntry


def log_action(
    *, actor, action: str, obj: models.Model | None = None, summary: str = "", data=None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:500],
        data=data or {},
    )
