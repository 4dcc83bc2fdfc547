"""Intersession tasks on other pages (registered by `register_tasks`):

* the coordinator's dashboard (trainers: their programmes'): the tasks past their due date,
  every programme, the longest overdue first, with how many days late;
* a referent's dashboard: their structure's open tasks;
* the structure page: its open and overdue tasks, in the programmes the user follows, and
  a link to each programme's list of its tasks, whenever it has some (done ones too);
* the programme page: a link to the programme's intersession tasks.

Each panel costs a constant number of queries, whatever the number of tasks.
"""

from django.utils import timezone

from formations.permissions import can_manage, is_structure_referent, is_trainer
from formations.selectors import programmes_visible_to
from projects.selectors_tasks import (
    label_tasks,
    may_set_tasks,
    open_tasks_of_structure,
    overdue_tasks,
    programmes_with_tasks_of_structure,
)

# Rows shown on the dashboard; the others are counted.
DASHBOARD_SHOWN = 10


def dashboard_overdue_tasks_panel(request, obj=None):
    """Two queries (the rows, and the total when there are more)."""
    user = request.user
    if not (can_manage(user) or is_trainer(user)):
        return None
    today = timezone.localdate()
    overdue = overdue_tasks(user=user, today=today)
    rows = list(overdue[: DASHBOARD_SHOWN + 1])
    if not rows:
        return None
    total = len(rows) if len(rows) <= DASHBOARD_SHOWN else overdue.count()
    return (
        "projects/panels/dashboard_overdue_tasks.html",
        {
            "overdue_tasks": label_tasks(rows[:DASHBOARD_SHOWN], today),
            "overdue_total": total,
            "overdue_more": total - min(len(rows), DASHBOARD_SHOWN),
        },
    )


def dashboard_referent_tasks_panel(request, obj=None):
    """A referent's structure's open tasks, every programme it takes part in (one query)."""
    user = request.user
    if not is_structure_referent(user) or not user.structure_id:
        return None
    today = timezone.localdate()
    tasks = list(
        open_tasks_of_structure(
            structure_id=user.structure_id, programmes=programmes_visible_to(user=user)
        )
    )
    if not tasks:
        return None
    return (
        "projects/panels/referent_tasks.html",
        {"open_tasks": label_tasks(tasks, today), "structure_id": user.structure_id},
    )


def structure_tasks_panel(request, structure):
    """On the structure page: its open tasks in the programmes whose tasks the user sees
    (the structure's referent, coordinators, the programmes' trainers), and a link to all
    its tasks of each programme where it has some. Two queries."""
    user = request.user
    if is_structure_referent(user):
        if user.structure_id != structure.pk:
            return None
        programmes = programmes_visible_to(user=user)
    elif can_manage(user):
        programmes = None
    elif is_trainer(user):
        programmes = programmes_visible_to(user=user)
    else:
        return None
    today = timezone.localdate()
    with_tasks = list(
        programmes_with_tasks_of_structure(structure_id=structure.pk, programmes=programmes)
    )
    if not with_tasks:
        return None
    tasks = list(open_tasks_of_structure(structure_id=structure.pk, programmes=programmes))
    return (
        "projects/panels/structure_tasks.html",
        {
            "open_tasks": label_tasks(tasks, today),
            "structure": structure,
            "task_programmes": with_tasks,
        },
    )


def programme_tasks_panel(request, programme):
    """A link to the programme's intersession tasks, for those who set them."""
    if not programme.structures.exists() or not may_set_tasks(
        user=request.user, programme=programme
    ):
        return None
    return ("projects/panels/programme_tasks.html", {"programme": programme})
