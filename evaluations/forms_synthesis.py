"""Forms of the synthesis pages: the reason a comment is hidden, the conclusion."""

from django import forms
from django.utils.translation import gettext_lazy

from evaluations.services_synthesis import REASON_MAX


class CommentHideForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi masquer ce commentaire ?"),
        max_length=REASON_MAX,
        help_text=gettext_lazy(
            "Ex. : il nomme une collègue ; il permet de reconnaître son auteur. Le motif est "
            "gardé dans l'historique ; le commentaire reste visible de la coordination."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
    )


class CommentShowForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi le rétablir ? (facultatif)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}),
    )


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(
        label=gettext_lazy("Conclusion de la coordination"),
        required=False,
        max_length=10_000,
        help_text=gettext_lazy(
            "Imprimée à la fin de la synthèse, telle quelle. N'y nommez personne."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
