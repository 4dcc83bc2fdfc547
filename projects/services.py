"""Writing a fiche projet. Every edit, whatever its part (data sheet, themes, projects,
team, road map, lessons), goes through `fiche_edit`, which checks the actor, refuses an
edit drawn from an older state, and records one `FicheRevision` (who, when, which part,
what changed, the state after) plus an audit journal entry.

    with fiche_edit(actor=user, programme=p, structure=s, part=_("Thématiques"),
                    expected_revision=form_revision) as fiche:
        fiche.priority_theme = theme
        fiche.save()

An edit that changes nothing records nothing. Errors: `ProjectsError` (codes
`not_partner`, `stale`) and `PermissionDenied` for an actor who may not edit.
"""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.french import de_structure
from formations.models import Programme, Structure
from projects.exceptions import ProjectsError
from projects.models import FicheRevision, ProjectFiche
from projects.permissions import is_partner
from projects.selectors import can_edit_fiche
from projects.snapshot import changes, snapshot


def _author_name(actor) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.get_username()


def ensure_can_edit(*, actor, programme: Programme, structure: Structure) -> None:
    """`None` is a management command or the demo, run by whoever operates the server."""
    if actor is not None and not can_edit_fiche(
        user=actor, programme=programme, structure=structure
    ):
        raise PermissionDenied


def fiche_for(*, programme: Programme, structure: Structure) -> ProjectFiche:
    """The fiche of a partner structure of the programme, created empty on first use (its
    territory taken from the structure)."""
    if not is_partner(programme=programme, structure=structure):
        raise ProjectsError(
            _("« %(structure)s » n'est pas une structure partenaire de ce programme.")
            % {"structure": structure.name},
            code="not_partner",
        )
    fiche, _created = ProjectFiche.objects.get_or_create(
        programme=programme, structure=structure, defaults={"territory": structure.territory}
    )
    return fiche


@contextmanager
def fiche_edit(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    part: str,
    expected_revision: int | None = None,
):
    """Yields the fiche, locked, inside a transaction; records the revision on the way
    out (see the module docstring). `expected_revision`: the `revision` the form showed;
    `None` skips the check (a command)."""
    ensure_can_edit(actor=actor, programme=programme, structure=structure)
    with transaction.atomic():
        fiche_for(programme=programme, structure=structure)
        fiche = ProjectFiche.objects.select_for_update().get(
            programme=programme, structure=structure
        )
        if expected_revision is not None and expected_revision != fiche.revision:
            raise ProjectsError(
                _(
                    "La fiche a été modifiée entre-temps (version %(current)s) : rechargez la "
                    "page pour voir ces changements, puis refaites le vôtre."
                )
                % {"current": fiche.revision},
                code="stale",
            )
        before = snapshot(fiche)
        yield fiche
        fiche.refresh_from_db()
        after = snapshot(fiche)
        diff = changes(before, after)
        if not diff:
            return
        fiche.revision += 1
        fiche.save(update_fields=["revision", "updated_at"])
        FicheRevision.objects.create(
            fiche=fiche,
            number=fiche.revision,
            author=actor,
            author_name=_author_name(actor),
            part=part,
            changes=diff,
            snapshot=after,
        )
        log_action(
            actor=actor,
            action="projects.fiche_edit",
            obj=fiche,
            summary=_("%(part)s — fiche projet %(of_structure)s, version %(n)s")
            % {"part": part, "of_structure": de_structure(structure.name), "n": fiche.revision},
            data={"revision": fiche.revision, "fields": [change["field"] for change in diff]},
        )
