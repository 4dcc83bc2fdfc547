"""Livrables on other apps' pages (`formations.panels`): the documents issued for a
session, on the session page, with the buttons to issue, reissue and revoke them; the
certificates of a formation (and of a sealed session), with the bulk issue and the ZIP; a
participant's certificates on their page; a structure's certificats d'assiduité on the
structure's page; a participant's own certificates in their space."""

import uuid
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import long_date
from formations.jobs import job_state, jobs_visible_to, running_job
from formations.permissions import can_manage, is_funder_auditor, is_structure_referent
from livrables.bulk import BULK_KINDS, Scope, bulk_states
from livrables.data import verification_url
from livrables.models import IssuedDocument
from livrables.panels_deliverables import (
    dashboard_deliverables_panel,
    formation_deliverables_panel,
)
from livrables.panels_expenses import formation_expenses_panel
from livrables.panels_pack import audit_pack_panel
from livrables.panels_service_fait import service_fait_panel
from livrables.panels_synthesis import formation_syntheses_panel
from livrables.panels_workspace import (
    workspace_certificates_panel,
    workspace_deliverables_panel,
    workspace_pack_panel,
    workspace_service_fait_panel,
)
from livrables.permissions import may_issue_certificate, may_issue_sheet
from livrables.selectors import (
    CERTIFICATE_SLUGS,
    own_certificates,
    participant_certificates,
    session_documents,
    session_fully_sealed,
    sheet_extract_sessions_for,
    sheet_sessions_for,
    structure_certificates,
)
from livrables.zips import may_download_zip
from sessions.models import TrainingSession


def session_documents_panel(request, session):
    """The session's issued sheets (a referent: their structure's extracts), each with its
    state, and what the user may do: issue the sheet once every half-day is sealed,
    reissue it (the new one supersedes the old), revoke (coordinators)."""
    user = request.user
    referent = is_structure_referent(user)
    scope = sheet_extract_sessions_for if referent else sheet_sessions_for
    if not scope(user=user).filter(pk=session.pk).exists():
        return None
    kind = (
        IssuedDocument.Kind.ATTENDANCE_SHEET_EXTRACT
        if referent
        else IssuedDocument.Kind.ATTENDANCE_SHEET
    )
    documents = session_documents(user=user, session=session)
    for document in documents:
        document.verification_url = verification_url(document.number)
    current = next(
        (d for d in documents if d.kind == kind and d.state.is_current and d.storage_name),
        None,
    )
    # The newest of its kind, if revoked and not replaced: from the documents already
    # read (no query of its own), as `selectors.last_revoked_document` decides it.
    latest = next((d for d in documents if d.kind == kind and not d.state.superseded_at), None)
    revoked = latest if current is None and latest and latest.state.revoked_at else None
    return (
        "livrables/panels/session_documents.html",
        {
            "documents": documents,
            "current": current,
            "revoked": revoked,
            "referent": referent,
            "sealed": session_fully_sealed(session=session),
            "can_issue": referent or may_issue_sheet(user, session),
            "can_revoke": can_manage(user),
            "bulk": None
            if referent
            else certificates_bulk_context(
                request, Scope(formation=session.formation, session=session)
            ),
        },
    )


def certificates_bulk_context(request, scope: Scope) -> dict | None:
    """What the « Certificats » section shows for `scope`: per kind (the people's two
    certificates, the structures' certificats d'assiduité), how many subjects and how many
    documents stand up to date, « à rééditer » or are missing; the bulk issue's
    form (coordinators), its progress box (the job named in `?emission=`, or one running on
    the scope) and the ZIP link (coordinators and the funders' auditors). None for anyone
    else, or for a session not yet fully sealed."""
    user = request.user
    can_issue = may_issue_certificate(user)
    if not (can_issue or may_download_zip(user=user, formation=scope.formation)):
        return None
    if scope.session is not None and (
        scope.session.status == TrainingSession.Status.CANCELLED
        or not session_fully_sealed(session=scope.session)
    ):
        return None
    job = None
    try:
        asked = uuid.UUID(request.GET.get("emission", ""))
    except ValueError:
        asked = None
    # A job of the formation or of one of its sessions: the one running holds off the
    # others (`bulk.certificates_bulk_start`), so the page shows it whichever it is.
    family = Q(scope=scope.formation_key) | Q(scope__startswith=f"{scope.formation_key}:")
    if asked is not None:
        job = jobs_visible_to(user=user).filter(family, pk=asked).first()
    if job is None and can_issue:
        job = running_job(scope=scope.formation_key, within=True)
    states = bulk_states(scope=scope)
    return {
        "scope": scope,
        "states": states,
        # The people's count (the structures' is on their line of the counts).
        "people": max(
            (
                state.subjects
                for state in states
                if BULK_KINDS[state.kind].subject_field == "participant_id"
            ),
            default=0,
        ),
        # Whether the ZIP of the standing documents would hold any.
        "standing": any(state.up_to_date or state.to_reissue for state in states),
        "kinds": [(entry.slug, entry.label) for entry in BULK_KINDS.values()],
        "can_issue": can_issue,
        "issue_url": reverse("livrables:session_certificates_bulk", args=[scope.session.pk])
        if scope.session is not None
        else reverse("livrables:formation_certificates_bulk", args=[scope.formation.pk]),
        "zip_url": scope.zip_url,
        "job": job,
        "job_state": job_state(job) if job is not None else None,
        # Once the job has finished, the page read again shows the new counts.
        "refresh_url": f"?emission={job.pk}#certificates" if job is not None else "",
    }


