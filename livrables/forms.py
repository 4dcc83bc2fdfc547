"""Forms of the public verification pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.french import size_label


def too_large_message(max_bytes: int | None = None) -> str:
    return _("Le fichier dépasse la taille maximale autorisée (%(max)s).") % {
        "max": size_label(max_bytes or settings.SUIVI_MAX_UPLOAD_BYTES)
    }


class DocumentLookupForm(forms.Form):
    numero = forms.CharField(
        label=gettext_lazy("Numéro du document"),
        max_length=120,
        help_text=gettext_lazy(
            "Il figure en haut et en pied de chaque page du document (feuille d'émargement, "
            "certificat de réalisation, attestation ou certificat d'assiduité), par exemple "
            "CR-F4-P100-20261129115422-6129 ; pour un dossier de justificatifs, dans son "
            "fichier LISEZMOI.txt (DOS-…). Les minuscules sont acceptées et les espaces "
            "ignorés."
        ),
    )

    def clean_numero(self):
        # No number holds a space: one copied from a PDF may have gained some.
        number = "".join(self.cleaned_data["numero"].split())
        if "/" in number:
            raise forms.ValidationError(
                _("Un numéro de document ne contient pas de barre oblique « / »."),
                code="bad_number",
            )
        return number


class DocumentCheckForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier PDF à comparer"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, pack: bool = False, **kwargs):
        """`pack`: the document is an audit pack (a ZIP, with its own size limit)."""
        super().__init__(*args, **kwargs)
        self.max_bytes = max_check_bytes(pack=pack)
        field = self.fields["file"]
        if pack:
            field.label = _("Fichier ZIP à comparer")
            field.widget.attrs["accept"] = "application/zip,.zip"
        field.help_text = _(
            "Le fichier n'est pas conservé : seule son empreinte SHA-256 est calculée et "
            "comparée. %(max)s au maximum."
        ) % {"max": size_label(self.max_bytes)}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        # `formations.uploads` refuses larger requests before they reach the form; this is
        # the second line of defence.
        if upload is not None and upload.size > self.max_bytes:
            raise forms.ValidationError(too_large_message(self.max_bytes), code="file_too_large")
        return upload


def max_check_bytes(*, pack: bool) -> int:
    """The largest file the public verification page compares: a pack's ZIP has its own
    setting (`SUIVI_MAX_PACK_CHECK_BYTES`), every other document the uploads' limit."""
    if pack:
        return max(settings.SUIVI_MAX_PACK_CHECK_BYTES, settings.SUIVI_MAX_UPLOAD_BYTES)
    return settings.SUIVI_MAX_UPLOAD_BYTES


class RevocationForm(forms.Form):
    motif = forms.CharField(
        label=gettext_lazy("Motif de la révocation"),
        max_length=2000,
        error_messages={"required": gettext_lazy("Indiquez le motif de la révocation.")},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Gardé au registre et au journal d'audit ; la page publique de vérification dit "
            "seulement « révoqué le … », sans le motif."
        ),
    )
