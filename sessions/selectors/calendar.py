"""Reads of the calendar feeds: whose private feed a token opens, and which sessions it
lists. The token is the credential, so nothing here is scoped by a signed-in user."""

from django.db.models import QuerySet

from formations.models import Participant, User
from sessions.models import TrainingSession


def trainer_by_calendar_token(*, token: str) -> User | None:
    """The active account whose feed `token` opens. An exact match on a unique, random
    32-character value: unguessable, and the lookup time does not tell how close a guess
    was."""
    return User.objects.filter(calendar_token=token, is_active=True).first()


def participant_by_calendar_token(*, token: str) -> Participant | None:
    return Participant.objects.filter(calendar_token=token).first()


def trainer_feed_sessions(*, user: User) -> QuerySet[TrainingSession]:
    """The non-cancelled sessions a trainer runs, with formation and slots, for the feed."""
    return (
        TrainingSession.objects.filter(trainers=user)
        .exclude(status=TrainingSession.Status.CANCELLED)
        .select_related("formation")
        .prefetch_related("slots")
        .order_by("pk")
    )


def participant_feed_sessions(*, participant: Participant) -> QuerySet[TrainingSession]:
    """The non-cancelled sessions a participant is enrolled in."""
    return (
        TrainingSession.objects.filter(enrolments__participant=participant)
        .exclude(status=TrainingSession.Status.CANCELLED)
        .select_related("formation")
        .prefetch_related("slots")
        .order_by("pk")
        .distinct()
    )
