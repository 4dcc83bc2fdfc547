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


def collect_panels(registry: list[Panel], request: HttpRequest, obj=None) -> list[tuple[str, dict]]:
    """Call every panel of a registry, in registration order, and keep those that answer."""
    panels = []
    for panel in registry:
        result = panel(request, obj)
        if result is not None:
            template_name, context = result
            panels.append((template_name, dict(context or {})))
    return panels
