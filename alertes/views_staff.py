"""The structure's team (« Équipe »): its administrator (or a coordinator) lists the
structure's accounts, creates staff accounts (the owner chooses a password through the
link e-mailed by the outbox), deactivates and reactivates them. The rules live in the
account services (`formations.accounts`), which check the actor again: an administrator
manages only the staff accounts of their own structure.

Another structure is a 404 (`alertes_structure`); the structure's own staff get a 403, as
on every page their role does not open."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from alertes.forms_staff import StaffAccountForm
from alertes.selectors import alertes_structure
from formations import accounts
from formations.forms_accounts import ConfirmForm
from formations.models import User
from formations.views_accounts import send_link


def _team_structure(request, pk):
    structure = alertes_structure(user=request.user, pk=pk)
    if not accounts.may_manage_team(request.user, structure):
        raise PermissionDenied
    return structure


@login_required
@require_GET
def staff_list(request, structure):
    structure = _team_structure(request, structure)
    return render(
        request,
        "alertes/staff/list.html",
        {
            "structure": structure,
            "current": "staff",
            "team": accounts.team_accounts_visible_to(user=request.user, structure=structure),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request, structure):
    structure = _team_structure(request, structure)
    form = StaffAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.account_create(
                actor=request.user,
                role=User.Role.STRUCTURE_STAFF,
                structure=structure,
                **form.service_kwargs(),
            )
        except accounts.AccountError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("Le compte « %(username)s » a été créé.") % {"username": account.username},
            )
            send_link(request, account, reason=accounts.INVITATION)
            return redirect("alertes:staff_list", structure=structure.pk)
    return render(
        request,
        "alertes/staff/form.html",
        {"structure": structure, "current": "staff", "form": form},
        status=400 if form.errors else 200,
    )


DEACTIVATE = {
    "title": gettext_lazy("Désactiver un compte de l'équipe"),
    "question": gettext_lazy(
        "Désactiver le compte de %(name)s (%(username)s) ? Cette personne ne pourra plus se "
        "connecter. Rien n'est supprimé : son nom reste sur les fiches et le journal, et le "
        "compte peut être réactivé."
    ),
    "button": gettext_lazy("Désactiver le compte"),
    "done": gettext_lazy("Le compte « %(username)s » est désactivé."),
    "danger": True,
}
REACTIVATE = {
    "title": gettext_lazy("Réactiver un compte de l'équipe"),
    "question": gettext_lazy(
        "Réactiver le compte de %(name)s (%(username)s) ? Cette personne pourra de nouveau se "
        "connecter avec son mot de passe."
    ),
    "button": gettext_lazy("Réactiver le compte"),
    "done": gettext_lazy("Le compte « %(username)s » est réactivé."),
    "danger": False,
}


def _account_action(request, structure, account, *, texts, perform):
    """A confirmation page (GET) and the action (POST, with the box ticked)."""
    structure = _team_structure(request, structure)
    account = get_object_or_404(
        accounts.team_accounts_visible_to(user=request.user, structure=structure), pk=account
    )
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            perform(actor=request.user, user=account)
        except accounts.AccountError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, texts["done"] % {"username": account.username})
            return redirect("alertes:staff_list", structure=structure.pk)
    name = account.get_full_name() or account.username
    return render(
        request,
        "alertes/staff/confirm.html",
        {
            "structure": structure,
            "current": "staff",
            "account": account,
            "form": form,
            "title": texts["title"],
            "question": texts["question"] % {"name": name, "username": account.username},
            "button": texts["button"],
            "danger": texts["danger"],
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_deactivate(request, structure, account):
    return _account_action(
        request, structure, account, texts=DEACTIVATE, perform=accounts.account_deactivate
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_reactivate(request, structure, account):
    return _account_action(
        request, structure, account, texts=REACTIVATE, perform=accounts.account_reactivate
    )
