"""Which sessions, slots and enrolments a user may see. Every sessions view, export and
document starts from these."""

from django.db.models import QuerySet

from formations.permissions import can_manage, is_funder_auditor, is_structure_referent, is_trainer
from formations.selectors import programmes_visible_to
from sessions.models import Enrolment, Slot, TrainingSession


def sessions_visible_to(*, user) -> QuerySet[TrainingSession]:
    qs = TrainingSession.objects.select_related("formation__programme")
    if can_manage(user):
        return qs
    if is_trainer(user):
        return qs.filter(pk__in=TrainingSession.objects.filter(trainers=user).values("pk"))
    if is_funder_auditor(user):
        return qs.filter(formation__programme__in=programmes_visible_to(user=user))
    if is_structure_referent(user):
        return qs.filter(
            pk__in=Enrolment.objects.filter(participant__structure_id=user.structure_id).values(
                "session_id"
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
        return qs.filter(pk__in=TrainingSession.objects.filter(trainers=user).values("pk"))
    return qs.none()


def slots_visible_to(*, user) -> QuerySet[Slot]:
    return Slot.objects.select_related("session__formation__programme").filter(
        session__in=sessions_visible_to(user=user)
    )


def slots_run_by(*, user) -> QuerySet[Slot]:
    return Slot.objects.select_related("session__formation__programme").filter(
        session__in=sessions_run_by(user=user)
    )


def enrolments_visible_to(*, user) -> QuerySet[Enrolment]:
    qs = Enrolment.objects.select_related("participant__structure", "session")
    qs = qs.filter(session__in=sessions_visible_to(user=user))
    if is_structure_referent(user):
        qs = qs.filter(participant__structure_id=user.structure_id)
    return qs
