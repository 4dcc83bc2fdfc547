"""The documents of the projects on the projects pages (`projects.panels`):

* on a structure's fiche page (`FICHE_PANELS`): its fiche projet and its fiche
  individuelle, the standing one of each with its state (« à rééditer » once the fiche or
  the structure's activity moved on since) and, for coordinators and the programme's
  trainers, the button that issues or reissues it; the funders' auditors download what is
  issued, the structure's referent its fiche projet only (the fiche individuelle prints
  the follow-up log hidden from them: `selectors.fiche_kinds_for`);
* on the programme's list of fiches (`FICHE_LIST_PANELS`): the livret of every structure's
  fiche projet, and the ZIP of all the structures' issued fiches.

Registered once from `LivrablesConfig.ready()`."""

import uuid

from django.urls import reverse

from formations.jobs import job_state, jobs_visible_to, running_job
from livrables.bulk_fiches import job_scope
from livrables.data import verification_url
from livrables.models import IssuedDocument
from livrables.selectors import document_states, fiche_documents_for, fiche_kinds_for, standing
from livrables.services_fiches import BOOKLET, FICHE_KINDS, may_issue_fiches

# Their names in the issuing address (`livrables:fiche_issue`).
FICHE_SLUGS = {
    "fiche-projet": IssuedDocument.Kind.PROJECT_FICHE,
    "fiche-individuelle": IssuedDocument.Kind.STRUCTURE_FICHE,
}
SLUG_OF = {kind: slug for slug, kind in FICHE_SLUGS.items()}


def _with_state(documents: list[IssuedDocument]) -> list[IssuedDocument]:
    states = document_states(documents)
    for document in documents:
        document.state = states[document.pk]
        document.verification_url = verification_url(document.number)
    return documents


def fiche_rows(*, user, programme, structure) -> list[dict]:
    """For each kind of fiche the user may see (a referent: the fiche projet only): the
    standing document (or None) and whether they may issue it. Two queries."""
    kinds = fiche_kinds_for(user=user)
    documents = _with_state(
        list(
            standing(
                fiche_documents_for(user=user).filter(
                    kind__in=kinds, programme_id=programme.pk, structure_id=structure.pk
                )
            ).order_by("-issued_at", "-pk")
        )
    )
    current = {}
    for document in documents:
        current.setdefault(document.kind, document)
    may_issue = may_issue_fiches(user, programme)
    return [
        {
            "kind": kind,
            "label": kind.label,
            "document": current.get(kind),
            "issue_url": reverse(
                "livrables:fiche_issue", args=[programme.pk, structure.pk, SLUG_OF[kind]]
            )
            if may_issue
            else "",
        }
        for kind in kinds
    ]


def fiche_documents_panel(request, context):
    rows = fiche_rows(user=request.user, programme=context.programme, structure=context.structure)
    if not any(row["document"] or row["issue_url"] for row in rows):
        return None
    return (
        "livrables/panels/fiche_documents.html",
        {
            "fiche_rows": rows,
            "shows_structure_fiche": IssuedDocument.Kind.STRUCTURE_FICHE
            in fiche_kinds_for(user=request.user),
        },
    )


def _job(request, programme, may_issue: bool):
    """The bulk issue named in `?emission=` (if the user may see it), else the one running
    on the programme (for those who may issue)."""
    try:
        asked = uuid.UUID(request.GET.get("emission", ""))
    except ValueError:
        asked = None
    scope = job_scope(programme)
    job = None
    if asked is not None:
        job = jobs_visible_to(user=request.user).filter(scope=scope, pk=asked).first()
    if job is None and may_issue:
        job = running_job(scope=scope)
    return job


def fiche_list_panel(request, programme):
    user = request.user
    may_issue = may_issue_fiches(user, programme)
    job = _job(request, programme, may_issue)
    visible = fiche_documents_for(user=user).filter(programme_id=programme.pk)
    booklet = _with_state(
        list(standing(visible.filter(kind=BOOKLET)).order_by("-issued_at", "-pk")[:1])
    )
    fiches = standing(visible.filter(kind__in=FICHE_KINDS)).exclude(storage_name="").count()
    if not (may_issue or booklet or fiches):
        return None
    return (
        "livrables/panels/fiche_list.html",
        {
            "booklet": booklet[0] if booklet else None,
            "booklet_issue_url": reverse("livrables:booklet_issue", args=[programme.pk])
            if may_issue
            else "",
            "fiches_count": fiches,
            "shows_structure_fiche": IssuedDocument.Kind.STRUCTURE_FICHE
            in fiche_kinds_for(user=user),
            "fiches_zip_url": reverse("livrables:fiches_zip", args=[programme.pk]),
            "fiches_bulk_url": reverse("livrables:fiches_bulk", args=[programme.pk])
            if may_issue
            else "",
            "fiches_job": job,
            "fiches_job_state": job_state(job) if job is not None else None,
            "fiches_refresh_url": f"?emission={job.pk}#fiche-booklet" if job else "",
        },
    )


def register() -> None:
    from projects.panels import FICHE_LIST_PANELS, FICHE_PANELS

    if fiche_documents_panel not in FICHE_PANELS:
        FICHE_PANELS.append(fiche_documents_panel)
    if fiche_list_panel not in FICHE_LIST_PANELS:
        FICHE_LIST_PANELS.append(fiche_list_panel)
