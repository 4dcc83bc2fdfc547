"""Issuing the documents of the projects of a programme's structures: the fiche projet and
the fiche individuelle of a structure (subject: programme and structure, the fiche's
`revision` recorded in `fiche_revision`), and the livret of the programme (subject: the
programme). Each is issued as every document is (`livrables.services._issue`: rendered
once, kept, registered, superseding the standing document of the same kind and subject,
journaled).

Who issues: coordinators and the programme's trainers (they follow the teams between the
labos). A structure's referent downloads their own structure's fiche projet once issued,
never its fiche individuelle: that one prints the follow-up log, the provider's working
record hidden from referents; it is the provider's document for the funder
(`selectors.fiche_documents_for`)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from formations.permissions import can_manage
from livrables.data_fiches import (
    build_booklet_data,
    build_fiche_data,
    build_structure_fiche_data,
)
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.pdf.fiches import render_booklet, render_fiche, render_structure_fiche
from livrables.services import Subject, _issue
from projects.selectors import is_programme_trainer

FICHE_KINDS = (
    IssuedDocument.Kind.PROJECT_FICHE,
    IssuedDocument.Kind.STRUCTURE_FICHE,
)
BOOKLET = IssuedDocument.Kind.PROJECT_BOOKLET


def may_issue_fiches(user, programme) -> bool:
    """Coordinators, and the trainers of one of the programme's sessions."""
    if not getattr(user, "is_authenticated", False):
        return False
    return can_manage(user) or is_programme_trainer(user=user, programme=programme)


def _ensure_may_issue(actor, programme) -> None:
    if actor is not None and not may_issue_fiches(actor, programme):
        raise LivrablesError(
            _(
                "Seul·es la coordination et les formateur·rices du programme émettent les "
                "fiches et le livret."
            ),
            code="not_allowed",
        )


def _fiche_title(kind, data) -> str:
    # The public verification page shows it: a structure (an organisation), no person.
    return _("%(kind)s — %(structure)s — %(reference)s — %(programme)s") % {
        "kind": kind.label,
        "structure": data.fiche.structure_name,
        "reference": data.programme_reference,
        "programme": data.programme_title,
    }


def issue_fiche(*, kind: str, programme, structure, actor, now=None) -> IssuedDocument:
    """Issues the fiche projet (`kind` `project_fiche`) or the fiche individuelle
    (`structure_fiche`) of `structure` in `programme`, with the fiche's revision.

    Raises LivrablesError `not_allowed`, `not_partner`, `provider_missing`. Audit action
    `livrables.fiche_issued` or `livrables.structure_fiche_issued`, on the structure
    (data: number, sha256, bytes, programme, revision, supersedes)."""
    kind = IssuedDocument.Kind(kind)
    if kind not in FICHE_KINDS:
        raise ValueError(f"Not a fiche kind: {kind}")
    _ensure_may_issue(actor, programme)
    now = now or timezone.now()
    if kind == IssuedDocument.Kind.PROJECT_FICHE:
        data = build_fiche_data(programme=programme, structure=structure, now=now)
    else:
        data = build_structure_fiche_data(programme=programme, structure=structure, now=now)
    return issue_fiche_data(
        kind=kind, data=data, programme=programme, structure=structure, actor=actor, now=now
    )


RENDERING = {
    IssuedDocument.Kind.PROJECT_FICHE: (render_fiche, "fiche-projet", "livrables.fiche_issued"),
    IssuedDocument.Kind.STRUCTURE_FICHE: (
        render_structure_fiche,
        "fiche-individuelle",
        "livrables.structure_fiche_issued",
    ),
}


def issue_fiche_data(
    *, kind: str, data, programme, structure, actor, now, retention=None
) -> IssuedDocument:
    """Issues a fiche from its built data: the one path of `issue_fiche` and of the issue
    of every structure's fiches at once (`livrables.bulk_fiches`). Raises LivrablesError
    `not_allowed`."""
    kind = IssuedDocument.Kind(kind)
    _ensure_may_issue(actor, programme)
    render, prefix, action = RENDERING[kind]
    return _issue(
        data=data,
        render=render,
        filename_prefix=prefix,
        kind=kind,
        action=action,
        label=str(kind.label),
        subject=Subject(programme=programme, structure=structure),
        title=_fiche_title(kind, data),
        actor=actor,
        now=now,
        log_data={"programme": programme.pk, "revision": data.fiche.revision},
        public={"fiche_revision": data.fiche.revision},
        retention=retention,
    )


def issue_booklet(*, programme, actor, now=None) -> IssuedDocument:
    """Issues the livret of `programme`: every partner structure's fiche projet, with a
    table of contents. Rendered in the request: 18 structures take well under two seconds
    (README, « Fiches projet »).

    Raises LivrablesError `not_allowed`, `no_structure`, `provider_missing`. Audit action
    `livrables.booklet_issued`, on the programme (data: number, sha256, bytes,
    structures, supersedes)."""
    _ensure_may_issue(actor, programme)
    now = now or timezone.now()
    data = build_booklet_data(programme=programme, now=now)
    return _issue(
        data=data,
        render=render_booklet,
        filename_prefix="livret-projets",
        kind=BOOKLET,
        action="livrables.booklet_issued",
        label=str(BOOKLET.label),
        subject=Subject(programme=programme),
        title=_("%(kind)s — %(reference)s — %(programme)s")
        % {
            "kind": BOOKLET.label,
            "reference": data.programme_reference,
            "programme": data.programme_title,
        },
        actor=actor,
        now=now,
        log_data={"structures": len(data.fiches)},
    )
