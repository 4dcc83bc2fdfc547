"""The accounts of the people who use the application, managed by coordinators; a
structure's administrator creates, deactivates and reactivates the staff accounts of their
own structure (seed 002, Alertes), through the same services.

Reads: `accounts_visible_to`, `accounts_editable_by`, `team_accounts_visible_to`.
Writes (keyword-only, atomic, audit-logged, `AccountError` with a stable `code`):
`account_create`, `account_update`, `account_deactivate`, `account_reactivate`,
`account_set_password`; and the e-mail that lets someone choose their password,
`account_send_password_link` / `password_link_request`.

Nobody types a password for someone else. A new account has no usable password; its
owner receives a link built on Django's password-reset tokens
(`default_token_generator`): the token is an HMAC of the account's id, password hash,
last login and e-mail, dated, so it stops working once the password is set (the hash
changes), after a login, when the e-mail changes, or after `PASSWORD_RESET_TIMEOUT`
seconds — whichever comes first. A deactivated account gets no link and a link sent
before no longer opens (`password_link_user`).

Accounts with access to the Django admin (superusers, staff) are technical: coordinators
see them but cannot change them, so that an account page never hands over the admin.

The e-mail goes through the outbox (`formations.outbox`), like convocations: written in
the act's transaction, delivered afterwards by the worker.
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.audit import log_action
from formations.models import AuditEntry, Funder, OutboxMessage, Structure, User
from formations.outbox import outbox_enqueue
from formations.permissions import can_manage, is_structure_admin
from formations.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)

# Why a password link is sent: it decides the wording of the e-mail.
INVITATION = "invitation"  # a new account
RESET = "reset"  # sent again by a coordinator
FORGOTTEN = "forgotten"  # asked for on the login page
LINK_REASONS = (INVITATION, RESET, FORGOTTEN)

EMAIL_TEMPLATES = "formations/accounts/emails"

# Changes of these fields are named in the journal (`account.updated`).
TRACKED_FIELDS = ("first_name", "last_name", "email", "role", "structure", "funders")


class AccountError(Exception):
    """A refused account change. `code` is stable; `field` names the form field at fault
    (None: the whole form)."""

    def __init__(self, message: str, *, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self):
        return self.message


# --------------------------------------------------------------------------- reads


def accounts_visible_to(*, user) -> QuerySet[User]:
    """Every account for a coordinator (structure and audited funders fetched), none for
    anyone else."""
    if not can_manage(user):
        return User.objects.none()
    return User.objects.select_related("structure").prefetch_related(
        Prefetch("funders", queryset=Funder.objects.order_by("name"))
    )


def team_accounts_visible_to(*, user, structure) -> QuerySet[User]:
    """A structure's own accounts (its administrators and staff, seed 002's « animateurs,
    travailleurs sociaux ») for a coordinator or that structure's administrator; none for
    anyone else (its staff included)."""
    if not may_manage_team(user, structure):
        return User.objects.none()
    return User.objects.filter(
        structure=structure,
        role__in=(User.Role.STRUCTURE_ADMIN, User.Role.STRUCTURE_STAFF),
        is_superuser=False,
        is_staff=False,
    ).order_by("last_name", "first_name", "username")


def may_manage_team(user, structure) -> bool:
    """Whether `user` may create and deactivate the staff accounts of `structure`:
    coordinators for every structure, an administrator for their own."""
    structure_id = getattr(structure, "pk", structure)
    return can_manage(user) or (
        is_structure_admin(user) and user.is_active and user.structure_id == structure_id
    )


def accounts_editable_by(*, user) -> QuerySet[User]:
    """The accounts a coordinator may change: all but the technical ones (admin access)."""
    return accounts_visible_to(user=user).filter(is_superuser=False, is_staff=False)


def is_technical(user: User) -> bool:
    return user.is_superuser or user.is_staff


def account_history(*, user: User, limit: int = 50) -> list[dict]:
    """The journal entries about an account, newest first, ready to show: time, author,
    summary and, for ``account.updated``, one French line per changed field."""
    entries = (
        AuditEntry.objects.filter(object_type=User._meta.label_lower, object_id=str(user.pk))
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    return [
        {
            "at": entry.at,
            "actor": _name(entry.actor) if entry.actor else "",
            "summary": entry.summary,
            "changes": change_lines((entry.data or {}).get("changes") or {}),
        }
        for entry in entries
    ]


def active_coordinator_count() -> int:
    return User.objects.filter(role=User.Role.COORDINATOR, is_active=True).count()


# --------------------------------------------------------------------------- checks


def _check_actor(actor) -> None:
    if actor is None or not can_manage(actor):
        raise AccountError(
            _("Seul·e un·e coordinateur·rice peut gérer les comptes."), code="forbidden"
        )


def _check_some_manager(actor) -> None:
    """A coordinator or a structure's administrator (what they may change is checked once
    the account is known, `_check_team_actor`)."""
    if actor is None or not (can_manage(actor) or is_structure_admin(actor)):
        _check_actor(actor)


def _check_team_actor(actor, *, role: str, structure_id: int | None) -> None:
    """A coordinator manages every account; a structure's administrator only the staff
    accounts of their own structure (never another role, never another structure)."""
    _check_some_manager(actor)
    if can_manage(actor):
        return
    if role != User.Role.STRUCTURE_STAFF:
        raise AccountError(
            _("Vous ne pouvez gérer que les comptes de l'équipe de votre structure."),
            code="role_not_allowed",
            field="role",
        )
    if structure_id is None or structure_id != actor.structure_id:
        raise AccountError(
            _("Vous ne pouvez gérer que les comptes de votre propre structure."),
            code="other_structure",
            field="structure",
        )


def _check_editable(user: User) -> None:
    if is_technical(user):
        raise AccountError(
            _(
                "Ce compte donne accès à l'administration technique : il ne se modifie pas "
                "depuis ces pages."
            ),
            code="technical_account",
        )


def _check_role_scope(role: str, structure: Structure | None, funders: list[Funder]) -> None:
    if role in User.STRUCTURE_ROLES and structure is None:
        raise AccountError(
            _(
                "Ce rôle (référent·e, administrateur·rice ou équipe de structure) demande "
                "d'être rattaché·e à une structure."
            ),
            code="referent_needs_structure",
            field="structure",
        )
    if role == User.Role.FUNDER_AUDITOR and not funders:
        raise AccountError(
            _("Un·e auditeur·rice financeur doit avoir au moins un financeur."),
            code="auditor_needs_funder",
            field="funders",
        )


def _check_unique(*, username: str | None, email: str, exclude_pk: int | None) -> None:
    if not email:
        raise AccountError(
            _("Indiquez une adresse e-mail : le lien pour choisir le mot de passe y est envoyé."),
            code="email_required",
            field="email",
        )
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    # Case-insensitive: « CVasseur » and « cvasseur » would be two logins for one person.
    if username is not None and others.filter(username__iexact=username).exists():
        raise AccountError(
            _("Le nom d'utilisateur « %(username)s » est déjà pris.") % {"username": username},
            code="username_taken",
            field="username",
        )
    if others.annotate(email_key=Lower("email")).filter(email_key=email.strip().lower()).exists():
        raise AccountError(
            _("Un autre compte utilise déjà l'adresse %(email)s.") % {"email": email},
            code="email_taken",
            field="email",
        )


def _lock_coordinators() -> None:
    """Locks the active coordinators' rows until the transaction ends: two coordinators
    demoting each other at the same moment cannot leave nobody in charge."""
    list(
        User.objects.select_for_update()
        .filter(role=User.Role.COORDINATOR, is_active=True)
        .values_list("pk", flat=True)
    )


def _check_not_last_coordinator(user: User) -> None:
    if user.role == User.Role.COORDINATOR and user.is_active and active_coordinator_count() <= 1:
        raise AccountError(
            _("C'est le dernier compte coordinateur·rice actif : il doit en rester un."),
            code="last_coordinator",
            field="role",
        )


def _scope(role: str, structure, funders) -> tuple[Structure | None, list[Funder]]:
    """A structure only for a structure's referent, administrator or staff, funders only
    for an auditor: what another role would carry is dropped, so a role change never
    leaves a stale scope behind."""
    return (
        structure if role in User.STRUCTURE_ROLES else None,
        sorted(funders, key=lambda f: f.name) if role == User.Role.FUNDER_AUDITOR else [],
    )


def _describe(user: User, funders: list[Funder]) -> dict:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "structure": user.structure.name if user.structure_id else "",
        "funders": [f.name for f in funders],
    }


FIELD_LABELS = {
    "first_name": gettext_lazy("prénom"),
    "last_name": gettext_lazy("nom"),
    "email": gettext_lazy("e-mail"),
    "role": gettext_lazy("rôle"),
    "structure": gettext_lazy("structure"),
    "funders": gettext_lazy("financeurs audités"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS[name])


def change_lines(changes: dict) -> list[str]:
    """The ``changes`` of an ``account.updated`` entry in French: « rôle : Formateur·rice →
    Coordinateur·rice »."""
    roles = dict(User.Role.choices)

    def shown(name, value):
        if name == "role":
            return str(roles.get(value, value))
        if isinstance(value, list):
            return ", ".join(value) or "—"
        return value or "—"

    # In the order of the form, whatever order the database kept the keys in (jsonb).
    return [
        f"{field_label(name)} : {shown(name, changes[name][0])} → {shown(name, changes[name][1])}"
        for name in TRACKED_FIELDS
        if name in changes
    ]


def _name(user: User) -> str:
    return user.get_full_name() or user.username


# --------------------------------------------------------------------------- writes


@transaction.atomic
def account_create(
    *,
    actor,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    structure: Structure | None = None,
    funders=(),
) -> User:
    """Creates an active account without a usable password (its owner chooses one through
    `account_send_password_link`, which the caller sends once this has committed).

    A structure's administrator creates only staff accounts of their own structure.

    Audit action ``account.created``. Codes: ``forbidden``, ``role_not_allowed`` and
    ``other_structure`` (an administrator), ``referent_needs_structure``,
    ``auditor_needs_funder``, ``username_taken``, ``email_required``, ``email_taken``;
    ``ValidationError``
    from ``full_clean()`` (username characters, e-mail format).
    """
    _check_team_actor(actor, role=role, structure_id=structure.pk if structure else None)
    structure, funders = _scope(role, structure, list(funders))
    _check_role_scope(role, structure, funders)
    email = email.strip()
    _check_unique(username=username, email=email, exclude_pk=None)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        structure=structure,
        is_active=True,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.funders.set(funders)
    log_action(
        actor=actor,
        action="account.created",
        obj=user,
        summary=_("Compte %(username)s créé (%(role)s)")
        % {"username": user.username, "role": user.get_role_display()},
        data={"username": user.username, **_describe(user, funders)},
    )
    return user


@transaction.atomic
def account_update(
    *,
    actor,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    structure: Structure | None = None,
    funders=(),
) -> User:
    """Changes an account's names, e-mail, role and scope (structure of a referent,
    funders of an auditor). The username does not change.

    Audit action ``account.updated`` with each changed field as ``[old, new]`` (nothing is
    written when nothing changed). Codes: ``forbidden``, ``technical_account``,
    ``own_role`` (a coordinator does not change their own role), ``last_coordinator``,
    ``referent_needs_structure``, ``auditor_needs_funder``, ``email_required``,
    ``email_taken``.
    """
    _check_actor(actor)
    _lock_coordinators()
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_editable(user)
    before = _describe(user, list(user.funders.order_by("name")))
    if role != user.role:
        if user.pk == actor.pk:
            raise AccountError(
                _("Vous ne pouvez pas changer votre propre rôle."), code="own_role", field="role"
            )
        _check_not_last_coordinator(user)
    structure, funders = _scope(role, structure, list(funders))
    _check_role_scope(role, structure, funders)
    email = email.strip()
    _check_unique(username=None, email=email, exclude_pk=user.pk)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.role, user.structure = role, structure
    user.full_clean(exclude=["password"])
    after = _describe(user, funders)
    changes = {k: [before[k], after[k]] for k in TRACKED_FIELDS if before[k] != after[k]}
    if not changes:
        return user
    user.save()
    user.funders.set(funders)
    log_action(
        actor=actor,
        action="account.updated",
        obj=user,
        summary=_("Compte %(username)s modifié : %(fields)s")
        % {
            "username": user.username,
            "fields": ", ".join(field_label(k) for k in TRACKED_FIELDS if k in changes),
        },
        data={"changes": changes},
    )
    return user


@transaction.atomic
def account_deactivate(*, actor, user: User) -> User:
    """Deactivates an account: its owner can no longer sign in (open sessions end at the
    next request) nor use a password link. Nothing is deleted: the journal, signatures
    and seals keep naming them. Idempotent (nothing logged for an inactive account).

    Coordinators deactivate any account, a structure's administrator the staff accounts of
    their own structure.

    Audit action ``account.deactivated``. Codes: ``forbidden``, ``technical_account``,
    ``own_account`` (not oneself), ``role_not_allowed``, ``other_structure``,
    ``last_coordinator``.
    """
    _check_some_manager(actor)
    _lock_coordinators()
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_editable(user)
    if not user.is_active:
        return user
    if user.pk == actor.pk:
        raise AccountError(
            _("Vous ne pouvez pas désactiver votre propre compte."), code="own_account"
        )
    _check_team_actor(actor, role=user.role, structure_id=user.structure_id)
    _check_not_last_coordinator(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    log_action(
        actor=actor,
        action="account.deactivated",
        obj=user,
        summary=_("Compte %(username)s désactivé") % {"username": user.username},
    )
    return user


@transaction.atomic
def account_reactivate(*, actor, user: User) -> User:
    """Reactivates an account (its password, if it had one, works again). Idempotent.
    Same actors as `account_deactivate`. Audit action ``account.reactivated``. Codes:
    ``forbidden``, ``technical_account``, ``role_not_allowed``, ``other_structure``."""
    _check_some_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_editable(user)
    _check_team_actor(actor, role=user.role, structure_id=user.structure_id)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    log_action(
        actor=actor,
        action="account.reactivated",
        obj=user,
        summary=_("Compte %(username)s réactivé") % {"username": user.username},
    )
    return user


@transaction.atomic
def account_set_password(*, form) -> User:
    """Saves the password chosen through a link (a valid Django ``SetPasswordForm``: the
    password validators have run). The new hash invalidates the link.
    Audit action ``account.password_set``, by the account's owner."""
    user = form.save()
    log_action(
        actor=user,
        action="account.password_set",
        obj=user,
        summary=_("Mot de passe choisi pour %(username)s") % {"username": user.username},
    )
    return user


