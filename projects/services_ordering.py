"""Keeping ordered rows (team members, road map axes and actions, a programme's themes)
numbered 1..n without gaps: after any addition, removal or move, positions are rewritten
in order. Called under a lock that serialises the writers: `fiche_edit`'s on the fiche
row, the programme's row for its themes."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from projects.exceptions import ProjectsError

UP, DOWN = "up", "down"


def renumber(rows: QuerySet) -> list:
    """Rewrites `position` 1..n in the current order (position, pk); one update per row
    whose position changes."""
    ordered = list(rows.order_by("position", "pk"))
    changed = []
    for number, row in enumerate(ordered, start=1):
        if row.position != number:
            row.position = number
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])
    return ordered


def move_in(rows: QuerySet, pk: int, direction: str) -> bool:
    """Swaps the row `pk` with its neighbour above (`up`) or below (`down`); the first row
    going up or the last going down stays where it is. Returns whether it moved."""
    if direction not in (UP, DOWN):
        raise ProjectsError(_("Déplacement inconnu."), code="bad_direction")
    ordered = renumber(rows)
    index = next(i for i, row in enumerate(ordered) if row.pk == pk)
    other = index - 1 if direction == UP else index + 1
    if not 0 <= other < len(ordered):
        return False
    first, second = ordered[index], ordered[other]
    first.position, second.position = second.position, first.position
    type(first).objects.bulk_update([first, second], ["position"])
    return True
