"""Who may issue, reissue and revoke documents. Services ask these (an actor of `None` is a
management command, run by whoever operates the server); views scope their objects through
`livrables.selectors` first, so that what is out of reach is "not found"."""

from formations.permissions import can_manage, is_funder_auditor, is_structure_referent
from formations.selectors import formations_visible_to
from livrables.exceptions import LivrablesError
from sessions.permissions import can_run_session
from sessions.selectors.visibility import sessions_visible_to


def may_issue_sheet(user, session) -> bool:
    """The signed sheet of a session is issued (and reissued) by a coordinator or one of
    the session's trainers: the people who run it. Auditors only download it."""
    return user is None or can_run_session(user, session)


def may_issue_extract(user, session, structure) -> bool:
    """A structure's extract is issued by that structure's referent, for a session where
    their people are enrolled: it is their own proof, which nobody else receives."""
    if user is None:
        return True
    return (
        is_structure_referent(user)
        and structure is not None
        and user.structure_id == structure.pk
        and sessions_visible_to(user=user).filter(pk=session.pk).exists()
    )


def ensure_coordinator(actor, refusal: str) -> None:
    """The services' check that a write is a coordinator's (or a command's: `None`):
    LivrablesError `not_allowed` with `refusal` otherwise."""
    if actor is not None and not can_manage(actor):
        raise LivrablesError(refusal, code="not_allowed")


def may_revoke(user) -> bool:
    """Only coordinators withdraw an issued document."""
    return user is None or can_manage(user)


def may_issue_certificate(user) -> bool:
    """Certificates and attestations per participant are issued by coordinators only: the
    training organisation signs them, not a trainer, a referent or an auditor."""
    return user is None or can_manage(user)


def may_read_service_fait(user, formation) -> bool:
    """The service-fait statement, claims and payments of a formation: coordinators, and
    the auditors of the formation's funders (read only). Trainers and referents: nothing."""
    if can_manage(user):
        return True
    return is_funder_auditor(user) and (
        formations_visible_to(user=user).filter(pk=formation.pk).exists()
    )


def may_write_service_fait(user) -> bool:
    """Claims, payments and the issue of the statement: coordinators only."""
    return can_manage(user)
