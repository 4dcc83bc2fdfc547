"""The auditor's workspace: a funder auditor's home page (the dashboard's address, « / »).

Per operation (programme) their funders finance, each formation with what the other apps
register in `formations.panels.WORKSPACE_FORMATION_PANELS` (realised against planned hours,
audit risks, the service-fait statement, the certificates' ZIP…). Read-only: it links to
the pages and files the auditor may already open, and holds no form.
"""

from collections import defaultdict

from django.views.generic import TemplateView

from formations import selectors
from formations.models import User
from formations.panels import (
    WORKSPACE_FORMATION_PANELS,
    WORKSPACE_PANELS,
    collect_panels,
    collect_workspace_panels,
)
from formations.permissions import RoleRequiredMixin


class AuditorWorkspaceView(RoleRequiredMixin, TemplateView):
    """Reached through `DashboardView` for funder auditors only. A constant number of
    queries whatever the number of programmes and formations: the funders, the
    programmes with theirs, the formations, then each workspace panel once for all (and
    the page's own panels, `WORKSPACE_PANELS`, above the operations)."""

    allowed_roles = (User.Role.FUNDER_AUDITOR,)
    template_name = "formations/workspace.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        formations = list(
            selectors.formations_visible_to(user=user).order_by("contract_reference", "pk")
        )
        blocks = collect_workspace_panels(WORKSPACE_FORMATION_PANELS, self.request, formations)
        by_programme = defaultdict(list)
        for formation in formations:
            formation.workspace_blocks = blocks[formation.pk]
            by_programme[formation.programme_id].append(formation)
        programmes = list(
            selectors.programmes_with_funders(user=user).order_by("-start_date", "reference")
        )
        for programme in programmes:
            programme.workspace_formations = by_programme.get(programme.pk, [])
        return super().get_context_data(
            auditor_funders=list(user.funders.order_by("name")),
            programmes=programmes,
            panels=collect_panels(WORKSPACE_PANELS, self.request, None),
            **kwargs,
        )
