"""Forms of the public verification pages."""

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def too_large_message() -> str:
    return _("Le fichier dépasse la taille maximale autorisée (%(max)s).") % {
        "max": filesizeformat(settings.SUIVI_MAX_UPLOAD_BYTES)
    }


class UploadLimitHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes `max_bytes`: the verification page is
    public, so nobody may make the server hold (in memory or in a temporary file) more than
    the limit. Placed first; the default handlers after it store what it lets through."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            # The rest of the body is read and discarded; the fields before the file
            # (the CSRF token) are kept.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class DocumentLookupForm(forms.Form):
    numero = forms.CharField(
        label=gettext_lazy("Numéro du document"),
        max_length=120,
        help_text=gettext_lazy(
            "Il figure en haut et en pied de chaque page du document, par exemple "
            "EMG-LABO-2021-1-20211006160000-3F9A. Recopiez-le exactement, majuscules comprises."
        ),
    )

    def clean_numero(self):
        number = self.cleaned_data["numero"].strip()
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

    def __init__(self, *args, upload_too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_too_large = upload_too_large
        if upload_too_large:
            # The handler dropped the file: report its size, not a missing file.
            self.fields["file"].required = False
        self.fields["file"].help_text = _(
            "Le fichier n'est pas conservé : seule son empreinte SHA-256 est calculée et "
            "comparée. %(max)s au maximum."
        ) % {"max": filesizeformat(settings.SUIVI_MAX_UPLOAD_BYTES)}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.upload_too_large or (
            upload is not None and upload.size > settings.SUIVI_MAX_UPLOAD_BYTES
        ):
            raise forms.ValidationError(too_large_message(), code="file_too_large")
        return upload
