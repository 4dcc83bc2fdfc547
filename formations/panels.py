"""Panels: how other apps show their data on formations pages without formations importing them.

Each registry is a plain list of callables
``panel(request, obj) -> (template_name, context) | None``. An app appends its panels in
its ``AppConfig.ready()``; the dashboard passes ``obj=None``.
A panel returns ``None`` when it has nothing to show (wrong role, no data); it does its own
scoping through the selectors, exactly as a view would.

The template is rendered with the page's context plus the panel's context: its keys are
available directly and also as ``ctx`` (``{{ ctx.sessions }}`` or ``{{ sessions }}``).
"""

from collections.abc import Callable

from django.http import HttpRequest

Panel = Callable[[HttpRequest, object], tuple[str, dict] | None]

DASHBOARD_PANELS: list[Panel] = []
FORMATION_PANELS: list[Panel] = []
PARTICIPANT_PANELS: list[Panel] = []
STRUCTURE_PANELS: list[Panel] = []
# On the programme page (projects adds the fiches projet and the follow-up of structures).
PROGRAMME_PANELS: list[Panel] = []
# On the session page (sessions never imports livrables: livrables adds its documents).
SESSION_PANELS: list[Panel] = []
# The participant's own space (`/mon-espace/`, formations.views_space): `obj` is the
# signed-in participant (also `request.participant`; `request.user` is anonymous). A panel
# here shows that person's own data only. SPACE_PANELS are sections of the page (sessions
# adds « Mes sessions » and « Mes heures »); SPACE_DOCUMENT_PANELS fill the « Mes
# documents » section (livrables adds the certificates); with none answering, the section
# says there is no document yet.
SPACE_PANELS: list[Panel] = []
SPACE_DOCUMENT_PANELS: list[Panel] = []

# The auditor's workspace (formations.views_workspace): one block per formation of the
# funders' operations, with what each app has to say of it (sessions: the hours and the
# audit risks; livrables: the service-fait statement, the certificates' ZIP…). A workspace
# panel is called ONCE per page with every formation shown, and answers
# ``{formation_pk: (template_name, context)}`` for the formations it has something to show
# of, reading them all together in a constant number of queries (never one per formation).
# The blocks of a formation follow the registry's order.
WorkspacePanel = Callable[[HttpRequest, list], dict[int, tuple[str, dict]]]
WORKSPACE_FORMATION_PANELS: list[WorkspacePanel] = []
# …and above the operations, what concerns the auditor across them (e.g. what awaits their
# validation): ordinary panels, ``panel(request, None)``, in a constant number of queries.
WORKSPACE_PANELS: list[Panel] = []


def collect_panels(registry: list[Panel], request: HttpRequest, obj=None) -> list[tuple[str, dict]]:
    """Call every panel of a registry, in registration order, and keep those that answer."""
    panels = []
    for panel in registry:
        result = panel(request, obj)
        if result is not None:
            template_name, context = result
            panels.append((template_name, dict(context or {})))
    return panels


def collect_workspace_panels(
    registry: list[WorkspacePanel], request: HttpRequest, formations: list
) -> dict[int, list[tuple[str, dict]]]:
    """Call every workspace panel once with all the formations; per formation, the blocks
    that answered, in registration order."""
    blocks: dict[int, list[tuple[str, dict]]] = {formation.pk: [] for formation in formations}
    if not formations:
        return blocks
    for panel in registry:
        for formation_pk, (template_name, context) in panel(request, formations).items():
            if formation_pk in blocks:
                blocks[formation_pk].append((template_name, dict(context or {})))
    return blocks
