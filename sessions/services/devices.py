"""The session's shared-phones setting: whether one phone may sign (QR code) for several
people of one half-day. `attendance_sign` applies it."""

from django.db import transaction
from django.utils.translation import gettext as _

from formations.audit import log_action
from sessions.exceptions import SessionsError
from sessions.models import TrainingSession
from sessions.permissions import can_run_session


@transaction.atomic
def session_set_shared_devices(
    *, session: TrainingSession, allowed: bool, actor
) -> TrainingSession:
    """Allows (or forbids again) several QR code signatures of one half-day from the same
    phone. Signatures already written are not touched: those from a shared phone stay
    flagged. Audit action `session.shared_devices_allowed` (old and new value), written
    only when the value changes.

    Codes: not_trainer (the actor does not run the session).
    """
    if actor is None or not can_run_session(actor, session):
        raise SessionsError(
            _(
                "Seul·e un·e formateur·rice de la session ou un·e coordinateur·rice "
                "peut changer ce réglage."
            ),
            code="not_trainer",
        )
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    allowed = bool(allowed)
    if locked.allow_shared_devices != allowed:
        previous = locked.allow_shared_devices
        locked.allow_shared_devices = allowed
        locked.save(update_fields=["allow_shared_devices"])
        log_action(
            actor=actor,
            action="session.shared_devices_allowed",
            obj=locked,
            summary=(
                _("%(session)s : plusieurs signatures depuis un même téléphone autorisées")
                if allowed
                else _("%(session)s : un téléphone par personne (téléphones partagés refusés)")
            )
            % {"session": locked.code},
            data={"old": previous, "new": allowed},
        )
    session.allow_shared_devices = allowed
    return locked
