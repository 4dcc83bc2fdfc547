"""The auditor's workspace: a funder auditor's home page (the dashboard's address, « / »).

Per operation (programme) their funders finance, each formation with what the other apps
register in `formations.panels.WORKSPACE_FORMATION_PANELS` (realised against planned hours,
audit risks, the service-fait statement, the certificates' ZIP…). Read-only: it links to
the pages and files the auditor may already open, and holds no form.
"""

from collections import defaultdict

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from formations import selectors
from formations.models import Funder, User
from formations.panels import (
    WORKSPACE_FORMATION_PANELS,
    WORKSPACE_PANELS,
    collect_panels,
    collect_workspace_panels,
)
from formations.permissions import RoleRequiredMixin

# French names a funder with its article (« le FEDER », « la Région Hauts-de-France »);
# a funder of kind « Autre » has no known article.
_ARTICLES = {
    Funder.Kind.FEDER: "le",
    Funder.Kind.FSE: "le",
    Funder.Kind.FSE_PLUS: "le",
    Funder.Kind.REGION: "la",
    Funder.Kind.DEPARTEMENT: "le",
    Funder.Kind.CAF: "la",
    Funder.Kind.ETAT: "le",
}


def _with_article(funder) -> str | None:
    article = _ARTICLES.get(funder.kind)
    if article is None:
        return None
    if funder.name[:1].lower() in "aeiouyéèêàâîôûh":
        return f"l'{funder.name}"
    return f"{article} {funder.name}"


def funders_phrase(funders) -> str:
    """« par le FEDER et le FSE » when every funder's article is known, else
    « de vos financeurs (FEDER, Autre) »: never « par FEDER, FSE »."""
    named = [_with_article(funder) for funder in funders]
    if named and all(named):
        listed = (
            named[0]
            if len(named) == 1
            else _("%(first)s et %(last)s")
            % {
                "first": ", ".join(named[:-1]),
                "last": named[-1],
            }
        )
        return _("par %(funders)s") % {"funders": listed}
    return _("de vos financeurs (%(names)s)") % {
        "names": ", ".join(funder.name for funder in funders)
    }


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
        auditor_funders = list(user.funders.order_by("name"))
        return super().get_context_data(
            auditor_funders=auditor_funders,
            funders_phrase=funders_phrase(auditor_funders),
            programmes=programmes,
            panels=collect_panels(WORKSPACE_PANELS, self.request, None),
            **kwargs,
        )
