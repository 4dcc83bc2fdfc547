"""Panels on the projects pages, for the apps above (livrables adds the fiche's documents
and the programme's livret), in the manner of `formations.panels`:
``panel(request, obj) -> (template_name, context) | None``, rendered with
``formations/_panels.html``.

* FICHE_PANELS: on a structure's fiche page; `obj` is a `FicheContext` (programme,
  structure, fiche or None before the first edit, can_edit).
* FICHE_LIST_PANELS: on a programme's list of fiches; `obj` is the programme.
"""

from dataclasses import dataclass

from formations.models import Programme, Structure
from formations.panels import Panel
from projects.models import ProjectFiche

FICHE_PANELS: list[Panel] = []
FICHE_LIST_PANELS: list[Panel] = []


@dataclass(frozen=True)
class FicheContext:
    programme: Programme
    structure: Structure
    fiche: ProjectFiche | None
    can_edit: bool
