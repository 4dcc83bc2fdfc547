"""The form of a structure's team account (seed 002: « création des accès pour sa structure
(animateurs, travailleurs sociaux) »). No role, no structure: the page fixes them, and the
service (`formations.accounts.account_create`) checks them again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from formations.models import User


class StaffAccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]
        labels = {
            "username": _("Nom d’utilisateur"),
            "first_name": _("Prénom"),
            "last_name": _("Nom"),
            "email": _("E-mail"),
        }
        help_texts = {
            "username": _(
                "Pour se connecter. Lettres, chiffres et @ . + - _ ; ne change plus ensuite."
            ),
            "email": _("Le lien pour choisir son mot de passe y est envoyé."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "username": data["username"],
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "email": data["email"],
        }
