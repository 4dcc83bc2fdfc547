from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from formations.permissions import can_manage
from formations.selectors import (
    formations_visible_to,
    provider_identity,
    structures_visible_to,
)
from formations.space import participant_required
from formations.uploads import accepts_upload
from livrables.exceptions import LivrablesError
from livrables.forms import (
    DocumentCheckForm,
    DocumentLookupForm,
    RevocationForm,
    max_check_bytes,
)
from livrables.models import IssuedDocument
from livrables.pack.services import NUMBER_PREFIX as PACK_NUMBER_PREFIX
from livrables.permissions import may_issue_certificate, may_issue_sheet
from livrables.selectors import (
    CERTIFICATE_SLUGS,
    blank_sheet_sessions_for,
    certificate_participants_for,
    compare_file,
    current_kept_document,
    document_state,
    documents_visible_to,
    issued_document_by_number,
    issued_file,
    last_revoked_document,
    own_certificates,
    session_fully_sealed,
    sheet_extract_sessions_for,
    sheet_issue_sessions_for,
    sheet_sessions_for,
)
from livrables.services import (
    DocumentFile,
    blank_sheet,
    issue_certificate,
    issue_sheet,
    issue_sheet_extract,
    issue_structure_certificate,
    preview_sheet,
    revoke_document,
)


def document_response(document: DocumentFile) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    patch_cache_control(response, private=True, no_store=True)
    return response


def kept_document_response(request, record: IssuedDocument) -> HttpResponse:
    """The kept bytes of an issued document, or a page saying why they cannot be served
    (gone, or altered behind the application's back: never served as genuine)."""
    try:
        return document_response(issued_file(document=record))
    except LivrablesError as error:
        return render(
            request,
            "livrables/document_unavailable.html",
            {"document": record, "message": error.message},
            # Known and explained: the server cannot serve it now, not a crash.
            status=503,
        )


def session_page(session) -> str:
    return reverse("sessions:session_detail", args=[session.pk])


@require_GET
def session_sheet(request, pk: int):
    """The session's signed sheet: the issued one, byte for byte, when it exists; a
    provisional preview while some half-day is not sealed; otherwise a page saying that it
    has not been issued yet (with the button for those who may issue it)."""
    session = get_object_or_404(sheet_sessions_for(user=request.user), pk=pk)
    record = current_kept_document(kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session=session)
    if record is not None:
        return kept_document_response(request, record)
    if not session_fully_sealed(session=session):
        return document_response(preview_sheet(session=session, actor=request.user))
    return render(
        request,
        "livrables/not_issued.html",
        {
            "session": session,
            "extract": False,
            "revoked": last_revoked_document(
                kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session=session
            ),
            "can_issue": may_issue_sheet(request.user, session),
            "issue_url": "livrables:session_sheet_issue",
        },
        status=404,
    )


@require_POST
def session_sheet_issue(request, pk: int):
    session = get_object_or_404(sheet_issue_sessions_for(user=request.user), pk=pk)
    try:
        record = issue_sheet(session=session, actor=request.user)
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    return redirect(session_page(session))


@require_GET
def session_sheet_extract(request, pk: int):
    """The referent's extract for their structure: the issued one, a provisional preview,
    or a page saying it has not been issued yet, as for the whole sheet."""
    session = get_object_or_404(sheet_extract_sessions_for(user=request.user), pk=pk)
    structure = request.user.structure
    record = current_kept_document(
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT, session=session, structure=structure
    )
    if record is not None:
        return kept_document_response(request, record)
    if not session_fully_sealed(session=session):
        return document_response(
            preview_sheet(session=session, structure=structure, actor=request.user)
        )
    return render(
        request,
        "livrables/not_issued.html",
        {
            "session": session,
            "extract": True,
            "revoked": last_revoked_document(
                kind=IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT,
                session=session,
                structure=structure,
            ),
            "can_issue": True,
            "issue_url": "livrables:session_sheet_extract_issue",
        },
        status=404,
    )


@require_POST
def session_sheet_extract_issue(request, pk: int):
    session = get_object_or_404(sheet_extract_sessions_for(user=request.user), pk=pk)
    try:
        record = issue_sheet_extract(
            session=session, structure=request.user.structure, actor=request.user
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    return redirect(session_page(session))


def issued_message(record: IssuedDocument) -> str:
    replaced = list(record.replaces_entries.select_related("document"))
    if replaced:
        return _("Document n° %(number)s émis (%(kind)s) ; il remplace le n° %(old)s.") % {
            "kind": record.get_kind_display(),
            "number": record.number,
            "old": ", ".join(entry.document.number for entry in replaced),
        }
    return _("Document n° %(number)s émis (%(kind)s).") % {
        "kind": record.get_kind_display(),
        "number": record.number,
    }


@require_POST
def certificate_issue(request, pk: int, formation_pk: int, kind: str):
    """Coordinators issue one participant's certificat de réalisation or attestation
    d'assiduité for one formation (`services.issue_certificate`); a participant out of
    the user's reach is 404, one in reach but not theirs to issue for is 403."""
    participant = get_object_or_404(certificate_participants_for(user=request.user), pk=pk)
    if not may_issue_certificate(request.user):
        raise PermissionDenied
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=formation_pk)
    document_kind = CERTIFICATE_SLUGS.get(kind)
    if document_kind is None:
        raise Http404
    try:
        record = issue_certificate(
            kind=document_kind, participant=participant, formation=formation, actor=request.user
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    return redirect(participant.get_absolute_url() + "#participant-certificates")


def structure_certificates_page(structure_pk: int) -> str:
    return reverse("formations:structure_detail", args=[structure_pk]) + "#structure-certificates"


@require_POST
def structure_certificate_issue(request, pk: int, formation_pk: int):
    """Coordinators issue (or reissue) the certificat d'assiduité of one structure in one
    formation (`services.issue_structure_certificate`); a structure out of the user's
    reach is 404, one in reach but not theirs to issue for is 403."""
    structure = get_object_or_404(structures_visible_to(user=request.user), pk=pk)
    if not may_issue_certificate(request.user):
        raise PermissionDenied
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=formation_pk)
    try:
        record = issue_structure_certificate(
            structure=structure, formation=formation, actor=request.user
        )
    except LivrablesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, issued_message(record))
    return redirect(structure_certificates_page(structure.pk))


