"""Writing the road map (« feuille de route ») of a fiche: work axes in priority order
(position 1 first), each with its actions (title, owner, due date, status).

Every write goes through `services.fiche_edit`, one revision per act; positions of axes,
and of actions within an axis, stay 1..n without gaps after any change
(`services_ordering`). Codes of `ProjectsError`: `gone` (the axis or action was removed
meanwhile), `title_missing`, plus `stale` and `not_partner` of `fiche_edit`;
`PermissionDenied` for an actor who may not edit.
"""

import datetime as dt

from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.models import Programme, Structure
from projects.exceptions import ProjectsError
from projects.models import ActionStatus, ProjectFiche, RoadmapAction, RoadmapAxis
from projects.services import fiche_edit
from projects.services_ordering import move_in, renumber
from projects.validation import checked_save

ROADMAP_PART = gettext_lazy("Feuille de route")


def _edit(*, actor, programme, structure, expected_revision):
    return fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(ROADMAP_PART),
        expected_revision=expected_revision,
    )


def _axis(fiche: ProjectFiche, axis: RoadmapAxis | int) -> RoadmapAxis:
    try:
        return fiche.axes.get(pk=getattr(axis, "pk", axis))
    except RoadmapAxis.DoesNotExist:
        raise ProjectsError(
            _("Cet axe n'est plus dans la feuille de route : rechargez la page."), code="gone"
        ) from None


def _action(fiche: ProjectFiche, action: RoadmapAction | int) -> RoadmapAction:
    try:
        return RoadmapAction.objects.select_related("axis").get(
            pk=getattr(action, "pk", action), axis__fiche=fiche
        )
    except RoadmapAction.DoesNotExist:
        raise ProjectsError(
            _("Cette action n'est plus dans la feuille de route : rechargez la page."),
            code="gone",
        ) from None


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ProjectsError(_("Indiquez un intitulé."), code="title_missing", field="title")
    return title


# --- Axes ----------------------------------------------------------------------------------


def axis_add(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    expected_revision: int | None,
    title: str,
    description: str = "",
) -> RoadmapAxis:
    """A new axis, last in priority."""
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        last = fiche.axes.aggregate(last=Max("position"))["last"] or 0
        axis = RoadmapAxis(
            fiche=fiche, position=last + 1, title=_title(title), description=description.strip()
        )
        checked_save(axis)
    return axis


def axis_update(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    axis: RoadmapAxis | int,
    expected_revision: int | None,
    title: str,
    description: str = "",
) -> RoadmapAxis:
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        current = _axis(fiche, axis)
        current.title = _title(title)
        current.description = description.strip()
        checked_save(current)
    return current


def axis_delete(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    axis: RoadmapAxis | int,
    expected_revision: int | None,
) -> None:
    """Removes the axis with its actions; the axes below move up one place."""
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        _axis(fiche, axis).delete()
        renumber(fiche.axes.all())


def axis_move(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    axis: RoadmapAxis | int,
    direction: str,
    expected_revision: int | None,
) -> None:
    """One place up (a higher priority) or down."""
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        move_in(fiche.axes.all(), _axis(fiche, axis).pk, direction)


# --- Actions -------------------------------------------------------------------------------


def action_add(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    axis: RoadmapAxis | int,
    expected_revision: int | None,
    title: str,
    owner: str = "",
    due_on: dt.date | None = None,
    status: str = ActionStatus.TODO,
) -> RoadmapAction:
    """A new action, last of its axis."""
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        parent = _axis(fiche, axis)
        last = parent.actions.aggregate(last=Max("position"))["last"] or 0
        action = RoadmapAction(
            axis=parent,
            position=last + 1,
            title=_title(title),
            owner=owner.strip(),
            due_on=due_on,
            status=status,
        )
        checked_save(action)
    return action


def action_update(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    action: RoadmapAction | int,
    expected_revision: int | None,
    title: str,
    owner: str = "",
    due_on: dt.date | None = None,
    status: str = ActionStatus.TODO,
) -> RoadmapAction:
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        current = _action(fiche, action)
        current.title = _title(title)
        current.owner = owner.strip()
        current.due_on = due_on
        current.status = status
        checked_save(current)
    return current


def action_set_status(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    action: RoadmapAction | int,
    expected_revision: int | None,
    status: str,
) -> RoadmapAction:
    """The quick change of the road map page: the status only."""
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        current = _action(fiche, action)
        current.status = status
        checked_save(current, update_fields=["status"])
    return current


def action_delete(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    action: RoadmapAction | int,
    expected_revision: int | None,
) -> None:
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        current = _action(fiche, action)
        parent = current.axis
        current.delete()
        renumber(parent.actions.all())


def action_move(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    action: RoadmapAction | int,
    direction: str,
    expected_revision: int | None,
) -> None:
    """One place up or down within its axis."""
    with _edit(
        actor=actor, programme=programme, structure=structure, expected_revision=expected_revision
    ) as fiche:
        current = _action(fiche, action)
        move_in(current.axis.actions.all(), current.pk, direction)
