"""What the sessions app adds to the history of an object (`formations.history`): which
journal entries, written on a session's parts, concern a session, a participant or a
formation. Registered by `TrainingSessionsConfig.ready()`; each source scopes what it adds
through the visibility selectors."""

from django.db.models import Q

from formations import history
from formations.history import mentioning, on_objects
from sessions.models import Attendance, PaperSheetScan, Rectification, Seal, Slot
from sessions.selectors.visibility import enrolments_visible_to, sessions_visible_to


def session_parts(session, user) -> list[Q]:
    """Its half-days (tablet mode, countersignature, remote links), their attendances and
    rectifications, seals and paper scans. The session itself comes from its page's
    scoped selector: whoever sees the session sees all of it."""
    return [
        on_objects(Slot, Slot.objects.filter(session=session)),
        on_objects(Attendance, Attendance.objects.filter(slot__session=session)),
        on_objects(Rectification, Rectification.objects.filter(attendance__slot__session=session)),
        on_objects(Seal, Seal.objects.filter(session=session)),
        on_objects(PaperSheetScan, PaperSheetScan.objects.filter(slot__session=session)),
    ]


def participant_parts(participant, user) -> list[Q]:
    """Their attendances and rectifications, and their enrolments and unenrolments (written
    on the session, naming them: `AuditMention`), in the sessions the user may see only."""
    enrolments = enrolments_visible_to(user=user).filter(participant=participant)
    attendances = Attendance.objects.filter(enrolment__in=enrolments.values("pk"))
    sessions = sessions_visible_to(user=user)
    return [
        on_objects(Attendance, attendances),
        on_objects(Rectification, Rectification.objects.filter(attendance__in=attendances)),
        mentioning(participant)
        & Q(action__in=("enrolment.create", "enrolment.delete"))
        & on_objects(sessions.model, sessions),
    ]


def formation_parts(formation, user) -> list[Q]:
    """Entries written on its sessions (created, changed, enrolments, convocations, sheets
    issued) that the user may see; the half-days' own entries stay on each session's
    history."""
    sessions = sessions_visible_to(user=user).filter(formation=formation)
    return [on_objects(sessions.model, sessions)]


def register() -> None:
    history.register_source("training_sessions.trainingsession", session_parts)
    history.register_source("formations.participant", participant_parts)
    history.register_source("formations.formation", formation_parts)
