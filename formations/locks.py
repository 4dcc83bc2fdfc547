"""What of a formation can no longer change once its sessions hold evidence.

A signed and sealed sheet prints its formation: the programme it belongs to (hence the
funders and their sentences), the contract reference and the title. Version 2 seals cover
them, so once any half-day of one of its sessions is signed, countersigned, scanned or
sealed, no page — the Django admin included — may change them (DESIGN.md: « no page,
admin included, can change those once signed »). Formations never imports sessions: the
sessions app registers, in its `ready()`, the check that says whether such evidence
exists.
"""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

SEALED_FORMATION_FIELDS = ("programme", "contract_reference", "title")

# Callables formation -> bool: does any evidence depend on this formation?
EVIDENCE_CHECKS: list[Callable[[object], bool]] = []

LOCKED_HELP = _(
    "Verrouillé : des demi-journées de ses sessions sont émargées ou scellées ; les "
    "feuilles d'émargement le montrent tel quel."
)


def formation_is_locked(formation) -> bool:
    return (
        formation is not None
        and formation.pk is not None
        and any(check(formation) for check in EVIDENCE_CHECKS)
    )


def locked_fields(instance) -> tuple[str, ...]:
    """The fields of `instance` (a formation, or anything else: none) that may no longer
    change."""
    from formations.models import Formation

    if isinstance(instance, Formation) and formation_is_locked(instance):
        return SEALED_FORMATION_FIELDS
    return ()
