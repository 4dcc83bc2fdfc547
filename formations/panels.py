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


def collect_panels(registry: list[Panel], request: HttpRequest, obj=None) -> list[tuple[str, dict]]:
    """Call every panel of a registry, in registration order, and keep those that answer."""
    panels = []
    for panel in registry:
        result = panel(request, obj)
        if result is not None:
            template_name, context = result
            panels.append((template_name, dict(context or {})))
    return panels