@require_GET
def session_blank_sheet(request, pk: int):
    session = get_object_or_404(blank_sheet_sessions_for(user=request.user), pk=pk)
    return document_response(blank_sheet(session=session, actor=request.user))


@require_GET
def document_download(request, number: str):
    """One issued document by its number, byte for byte, for whoever may see it (a
    superseded or revoked one too: it stays what was handed out)."""
    record = get_object_or_404(documents_visible_to(user=request.user), number=number)
    return kept_document_response(request, record)


@require_GET
@participant_required
def space_document(request, number: str):
    """A participant's own certificate, from their space, byte for byte: another person's
    number is « introuvable », like a number that does not exist."""
    record = get_object_or_404(own_certificates(participant=request.participant), number=number)
    return kept_document_response(request, record)


@require_http_methods(["GET", "POST"])
def document_revoke(request, number: str):
    """Coordinators withdraw an issued document, with a reason."""
    record = get_object_or_404(
        documents_visible_to(user=request.user).select_related(
            "session", "participant", "structure"
        ),
        number=number,
    )
    if not can_manage(request.user):
        raise PermissionDenied
    state = document_state(document=record)
    back_url, back_label = subject_page(record)
    form = RevocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoke_document(document=record, actor=request.user, reason=form.cleaned_data["motif"])
        except LivrablesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Document n° %(number)s révoqué.") % {"number": record.number}
            )
            return redirect(back_url)
    return render(
        request,
        "livrables/revoke.html",
        {
            "document": record,
            "state": state,
            "form": form,
            "back_url": back_url,
            "back_label": back_label,
            "time_zone": record.session.time_zone if record.session else settings.TIME_ZONE,
        },
        status=400 if form.errors else 200,
    )


def subject_page(record: IssuedDocument) -> tuple[str, str]:
    """Where a document is listed, with its name: the page the revocation form came from,
    and returns to (« Annuler », or once revoked). The documents panel of its session, its
    person's certificates, its structure's; the public page for a document of none."""
    if record.session_id:
        return session_page(record.session), _("Session %(code)s") % {"code": record.session.code}
    if record.participant_id:
        return (
            reverse("formations:participant_detail", args=[record.participant_id])
            + "#participant-certificates",
            record.participant.full_name,
        )
    if record.structure_id:
        return structure_certificates_page(record.structure_id), record.structure.name
    return (
        reverse("livrables:verify_document", args=[record.number]),
        _("Vérification du document"),
    )


@login_not_required
@require_GET
def verify_lookup(request):
    form = DocumentLookupForm(request.GET or None)
    if form.is_valid():
        number = form.cleaned_data["numero"]
        document = issued_document_by_number(number=number)
        return redirect("livrables:verify_document", number=document.number if document else number)
    return render(request, "livrables/verify_lookup.html", {"form": form})


def issuer_name() -> str:
    """Who issued the documents, as the public page names them: the training organisation
    (its legal name, once a coordinator has set its identity) with the software it used,
    or the software alone."""
    provider = provider_identity()
    if provider is None:
        return _("Suivi Formations")
    return _("%(organisation)s (avec Suivi Formations)") % {"organisation": provider.legal_name}


def _check_limit(view_kwargs) -> int:
    # Known from the number's prefix, without a query: audit packs are numbered DOS-….
    number = str(view_kwargs.get("number", ""))
    return max_check_bytes(pack=number.upper().startswith(f"{PACK_NUMBER_PREFIX}-"))


@login_not_required
@accepts_upload("file", max_bytes=_check_limit)
@require_http_methods(["GET", "POST"])
def verify_document(request, number: str):
    document = issued_document_by_number(number=number)
    if document is None:
        return render(
            request,
            "livrables/verify_unknown.html",
            {
                "number": number,
                "form": DocumentLookupForm(),
                "provisional": number.upper().startswith("PROV-"),
                "blank": number.upper().startswith("EMV-"),
            },
            status=404,
        )
    if document.number != number and request.method == "GET":
        # Typed in lower case: the page lives at the number as it is printed.
        return redirect("livrables:verify_document", number=document.number)
    comparison = None
    pack = document.kind == IssuedDocument.Kind.AUDIT_PACK
    if request.method == "POST":
        form = DocumentCheckForm(request.POST, request.FILES, pack=pack)
        if form.is_valid():
            comparison = compare_file(document=document, uploaded_file=form.cleaned_data["file"])
    else:
        form = DocumentCheckForm(pack=pack)
    time_zone = document.session.time_zone if document.session else settings.TIME_ZONE
    return render(
        request,
        "livrables/verify_document.html",
        {
            "document": document,
            "issuer": issuer_name(),
            "state": document_state(document=document),
            "form": form,
            "comparison": comparison,
            "pack": pack,
            "time_zone": time_zone,
        },
    )
