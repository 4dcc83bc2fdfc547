"""Participant import pages: upload → preview (nothing written) → confirm.

Between preview and confirm the uploaded bytes wait in the private documents storage
(`imports/<token>.bin`, see `formations.storage`), referenced from the user's session; they
are read and written through the storage API only, so the storage may be an object store.
Confirming claims the token once (`cache.add`, atomic in every cache backend that several
processes share) before reading the file, so a double submit imports once (the second
request finds nothing to confirm). The file is parsed once per upload: the preview keeps
the parsed table in Django's cache under the token, and confirming takes it from there
(`formations.tabular.read_table_cached`).
"""

import datetime as dt
import re
import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from formations.forms_import import ParticipantImportForm
from formations.importing import (
    COLUMNS,
    TEMPLATE_HEADER,
    import_participants,
    kinds_with_spellings,
)
from formations.permissions import ManagerRequiredMixin
from formations.storage import documents_storage
from formations.tabular import forget_table, format_size, max_rows, max_upload_bytes

SESSION_KEY = "participant_imports"
MAX_PENDING_PER_SESSION = 5
PENDING_TTL_SECONDS = 24 * 3600
PENDING_FOLDER = "imports"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def pending_name(token: str) -> str:
    """Name of a pending upload in the documents storage."""
    return f"{PENDING_FOLDER}/{token}.bin"


def _remove_stale_files() -> None:
    storage = documents_storage()
    limit = timezone.now() - dt.timedelta(seconds=PENDING_TTL_SECONDS)
    try:
        _folders, names = storage.listdir(PENDING_FOLDER)
    except FileNotFoundError:
        return
    for name in names:
        path = f"{PENDING_FOLDER}/{name}"
        try:
            if storage.get_modified_time(path) < limit:
                storage.delete(path)
        except (OSError, NotImplementedError):
            pass


def _delete_pending(token: str) -> None:
    try:
        documents_storage().delete(pending_name(token))
    except OSError:
        pass


def store_upload(request, *, file_name: str, content: bytes, bound_to: str = "") -> str:
    """Keep the bytes server-side until the user confirms; returns the token.

    `bound_to` names what the upload was previewed for ("members:<structure pk>"; empty:
    the participants' import): the preview and the confirmation must name the same, or
    they are a 404 (a token of one structure's preview confirmed under another's URL
    would import the file there)."""
    _remove_stale_files()
    token = secrets.token_urlsafe(18)
    documents_storage().save(pending_name(token), ContentFile(content))
    pending = dict(request.session.get(SESSION_KEY, {}))
    pending[token] = {
        "file_name": file_name,
        "stored_at": timezone.now().isoformat(),
        "bound_to": bound_to,
    }
    while len(pending) > MAX_PENDING_PER_SESSION:
        oldest = min(pending, key=lambda key: pending[key]["stored_at"])
        pending.pop(oldest)
        _delete_pending(oldest)
        forget_table(oldest)
    request.session[SESSION_KEY] = pending
    return token


def _read_pending(token: str) -> bytes | None:
    try:
        with documents_storage().open(pending_name(token), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _ensure_bound(entry: dict | None, bound_to: str) -> None:
    if entry is not None and entry.get("bound_to", "") != bound_to:
        raise Http404


def load_upload(request, token: str, *, bound_to: str = "") -> tuple[str, bytes] | None:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    _ensure_bound(entry, bound_to)
    if entry is None or not _TOKEN_RE.match(token):
        return None
    content = _read_pending(token)
    return None if content is None else (entry["file_name"], content)


def consume_upload(request, token: str, *, bound_to: str = "") -> tuple[str, bytes] | None:
    """Take the upload out of the store. Only one request can win the claim. A token
    stored for something else (`bound_to`) is a 404 and stays where it is."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    _ensure_bound(pending.get(token), bound_to)
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if entry is None or not _TOKEN_RE.match(token):
        return None
    if not cache.add(f"participant-import-claimed:{token}", True, PENDING_TTL_SECONDS):
        return None
    content = _read_pending(token)
    _delete_pending(token)
    return None if content is None else (entry["file_name"], content)


class ParticipantImportView(ManagerRequiredMixin, FormView):
    template_name = "formations/import/upload.html"
    form_class = ParticipantImportForm
    upload_field = "fichier"  # formations.uploads: the only file this page accepts

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            columns=COLUMNS,
            max_size=format_size(max_upload_bytes()),
            max_rows=max_rows(),
            kinds=kinds_with_spellings(),
            **kwargs,
        )

    def form_valid(self, form):
        upload = form.cleaned_data["fichier"]
        token = store_upload(self.request, file_name=upload.name, content=upload.read())
        return redirect("formations:participant_import_preview", token=token)


class ParticipantImportTemplateView(ManagerRequiredMixin, View):
    """The empty CSV model: header row only, semicolons and a BOM so that a French Excel
    opens it in columns."""

    def get(self, request):
        content = "\ufeff" + ";".join(TEMPLATE_HEADER) + "\r\n"
        return HttpResponse(
            content.encode("utf-8"),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="modele_participants.csv"'},
        )


def _expired(request):
    messages.warning(
        request,
        _("Cet import a déjà été confirmé ou a expiré : déposez le fichier à nouveau."),
    )
    return redirect("formations:participant_import")


class ParticipantImportPreviewView(ManagerRequiredMixin, View):
    def get(self, request, token):
        upload = load_upload(request, token)
        if upload is None:
            return _expired(request)
        file_name, content = upload
        report = import_participants(
            file_name=file_name, content=content, actor=request.user, dry_run=True, cache_key=token
        )
        return render(
            request,
            "formations/import/preview.html",
            {"report": report, "token": token, "uploaded_at": _stored_at(request, token)},
        )


def _stored_at(request, token):
    entry = request.session.get(SESSION_KEY, {}).get(token) or {}
    try:
        return dt.datetime.fromisoformat(entry["stored_at"])
    except (KeyError, ValueError):
        return None


class ParticipantImportConfirmView(ManagerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, token):
        upload = consume_upload(request, token)
        if upload is None:
            return _expired(request)
        file_name, content = upload
        try:
            report = import_participants(
                file_name=file_name, content=content, actor=request.user, cache_key=token
            )
        finally:
            forget_table(token)
        if report.has_errors:
            messages.error(
                request,
                _(
                    "Import refusé : le fichier contient des erreurs (les données ont pu changer "
                    "depuis l'aperçu). Rien n'a été enregistré ; corrigez le fichier et "
                    "déposez-le à nouveau."
                ),
            )
        return render(request, "formations/import/result.html", {"report": report})
