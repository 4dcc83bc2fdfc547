"""Participant import pages: upload → preview (nothing written) → confirm.

Between preview and confirm the uploaded bytes wait in MEDIA_ROOT/imports/<token>.bin,
referenced from the user's session; confirming consumes the file with an atomic rename,
so a double submit imports once (the second request finds nothing to confirm). The file is
parsed once per upload: the preview keeps the parsed table in Django's cache under the
token, and confirming takes it from there (`formations.tabular.read_table_cached`).
"""

import datetime as dt
import os
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
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
from formations.tabular import forget_table, format_size, max_rows, max_upload_bytes

SESSION_KEY = "participant_imports"
MAX_PENDING_PER_SESSION = 5
PENDING_TTL_SECONDS = 24 * 3600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _pending_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _pending_path(token: str) -> Path:
    return _pending_dir() / f"{token}.bin"


def _remove_stale_files() -> None:
    folder = _pending_dir()
    if not folder.is_dir():
        return
    limit = time.time() - PENDING_TTL_SECONDS
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def store_upload(request, *, file_name: str, content: bytes) -> str:
    """Keep the bytes server-side until the user confirms; returns the token."""
    _remove_stale_files()
    _pending_dir().mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(18)
    _pending_path(token).write_bytes(content)
    pending = dict(request.session.get(SESSION_KEY, {}))
    pending[token] = {"file_name": file_name, "stored_at": timezone.now().isoformat()}
    while len(pending) > MAX_PENDING_PER_SESSION:
        oldest = min(pending, key=lambda key: pending[key]["stored_at"])
        pending.pop(oldest)
        _pending_path(oldest).unlink(missing_ok=True)
        forget_table(oldest)
    request.session[SESSION_KEY] = pending
    return token


def load_upload(request, token: str) -> tuple[str, bytes] | None:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or not _TOKEN_RE.match(token):
        return None
    try:
        return entry["file_name"], _pending_path(token).read_bytes()
    except OSError:
        return None


def consume_upload(request, token: str) -> tuple[str, bytes] | None:
    """Take the upload out of the store. Only one request can win the rename."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if entry is None or not _TOKEN_RE.match(token):
        return None
    path = _pending_path(token)
    taken = path.with_name(f"{token}.{secrets.token_hex(4)}.taken")
    try:
        os.rename(path, taken)
    except OSError:
        return None
    try:
        return entry["file_name"], taken.read_bytes()
    finally:
        taken.unlink(missing_ok=True)


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
