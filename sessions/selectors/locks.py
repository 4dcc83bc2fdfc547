"""What can no longer change because it is evidence.

One place decides it, so that the planning service, the session form and the Django admin
refuse the same things: a half-day (slot) with a seal, an émargement, a scanned paper sheet
or a trainer's countersignature is **locked** — it may be neither moved nor removed, and
its session may no longer change formation or time zone (the signed sheet shows both;
changing the zone alone would shift every local time printed on it).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy

from sessions.models import Attendance, PaperSheetScan, Seal, Slot, TrainingSession

# Lock codes, strongest first; they are also the error codes of `session_save`.
SLOT_SEALED = "slot_sealed"
SLOT_HAS_ATTENDANCE = "slot_has_attendance"
SLOT_COUNTERSIGNED = "slot_countersigned"

# Why a half-day is locked, in the words of the session form and the admin.
LOCK_LABELS = {
    SLOT_SEALED: gettext_lazy("scellée"),
    SLOT_HAS_ATTENDANCE: gettext_lazy("émargements enregistrés"),
    SLOT_COUNTERSIGNED: gettext_lazy("contresignée"),
}


def seal_exists(slot: str = "pk") -> Exists:
    """SQL: the half-day at `slot` (a lookup on the outer query) is sealed. For lists that
    show each half-day's state in one query."""
    return Exists(Seal.objects.filter(slot_id=OuterRef(slot)))


def slot_is_sealed(*, slot: Slot) -> bool:
    """Whether the half-day is sealed, read from the database: the services ask this
    before any write, since a cached instance (whose `is_sealed` looks at the relation
    it loaded) may predate its seal."""
    return Seal.objects.filter(slot_id=slot.pk).exists()


def _annotated(slots):
    return slots.annotate(
        has_seal=seal_exists(),
        has_attendance=Exists(Attendance.objects.filter(slot=OuterRef("pk"))),
        has_scan=Exists(PaperSheetScan.objects.filter(slot=OuterRef("pk"))),
    )


def _code(row: dict) -> str | None:
    if row["has_seal"]:
        return SLOT_SEALED
    if row["has_attendance"] or row["has_scan"]:
        return SLOT_HAS_ATTENDANCE
    if row["countersigned_at"] is not None:
        return SLOT_COUNTERSIGNED
    return None


def slot_locks(*, session: TrainingSession | None) -> dict[int, str]:
    """The locked half-days of ``session``: ``{slot pk: lock code}`` (one query). The code
    is the strongest lock: ``slot_sealed``, ``slot_has_attendance`` (an émargement or a
    paper scan), ``slot_countersigned``. An unsaved or missing session has none."""
    if session is None or session.pk is None:
        return {}
    rows = _annotated(Slot.objects.filter(session_id=session.pk)).values(
        "pk", "has_seal", "has_attendance", "has_scan", "countersigned_at"
    )
    return {row["pk"]: code for row in rows if (code := _code(row)) is not None}


def slot_lock(*, slot: Slot) -> str | None:
    """The lock code of one half-day (see `slot_locks`), or None when it may still change.
    Always read from the database: a cached instance may predate its seal."""
    if slot.pk is None:
        return None
    row = (
        _annotated(Slot.objects.filter(pk=slot.pk))
        .values("has_seal", "has_attendance", "has_scan", "countersigned_at")
        .first()
    )
    return _code(row) if row is not None else None


def session_is_locked(*, session: TrainingSession) -> bool:
    """True once any half-day of the session is locked: its formation and time zone are
    then fixed, and the session cannot be deleted."""
    return bool(slot_locks(session=session))


def formation_has_evidence(formation) -> bool:
    """True once any half-day of any session of `formation` is locked: the formation's
    programme, contract reference and title are then printed on signed, sealed sheets
    (`formations.locks`, which this is registered into)."""
    slots = _annotated(Slot.objects.filter(session__formation_id=formation.pk))
    return slots.filter(
        Q(has_seal=True)
        | Q(has_attendance=True)
        | Q(has_scan=True)
        | Q(countersigned_at__isnull=False)
    ).exists()
