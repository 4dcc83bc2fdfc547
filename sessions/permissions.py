"""Who may run a session (sign, mark, countersign, seal): its trainers and coordinators."""

from formations.permissions import can_manage


def can_run_session(user, session) -> bool:
    if not user.is_authenticated:
        return False
    if can_manage(user):
        return True
    return session.trainers.filter(pk=user.pk).exists()