def formation_certificates_panel(request, formation):
    """« Certificats » on the formation page: the bulk issue for everyone with a fully
    sealed session of the formation, its progress and the ZIP."""
    context = certificates_bulk_context(request, Scope(formation=formation))
    if context is None:
        return None
    return ("livrables/panels/formation_certificates.html", {"bulk": context})


def participant_certificates_panel(request, participant):
    """On a participant's page: per formation the person is enrolled in, the certificat de
    réalisation and the attestation d'assiduité issued (with their state, download and
    verification links) and, for coordinators, the buttons to issue them. Shown to
    coordinators, the person's structure referent and auditors of their funders'
    programmes (`selectors.certificate_participants_for`)."""
    user = request.user
    # The page already found the person through `participants_visible_to`: only the roles
    # remain to check, without a query (`selectors.certificate_participants_for`).
    if not (
        can_manage(user)
        or is_funder_auditor(user)
        or (is_structure_referent(user) and participant.structure_id == user.structure_id)
    ):
        return None
    rows = participant_certificates(user=user, participant=participant)
    for row in rows:
        for document in row.documents:
            document.verification_url = verification_url(document.number)
        row.issue_actions = [
            certificate_issue_action(slug, kind, row.documents)
            for slug, kind in CERTIFICATE_SLUGS.items()
        ]
    return (
        "livrables/panels/participant_certificates.html",
        {"certificate_rows": rows, "can_issue_certificates": may_issue_certificate(user)},
    )


@dataclass(frozen=True)
class CertificateIssueAction:
    """One issue button of a participant's formation: `current` the document of its kind
    standing (a new one replaces it: « Rééditer »), or `revoked` the newest one when it
    was revoked and nothing replaced it."""

    slug: str
    kind: str
    current: IssuedDocument | None
    revoked: IssuedDocument | None


def certificate_issue_action(slug: str, kind: str, documents: list) -> CertificateIssueAction:
    """From the row's documents (newest first, with their state): no query, and the same
    rule as `selectors.StructureCertificateRow.current` / `.revoked`."""
    of_kind = [d for d in documents if d.kind == kind]
    current = next((d for d in of_kind if d.state.is_current and d.storage_name), None)
    latest = next((d for d in of_kind if not d.state.superseded_at), None)
    revoked = latest if current is None and latest and latest.state.revoked_at else None
    return CertificateIssueAction(slug=slug, kind=kind, current=current, revoked=revoked)


def structure_certificates_panel(request, structure):
    """On a structure's page: per formation where the structure has people enrolled, its
    certificat d'assiduité (state, download and verification links) and, for coordinators,
    the button to issue or reissue it. Shown to coordinators, the structure's own referent
    and auditors (for the formations of their funders' programmes); trainers see no
    certificate."""
    user = request.user
    # The page already found the structure through `structures_visible_to`: only the roles
    # remain to check, without a query.
    if not (
        can_manage(user)
        or is_funder_auditor(user)
        or (is_structure_referent(user) and structure.pk == user.structure_id)
    ):
        return None
    rows = structure_certificates(user=user, structure=structure)
    for row in rows:
        for document in row.documents:
            document.verification_url = verification_url(document.number)
    return (
        "livrables/panels/structure_certificates.html",
        {"structure_certificate_rows": rows, "can_issue_certificates": may_issue_certificate(user)},
    )


def space_certificates_panel(request, participant):
    """« Mes documents » in the participant's own space: their standing certificates, to
    download (`livrables:space_document`). One query."""
    documents = list(own_certificates(participant=participant))
    if not documents:
        return None
    return (
        "formations/space/_documents.html",
        {
            "documents": [
                {
                    "title": _("%(kind)s — %(formation)s")
                    % {"kind": document.get_kind_display(), "formation": document.formation.title},
                    "url": reverse("livrables:space_document", args=[document.number]),
                    "detail": _("n° %(number)s, émis le %(date)s")
                    % {
                        "number": document.number,
                        "date": long_date(timezone.localtime(document.issued_at)),
                    },
                }
                for document in documents
            ]
        },
    )


def register(registry) -> None:
    """Appends the panels to `formations.panels` once (`ready()` may run twice in tests),
    in page order; the workspace's blocks come after sessions' hours and audit risks."""
    for panels, panel in (
        (registry.SESSION_PANELS, session_documents_panel),
        (registry.PARTICIPANT_PANELS, participant_certificates_panel),
        (registry.STRUCTURE_PANELS, structure_certificates_panel),
        (registry.FORMATION_PANELS, formation_certificates_panel),
        (registry.FORMATION_PANELS, formation_expenses_panel),
        (registry.FORMATION_PANELS, service_fait_panel),
        (registry.FORMATION_PANELS, formation_deliverables_panel),
        (registry.FORMATION_PANELS, audit_pack_panel),
        (registry.FORMATION_PANELS, formation_syntheses_panel),
        (registry.DASHBOARD_PANELS, dashboard_deliverables_panel),
        (registry.SPACE_DOCUMENT_PANELS, space_certificates_panel),
        (registry.WORKSPACE_FORMATION_PANELS, workspace_deliverables_panel),
        (registry.WORKSPACE_FORMATION_PANELS, workspace_service_fait_panel),
        (registry.WORKSPACE_FORMATION_PANELS, workspace_certificates_panel),
        (registry.WORKSPACE_FORMATION_PANELS, workspace_pack_panel),
    ):
        if panel not in panels:
            panels.append(panel)
