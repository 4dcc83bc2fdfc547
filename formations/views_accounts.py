"""Account pages: coordinators manage the people who use the application (list, create,
edit, deactivate / reactivate, send the password link again); the public pages where
someone chooses a password through a link, or asks for one (« mot de passe oublié »)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from formations import accounts, exports, filters, tables
from formations.forms_accounts import (
    AccountForm,
    ChoosePasswordForm,
    ConfirmForm,
    PasswordForgottenForm,
)
from formations.permissions import ManagerRequiredMixin
from formations.views import ListPageView


class AccountListView(ListPageView):
    allowed_roles = ()
    page_title = gettext_lazy("Comptes")
    exporter_class = exports.AccountExporter
    table_class = tables.AccountTable
    filterset_class = filters.AccountFilter
    create_url_name = "formations:account_create"

    def get_queryset(self):
        return accounts.accounts_visible_to(user=self.request.user).order_by(
            "last_name", "first_name", "username"
        )


class AccountDetailView(ManagerRequiredMixin, DetailView):
    template_name = "formations/accounts/detail.html"
    context_object_name = "account"

    def get_queryset(self):
        return accounts.accounts_visible_to(user=self.request.user)

    def get_context_data(self, **kwargs):
        account = self.object
        return super().get_context_data(
            technical=accounts.is_technical(account),
            history=accounts.account_history(user=account),
            is_self=account.pk == self.request.user.pk,
            **kwargs,
        )


def _add_service_error(form, exc) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def send_link(request, user, *, reason) -> None:
    """Queues the password link and says so; a refusal (no e-mail…) is a warning, not an
    error: the account exists and « Renvoyer le lien » is on its page."""
    try:
        accounts.account_send_password_link(user=user, actor=request.user, reason=reason)
    except accounts.AccountError as exc:
        messages.warning(
            request,
            _("Le lien pour choisir le mot de passe n'est pas parti : %(error)s")
            % {"error": exc.message},
        )
    else:
        messages.success(
            request,
            _(
                "Un lien pour choisir son mot de passe est en file d'envoi pour %(email)s "
                "(valable %(d)s)."
            )
            % {"email": user.email, "d": accounts.link_validity()},
        )


class AccountFormView(ManagerRequiredMixin, View):
    """Create (no pk) or edit an account."""

    template_name = "formations/form.html"

    def get_account(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(
            accounts.accounts_editable_by(user=self.request.user), pk=self.kwargs["pk"]
        )

    def get(self, request, pk=None):
        account = self.get_account()
        return self.render_page(account, AccountForm(instance=account))

    def post(self, request, pk=None):
        account = self.get_account()
        form = AccountForm(request.POST, instance=account)
        if form.is_valid():
            try:
                if account is None:
                    saved = accounts.account_create(actor=request.user, **form.service_kwargs())
                else:
                    saved = accounts.account_update(
                        actor=request.user, user=account, **form.service_kwargs()
                    )
            except accounts.AccountError as exc:
                _add_service_error(form, exc)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if account is None:
                    messages.success(
                        request, _("Le compte « %(username)s » a été créé.") % {"username": saved}
                    )
                    send_link(request, saved, reason=accounts.INVITATION)
                else:
                    messages.success(
                        request,
                        _("Le compte « %(username)s » a été modifié.") % {"username": saved},
                    )
                return redirect("formations:account_detail", pk=saved.pk)
        return self.render_page(account, form)

    def render_page(self, account, form):
        if account is None:
            title = _("Nouveau compte")
            cancel_url = reverse("formations:account_list")
        else:
            title = _("Modifier le compte « %(username)s »") % {"username": account.username}
            cancel_url = reverse("formations:account_detail", args=[account.pk])
        return render(
            self.request,
            self.template_name,
            {"form": form, "page_title": title, "cancel_url": cancel_url, "account": account},
        )


class AccountActionView(ManagerRequiredMixin, View):
    """A confirmation page (GET) and the action (POST, with the box ticked)."""

    template_name = "formations/accounts/confirm.html"
    title = ""
    question = ""
    button = ""
    danger = False

    def get_account(self):
        return get_object_or_404(
            accounts.accounts_editable_by(user=self.request.user), pk=self.kwargs["pk"]
        )

    def get(self, request, pk):
        return self.render_page(self.get_account(), ConfirmForm())

    def post(self, request, pk):
        account = self.get_account()
        form = ConfirmForm(request.POST)
        if form.is_valid():
            try:
                self.perform(account)
            except accounts.AccountError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("formations:account_detail", pk=account.pk)
        return self.render_page(account, form, status=400 if form.errors else 200)

    def perform(self, account):
        raise NotImplementedError

    def render_page(self, account, form, status=200):
        name = account.get_full_name() or account.username
        return render(
            self.request,
            self.template_name,
            {
                "account": account,
                "form": form,
                "title": self.title,
                "question": self.question % {"name": name, "username": account.username},
                "button": self.button,
                "danger": self.danger,
            },
            status=status,
        )


class AccountDeactivateView(AccountActionView):
    title = gettext_lazy("Désactiver un compte")
    question = gettext_lazy(
        "Désactiver le compte de %(name)s (%(username)s) ? Cette personne ne pourra plus se "
        "connecter. Rien n'est supprimé : son nom reste sur les feuilles, signatures et "
        "journal, et le compte peut être réactivé."
    )
    button = gettext_lazy("Désactiver le compte")
    danger = True

    def perform(self, account):
        accounts.account_deactivate(actor=self.request.user, user=account)
        messages.success(
            self.request, _("Le compte « %(username)s » est désactivé.") % {"username": account}
        )


class AccountReactivateView(AccountActionView):
    title = gettext_lazy("Réactiver un compte")
    question = gettext_lazy(
        "Réactiver le compte de %(name)s (%(username)s) ? Cette personne pourra de nouveau se "
        "connecter avec son mot de passe, ou en choisir un avec « Renvoyer le lien »."
    )
    button = gettext_lazy("Réactiver le compte")

    def perform(self, account):
        accounts.account_reactivate(actor=self.request.user, user=account)
        messages.success(
            self.request, _("Le compte « %(username)s » est réactivé.") % {"username": account}
        )


class AccountSendLinkView(ManagerRequiredMixin, View):
    """« Renvoyer le lien » (POST only, a button on the account's page)."""

    def post(self, request, pk):
        account = get_object_or_404(accounts.accounts_editable_by(user=request.user), pk=pk)
        send_link(request, account, reason=accounts.RESET)
        return redirect("formations:account_detail", pk=account.pk)


# --- Public pages ------------------------------------------------------------------------


@method_decorator(login_not_required, name="dispatch")
class PasswordSetView(PasswordResetConfirmView):
    """The link of the e-mail: Django's view (the token moves from the address into the
    session before the form shows, so it never leaks in a Referer), for active accounts
    only, saving through `accounts.account_set_password`. A forged, expired or used link
    gets a page saying so."""

    form_class = ChoosePasswordForm
    template_name = "formations/accounts/password_set.html"
    success_url = reverse_lazy("login")

    def get_user(self, uidb64):
        return accounts.password_link_user(uidb64)

    def form_valid(self, form):
        accounts.account_set_password(form=form)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        messages.success(
            self.request, _("Votre mot de passe est enregistré : vous pouvez vous connecter.")
        )
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            account=self.user, validity=accounts.link_validity(), **kwargs
        )


@method_decorator(login_not_required, name="dispatch")
class PasswordForgottenView(FormView):
    template_name = "formations/accounts/password_forgotten.html"
    form_class = PasswordForgottenForm

    def form_valid(self, form):
        accounts.password_link_request(email=form.cleaned_data["email"])
        return redirect("formations:password_forgotten_done")


@method_decorator(login_not_required, name="dispatch")
class PasswordForgottenDoneView(TemplateView):
    template_name = "formations/accounts/password_forgotten_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(validity=accounts.link_validity(), **kwargs)
