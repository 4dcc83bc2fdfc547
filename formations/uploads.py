"""One guard for every file upload of the site.

A request may carry at most one file, in the one field its view declares (`upload_field`
on the view class, or `@accepts_upload("file")` on a view function), and no more than
`SUIVI_MAX_UPLOAD_BYTES` in all. Anything else is refused before it is stored: the public
verification page once accepted an anonymous request of 90 files of 10 MB each (900 MB of
temporary files), because the limit was counted per file and every field was taken.

`UploadGuardMiddleware` installs the guard ahead of Django's handlers and reads the body
itself, before the CSRF check would: the limits must hold while the body is read. A refused
request gets a short page in French, 413 when too large, 400 otherwise; the file being read
when the guard stopped is closed (its temporary file deleted) at once, files read before it
when the request ends.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import UnreadablePostError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from formations.french import size_label

TOO_LARGE = "too_large"
SEVERAL_FILES = "several_files"
UNEXPECTED_FIELD = "unexpected_field"


def accepts_upload(field: str, *, max_bytes=None):
    """Declares the one file field a view function accepts. `max_bytes(view_kwargs)`:
    the limit for that request when it is not `SUIVI_MAX_UPLOAD_BYTES` (the public
    verification page of an audit pack takes a larger ZIP)."""

    def decorate(view):
        view.upload_field = field
        if max_bytes is not None:
            view.upload_max_bytes = max_bytes
        return view

    return decorate


# The Django admin (technical accounts only) takes a file in whichever file field its form
# has (a funder's logo): still one file, within the size limit.
ANY_FIELD = object()


def upload_field_of(view_func, request=None):
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "admin":
        return ANY_FIELD
    field = getattr(view_func, "upload_field", None)
    view_class = getattr(view_func, "view_class", None)
    if field is None and view_class is not None:
        field = getattr(view_class, "upload_field", None)
    return field


class UploadGuard(FileUploadHandler):
    """Counts the bytes of all the files of a request together and stops reading at the
    first breach; records why in `refusal`. Placed first, it passes what it accepts on to
    Django's memory and temporary-file handlers."""

    def __init__(self, request=None, *, field: str | None, max_bytes: int):
        super().__init__(request)
        self.field = field
        self.max_bytes = max_bytes
        self.received = 0
        self.files = 0
        self.refusal: str | None = None

    def _refuse(self, reason: str):
        self.refusal = reason
        # The rest of the body is read and thrown away (nothing stored), so that the
        # client gets the answer instead of a reset connection.
        raise StopUpload(connection_reset=False)

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.files += 1
        if self.field is not ANY_FIELD and field_name != self.field:
            self._refuse(UNEXPECTED_FIELD)
        if self.files > 1:
            self._refuse(SEVERAL_FILES)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self._refuse(TOO_LARGE)
        return raw_data

    def file_complete(self, file_size):
        return None


def refusal_message(reason: str, *, field: str | None, max_bytes: int | None = None) -> str:
    if reason == TOO_LARGE:
        return _(
            "Le fichier dépasse la taille maximale autorisée (%(max)s). Rien n'a été "
            "enregistré : choisissez un fichier plus petit."
        ) % {"max": size_label(max_bytes or settings.SUIVI_MAX_UPLOAD_BYTES)}
    if reason == SEVERAL_FILES:
        return _("Un seul fichier peut être déposé à la fois. Rien n'a été enregistré.")
    if field is None:
        return _("Cette page n'accepte aucun fichier. Rien n'a été enregistré.")
    return _(
        "Ce formulaire n'accepte un fichier que dans son champ prévu. Rien n'a été enregistré."
    )


def _back_url(request) -> str:
    """The page the form was on (some upload views answer POST only), else this one."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.get_full_path()


class UploadGuardMiddleware:
    """Place before `CsrfViewMiddleware`: its `process_view` must read the body first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.content_type.startswith("multipart/"):
            return None
        field = upload_field_of(view_func, request)
        limit = getattr(view_func, "upload_max_bytes", None)
        max_bytes = limit(view_kwargs) if limit is not None else settings.SUIVI_MAX_UPLOAD_BYTES
        guard = UploadGuard(request, field=field, max_bytes=max_bytes)
        request.upload_handlers.insert(0, guard)
        try:
            request.POST  # noqa: B018 — reads the body now, through the guard
        except UnreadablePostError:
            return None  # the client went away; the CSRF check answers as it always did
        if guard.refusal is None:
            return None
        status = 413 if guard.refusal == TOO_LARGE else 400
        return render(
            request,
            "upload_refused.html",
            {
                "message": refusal_message(guard.refusal, field=field, max_bytes=max_bytes),
                "code": guard.refusal,
                "back_url": _back_url(request),
            },
            status=status,
        )
