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


def ensure_manager(actor) -> None:
    """Refuses (`not_coordinator`) a signed-in user who is not a coordinator. `None` is a
    management command run by whoever operates the server, journaled without an author."""
    from django.utils.translation import gettext as _

    from sessions.exceptions import SessionsError

    if actor is not None and not can_manage(actor):
        raise SessionsError(
            _("Seul·e un·e coordinateur·rice peut faire cela."), code="not_coordinator"
        )


def ensure_runs_session(actor, session) -> None:
    """Refuses (`not_trainer`) a signed-in user who neither trains the session nor
    coordinates. `None`: a command, as above."""
    from django.utils.translation import gettext as _

    from sessions.exceptions import SessionsError

    if actor is not None and not can_run_session(actor, session):
        raise SessionsError(
            _(
                "Seul·e un·e formateur·rice de la session ou un·e coordinateur·rice "
                "peut faire cela."
            ),
            code="not_trainer",
        )