# --------------------------------------------------------------------------- password links


def password_link(user: User) -> str:
    """The absolute link (``SUIVI_BASE_URL``) where ``user`` chooses a password."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("formations:password_set", args=[uidb64, token])
    return settings.SUIVI_BASE_URL.rstrip("/") + path


def password_link_user(uidb64: str) -> User | None:
    """The active account a link's ``uidb64`` names, or None (malformed, unknown,
    deactivated): the link page then says the link is not valid."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    # Out of a bigint's range, some databases raise rather than find nothing.
    if not 0 < pk < 2**63:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def link_validity() -> str:
    """How long a link works, in French words (« 3 jours », « 12 heures »)."""
    seconds = int(settings.PASSWORD_RESET_TIMEOUT)
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)s jour", "%(count)s jours", days) % {"count": days}
    hours = max(1, round(seconds / 3600))
    return ngettext("%(count)s heure", "%(count)s heures", hours) % {"count": hours}


@transaction.atomic
def account_send_password_link(*, user: User, actor=None, reason: str = RESET) -> OutboxMessage:
    """Puts in the outbox an e-mail giving ``user`` a single-use link to choose their
    password (``reason``: INVITATION for a new account, RESET when a coordinator sends it
    again, FORGOTTEN when asked for on the login page, then ``actor`` is None). Delivered
    once the caller's transaction commits; not sent after the link's validity.

    Audit action ``account.password_link_sent``. Codes: ``forbidden``,
    ``technical_account`` (a coordinator sending it), ``inactive``, ``no_email``.
    """
    if reason not in LINK_REASONS:
        raise ValueError(reason)
    user = User.objects.get(pk=user.pk)  # a cached instance may predate a deactivation
    if actor is not None:
        _check_team_actor(actor, role=user.role, structure_id=user.structure_id)
        _check_editable(user)
    if not user.is_active:
        raise AccountError(
            _("Ce compte est désactivé : réactivez-le avant d'envoyer un lien."),
            code="inactive",
        )
    if not user.email:
        raise AccountError(
            _("Ce compte n'a pas d'adresse e-mail : ajoutez-en une pour envoyer le lien."),
            code="no_email",
        )
    expires = timezone.now() + dt.timedelta(seconds=int(settings.PASSWORD_RESET_TIMEOUT))
    context = {
        "user": user,
        "reason": reason,
        "url": password_link(user),
        "validity": link_validity(),
        "expires": timezone.localtime(expires),
        "login_url": settings.SUIVI_BASE_URL.rstrip("/") + reverse("login"),
    }
    with translation.override("fr"):
        subject = render_to_string(f"{EMAIL_TEMPLATES}/password_link_subject.txt", context)
        body = render_to_string(f"{EMAIL_TEMPLATES}/password_link.txt", context)
    message = outbox_enqueue(
        purpose="password_link",
        recipient=user.email,
        recipient_name=_name(user),
        subject=subject,
        body=body,
        about=user,
        requested_by=actor,
        expires_at=expires,
    )
    log_action(
        actor=actor,
        action="account.password_link_sent",
        obj=user,
        summary=_("Lien de mot de passe mis en file d'envoi pour %(name)s (%(email)s)")
        % {"name": _name(user), "email": user.email},
        data={"reason": reason, "email": user.email, "message": message.pk},
    )
    return message


def password_link_request(*, email: str) -> int:
    """« Mot de passe oublié » : sends a link to each active account having this e-mail
    (case ignored). Returns how many were sent; the page never tells (it must not reveal
    who has an account). A refusal is logged, not raised. At most
    ``SUIVI_PASSWORD_LINKS_PER_HOUR`` requests per address and hour are answered (counted
    in the shared cache, across every server), so the form cannot flood a mailbox."""
    email = email.strip()
    if not email:
        return 0
    if not rate_limit_hit(
        "password_link",
        email,
        limit=int(getattr(settings, "SUIVI_PASSWORD_LINKS_PER_HOUR", 3)),
        window_seconds=3600,
    ):
        logger.warning("forgotten-password requests over the hourly limit")
        return 0
    sent = 0
    users = User.objects.annotate(email_key=Lower("email")).filter(
        email_key=email.lower(), is_active=True
    )
    for user in users:
        try:
            account_send_password_link(user=user, reason=FORGOTTEN)
        except AccountError as exc:
            logger.warning("forgotten-password link for user %s: %s", user.pk, exc.code)
        else:
            sent += 1
    return sent
