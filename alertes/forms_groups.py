from django import forms
from django.utils.translation import gettext_lazy as _

from formations.models import MemberGroup


class GroupForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du groupe"),
        max_length=MemberGroup._meta.get_field("name").max_length,
        help_text=_("Par exemple : Petite enfance, Jeunesse, RSA, Culture."),
    )
    description = forms.CharField(
        label=_("Description (facultative)"),
        max_length=MemberGroup._meta.get_field("description").max_length,
        required=False,
    )

    def grouped_fields(self):
        return [("", [self["name"], self["description"]])]
