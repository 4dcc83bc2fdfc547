"""Who may run a session (sign, mark, countersign, seal): its trainers and coordinators."""

from formations.permissions import can_manage, is_trainer


def can_run_session(user, session) -> bool:
    if not user.is_authenticated:
        return False
    if can_manage(user):
        return True
    # The role too, not only the membership: a trainer who became an auditor stays in the
    # trainer lists of past sessions and must not sign for them any more.
    return is_trainer(user) and session.trainers.filter(pk=user.pk).exists()


def trains_session(user, session) -> bool:
    """A trainer of this session, in that role now: who may countersign its half-days."""
    return user is not None and is_trainer(user) and session.trainers.filter(pk=user.pk).exists()
