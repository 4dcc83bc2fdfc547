"""The fiches projet on other pages (`formations.panels`): the programme page (counts and
links), the structure page (its fiche in each programme) and a structure referent's
dashboard (the way to their own fiche)."""

from formations.permissions import can_manage, is_structure_referent
from projects.selectors import fiche_programmes, fiche_structures
from projects.selectors_fiches import fiche_counts, structure_fiche_programmes


def programme_fiches_panel(request, programme):
    """« Fiches projet »: how many are started and complete, links to the list and (for
    coordinators) to the themes."""
    user = request.user
    if not fiche_structures(programme=programme, user=user).exists():
        return None
    referent = is_structure_referent(user)
    return (
        "projects/panels/programme_fiches.html",
        {
            "fiche_programme": programme,
            "fiche_counts": fiche_counts(programme=programme, user=user),
            "own_structure_id": user.structure_id if referent else None,
            "themes_link": can_manage(user),
        },
    )


def structure_fiches_panel(request, structure):
    """The structure's fiche in each programme it is a partner of."""
    # The programmes whose fiches the user may open, where the structure is a partner: the
    # same reach as `fiche_structures` (a referent sees only their own structure's page).
    rows = structure_fiche_programmes(structure=structure, user=request.user)
    if not rows:
        return None
    return (
        "projects/panels/structure_fiches.html",
        {"fiche_structure": structure, "fiche_rows": rows},
    )


def dashboard_fiche_panel(request, obj):
    """For a structure referent: « La fiche projet de votre structure », per programme."""
    user = request.user
    if not is_structure_referent(user) or not user.structure_id:
        return None
    programmes = list(fiche_programmes(user=user).order_by("-start_date", "pk"))
    if not programmes:
        return None
    return (
        "projects/panels/dashboard_fiche.html",
        {"fiche_programmes_list": programmes, "fiche_structure_id": user.structure_id},
    )
