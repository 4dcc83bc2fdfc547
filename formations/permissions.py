"""Who may do what. Roles are evaluated here only; selectors and views reuse these."""

from django.core.exceptions import PermissionDenied

from formations.models import User


def can_manage(user) -> bool:
    """Coordinators set up programmes, formations, structures and participants."""
    return user.is_authenticated and (user.is_superuser or user.role == User.Role.COORDINATOR)


def is_trainer(user) -> bool:
    return user.is_authenticated and user.role == User.Role.TRAINER


def is_funder_auditor(user) -> bool:
    return user.is_authenticated and not user.is_superuser and user.role == User.Role.FUNDER_AUDITOR


def is_structure_referent(user) -> bool:
    """A structure's referent — or its administrator, who is its referent too (seed 002:
    « a structure referent can be made one »)."""
    return (
        user.is_authenticated
        and not user.is_superuser
        and user.role in (User.Role.STRUCTURE_REFERENT, User.Role.STRUCTURE_ADMIN)
    )


def is_structure_admin(user) -> bool:
    return (
        user.is_authenticated and not user.is_superuser and user.role == User.Role.STRUCTURE_ADMIN
    )


def works_in_alertes(user) -> bool:
    """A structure's administrator or staff: follows its members (Alertes), within that
    structure only."""
    return (
        user.is_authenticated
        and not user.is_superuser
        and user.role in (User.Role.STRUCTURE_ADMIN, User.Role.STRUCTURE_STAFF)
        and user.structure_id is not None
    )


def can_see_contact_details(user) -> bool:
    """Whether participants' e-mail addresses and phone numbers are shown to ``user``.

    Not to funder auditors: checking that hours are backed by signatures needs names and
    structures, never contact details (GDPR data minimisation). Pages, tables and exports
    ask this one question."""
    return user.is_authenticated and not is_funder_auditor(user)


def ensure_manager(actor) -> None:
    """For services: a signed-in user who is not a coordinator may not write here, whatever
    page or script calls (`PermissionDenied`, a 403 on a page). `None` is a management
    command run by whoever operates the server, journaled without an author."""
    if actor is not None and not can_manage(actor):
        raise PermissionDenied


class RoleRequiredMixin:
    """Restricts a view to some roles. Coordinators (and superusers) may always enter.

    `allowed_roles = None` admits every signed-in user but a structure's staff (who work
    in Alertes only); object scoping then comes from the view's selector, never from
    `Model.objects`.
    """

    allowed_roles: tuple[str, ...] | None = ()

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not (can_manage(user) or self.allowed_roles is None or user.role in self.allowed_roles):
            raise PermissionDenied
        # A structure's staff works in Alertes only: the training side's pages (even the
        # lists open to every role, which would show them nothing) are not theirs.
        if user.role == User.Role.STRUCTURE_STAFF and user.role not in (self.allowed_roles or ()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ManagerRequiredMixin(RoleRequiredMixin):
    allowed_roles = ()
