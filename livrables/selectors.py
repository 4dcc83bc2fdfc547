"""Which sessions' documents a user may download. Views start from these."""

from django.db.models import QuerySet

from formations.permissions import is_structure_referent
from sessions.models import TrainingSession
from sessions.selectors.visibility import sessions_run_by, sessions_visible_to


def sheet_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose signed feuille d'émargement the user may download: coordinators all,
    trainers their own, funder auditors those of their funders' programmes.

    Structure referents see a session only through their own people, and the sheet lists
    every participant of every structure (structures never see each other's people), so
    they get none.
    """
    if is_structure_referent(user):
        return TrainingSession.objects.none()
    return sessions_visible_to(user=user)


def blank_sheet_sessions_for(*, user) -> QuerySet[TrainingSession]:
    """Sessions whose blank paper sheet the user may print: the ones they run."""
    return sessions_run_by(user=user)
