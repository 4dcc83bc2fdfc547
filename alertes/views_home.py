"""The Alertes home pages. `/alertes/` takes a structure's administrator or staff to their
structure's home, and shows coordinators every structure; a structure's home gathers the
parts' panels (`alertes.panels.HOME_PANELS`). Seed 002 asks that validating a
registration and pressing the logo lead back here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from alertes.panels import HOME_PANELS
from alertes.selectors import alertes_structure, structures_with_member_counts
from formations.panels import collect_panels
from formations.permissions import can_manage, works_in_alertes


@login_required
@require_GET
def alertes_home(request):
    user = request.user
    if works_in_alertes(user):
        return redirect("alertes:structure_home", structure=user.structure_id)
    if not can_manage(user):
        raise PermissionDenied
    structures = list(structures_with_member_counts(user=user))
    return render(
        request,
        "alertes/home.html",
        {
            "structures": structures,
            # Those following members first; the many partner structures that do not
            # use Alertes (yet) folded away, still in French order.
            "following": [s for s in structures if s.member_count],
            "others": [s for s in structures if not s.member_count],
        },
    )


@login_required
@require_GET
def structure_home(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    return render(
        request,
        "alertes/structure_home.html",
        {
            "structure": structure,
            "current": "home",
            "panels": collect_panels(HOME_PANELS, request, structure),
        },
    )
