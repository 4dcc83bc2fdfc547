"""Forms of the account pages. They collect and check the shape of the input; the rules
(a referent's structure, an auditor's funders, unique identifiers, the last coordinator)
are the services' (`formations.accounts`), whose errors the views put on the fields."""

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from formations.forms import FieldsetsMixin
from formations.models import Funder, Structure, User


class AccountForm(FieldsetsMixin, forms.ModelForm):
    """Create (all fields) or edit (no username) an account. No password field: the
    owner chooses it through the link sent by e-mail."""

    fieldsets = [
        (_("Identité"), ("username", "first_name", "last_name", "email")),
        (_("Rôle et périmètre"), ("role", "funders", "structure")),
    ]

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "funders", "structure"]
        widgets = {"funders": forms.CheckboxSelectMultiple}
        labels = {"username": _("Nom d’utilisateur"), "email": _("E-mail")}
        help_texts = {
            "username": _(
                "Pour se connecter. Lettres, chiffres et @ . + - _ ; ne change plus ensuite."
            ),
            "email": _("Le lien pour choisir le mot de passe y est envoyé."),
            "role": _(
                "Coordination : tout ; formateur·rice : ses sessions ; auditeur·rice : les "
                "opérations de ses financeurs, en lecture ; référent·e : sa structure ; "
                "administrateur·rice de structure : sa structure comme un·e référent·e, ses "
                "adhérent·es (Alertes) et les comptes de son équipe ; équipe de structure : "
                "les adhérent·es de sa structure (Alertes), rien des formations."
            ),
            "funders": _("Pour un·e auditeur·rice financeur seulement (au moins un)."),
            "structure": _(
                "Pour un·e référent·e, un·e administrateur·rice ou l'équipe d'une structure "
                "seulement (obligatoire)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["funders"].queryset = Funder.objects.order_by("name")
        self.fields["structure"].queryset = Structure.objects.order_by("sort_key", "pk")
        self.fields["structure"].empty_label = _("— aucune —")
        if self.instance.pk:
            del self.fields["username"]
        else:
            # No role by default: the model's (coordinator) would hand out every right to
            # whoever forgets to change it.
            self.fields["role"].choices = [("", _("— choisissez —")), *User.Role.choices]
            self.initial["role"] = ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") in User.STRUCTURE_ROLES and not cleaned.get("structure"):
            self.add_error(
                "structure",
                _(
                    "Choisissez la structure : un·e référent·e, un·e administrateur·rice ou "
                    "l'équipe d'une structure y est rattaché·e et ne voit qu'elle."
                ),
            )
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "email": data["email"],
            "role": data["role"],
            "structure": data.get("structure"),
            "funders": list(data.get("funders") or []),
        }
        if "username" in self.fields:
            kwargs["username"] = data["username"]
        return kwargs


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme"),
        error_messages={"required": _("Cochez la case pour confirmer.")},
    )


class PasswordForgottenForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail de votre compte"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ChoosePasswordForm(SetPasswordForm):
    """Django's form (password validators, confirmation), with French labels of our own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Nouveau mot de passe")
        self.fields["new_password2"].label = _("Le même, pour confirmer")
