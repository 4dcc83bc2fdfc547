"""Mass import of a structure's members: upload → preview (nothing written) → confirm.

The pages reuse the participant import's handling of uploads (`formations.views_import`:
the bytes wait in the private documents storage under a token kept in the user's session,
confirming claims the token once, so a double submit imports once) and its form's checks
(size, extension); the import itself is `formations.members_import.import_members`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alertes.selectors import alertes_structure
from formations.forms_import import ParticipantImportForm
from formations.members_import import MEMBER_COLUMNS, TEMPLATE_HEADER, import_members
from formations.tabular import forget_table, format_size, max_rows, max_upload_bytes
from formations.uploads import accepts_upload
from formations.views_import import consume_upload, load_upload, store_upload

TAB = "members"


def _bound_to(structure) -> str:
    """What a members' upload is bound to: this structure's members import
    (`formations.views_import.store_upload`)."""
    return f"members:{structure.pk}"


class MemberImportForm(ParticipantImportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].label = gettext_lazy("Fichier des adhérent·es (CSV ou XLSX)")


@accepts_upload("fichier")
@login_required
@require_http_methods(["GET", "POST"])
def member_import(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    form = MemberImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["fichier"]
        token = store_upload(
            request, file_name=upload.name, content=upload.read(), bound_to=_bound_to(structure)
        )
        return redirect("alertes:member_import_preview", structure=structure.pk, token=token)
    return render(
        request,
        "alertes/members_import/upload.html",
        {
            "structure": structure,
            "current": TAB,
            "form": form,
            "columns": MEMBER_COLUMNS,
            "max_size": format_size(max_upload_bytes()),
            "max_rows": max_rows(),
        },
    )


@login_required
@require_GET
def member_import_template(request, structure):
    """The empty CSV model: header row only, semicolons and a BOM so that a French Excel
    opens it in columns."""
    alertes_structure(user=request.user, pk=structure)
    content = "\ufeff" + ";".join(TEMPLATE_HEADER) + "\r\n"
    return HttpResponse(
        content.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="modele_adherents.csv"'},
    )


def _expired(request, structure):
    messages.warning(
        request,
        _("Cet import a déjà été confirmé ou a expiré : déposez le fichier à nouveau."),
    )
    return redirect("alertes:member_import", structure=structure.pk)


@login_required
@require_GET
def member_import_preview(request, structure, token):
    structure = alertes_structure(user=request.user, pk=structure)
    upload = load_upload(request, token, bound_to=_bound_to(structure))
    if upload is None:
        return _expired(request, structure)
    file_name, content = upload
    report = import_members(
        structure=structure,
        file_name=file_name,
        content=content,
        actor=request.user,
        dry_run=True,
        cache_key=token,
    )
    return render(
        request,
        "alertes/members_import/preview.html",
        {"structure": structure, "current": TAB, "report": report, "token": token},
    )


@login_required
@require_POST
def member_import_confirm(request, structure, token):
    structure = alertes_structure(user=request.user, pk=structure)
    upload = consume_upload(request, token, bound_to=_bound_to(structure))
    if upload is None:
        return _expired(request, structure)
    file_name, content = upload
    try:
        report = import_members(
            structure=structure,
            file_name=file_name,
            content=content,
            actor=request.user,
            cache_key=token,
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
    return render(
        request,
        "alertes/members_import/result.html",
        {"structure": structure, "current": TAB, "report": report, "done": True},
    )
