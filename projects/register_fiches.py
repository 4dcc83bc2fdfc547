"""What the fiches part adds to other apps' pages, outbox and periodic jobs: called once by
`ProjectsConfig.ready()` (which may run twice in tests: add each thing once)."""

from formations import panels as registry
from projects.panels_fiches import (
    dashboard_fiche_panel,
    programme_fiches_panel,
    structure_fiches_panel,
)


def register() -> None:
    for panels, panel in (
        (registry.PROGRAMME_PANELS, programme_fiches_panel),
        (registry.STRUCTURE_PANELS, structure_fiches_panel),
        (registry.DASHBOARD_PANELS, dashboard_fiche_panel),
    ):
        if panel not in panels:
            panels.append(panel)
