"""Which sessions, slots and enrolments a user may see. Every sessions view, export and
document starts from these.

Written as correlated `EXISTS`, like `formations.selectors` (see there why): no nested
`IN` subqueries, no duplicate rows."""

from django.db.models import Exists, OuterRef, QuerySet

from formations.permissions import can_manage, is_funder_auditor, is_structure_referent, is_trainer
from formations.selectors import audited_programme
from sessions.models import Enrolment, Slot, TrainingSession

SessionTrainer = TrainingSession.trainers.through


def _trained_by(user, session: str = "pk") -> Exists:
    return Exists(
        SessionTrainer.objects.filter(trainingsession_id=OuterRef(session), user_id=user.pk)
    )


def sessions_visible_to(*, user) -> QuerySet[TrainingSession]:
    qs = TrainingSession.objects.select_related("formation__programme")
    if can_manage(user):
        return qs
    if is_trainer(user):
        return qs.filter(_trained_by(user))
    if is_funder_auditor(user):
        return qs.filter(audited_programme(user=user, programme="formation__programme_id"))
    if is_structure_referent(user):
        return qs.filter(
            Exists(
                Enrolment.objects.filter(
                    session_id=OuterRef("pk"), participant__structure_id=user.structure_id
                )
            )
        )
    return qs.none()


def sessions_run_by(*, user) -> QuerySet[TrainingSession]:
    """Sessions the user may run (sign, mark, countersign, seal): a trainer's own, all for
    coordinators."""
    qs = TrainingSession.objects.select_related("formation__programme")
    if can_manage(user):
        return qs
    if is_trainer(user):
        return qs.filter(_trained_by(user))
    return qs.none()


def _in_sessions(qs, sessions: QuerySet[TrainingSession], *, user):
    """`qs` (of rows with a `session`) restricted to `sessions`, a scoped selector."""
    if can_manage(user):
        return qs
    return qs.filter(Exists(sessions.filter(pk=OuterRef("session_id"))))


def slots_visible_to(*, user) -> QuerySet[Slot]:
    qs = Slot.objects.select_related("session__formation__programme")
    return _in_sessions(qs, sessions_visible_to(user=user), user=user)


def slots_run_by(*, user) -> QuerySet[Slot]:
    qs = Slot.objects.select_related("session__formation__programme")
    return _in_sessions(qs, sessions_run_by(user=user), user=user)


def enrolments_visible_to(*, user) -> QuerySet[Enrolment]:
    qs = Enrolment.objects.select_related("participant__structure", "session")
    if is_structure_referent(user):
        # A referent sees the sessions where their structure has people, and only those
        # people in them.
        return qs.filter(participant__structure_id=user.structure_id)
    return _in_sessions(qs, sessions_visible_to(user=user), user=user)
