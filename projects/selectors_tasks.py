"""Who sees and does what with intersession tasks, and the reads of the tasks pages.

* Setting tasks (the programme's list, creating, editing, deleting): coordinators and the
  programme's trainers (`may_set_tasks`). Anyone else: 404.
* A structure's tasks (seeing them, marking one done, undoing it, downloading its
  document): the structure's referent, coordinators and the programme's trainers
  (`may_follow_structure`), for a partner structure of the programme. Another structure's
  tasks are « not found » (404), never « forbidden ».

A task's state is derived at read time: « fait » (done_at set), « en retard » (open and its
due date passed), « à faire » (open).
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign
from formations.models import Programme, Structure
from formations.permissions import can_manage, is_structure_referent, is_trainer
from formations.selectors import programmes_visible_to
from projects.models import IntersessionTask, RoadmapAction
from projects.permissions import is_partner, may_follow
from projects.selectors_followup import reminder_recipients

DONE = "done"
OPEN = "open"
OVERDUE = "overdue"
STATE_LABELS = {DONE: _("Fait"), OPEN: _("À faire"), OVERDUE: _("En retard")}


def task_state(task: IntersessionTask, today: dt.date) -> str:
    if task.done_at is not None:
        return DONE
    return OVERDUE if task.due_on < today else OPEN


def days_late(task: IntersessionTask, today: dt.date) -> int:
    return max((today - task.due_on).days, 0)


def label_tasks(tasks, today: dt.date):
    """Sets `state`, `state_label` and `days_late` on each task (no query)."""
    for task in tasks:
        task.state = task_state(task, today)
        task.state_label = STATE_LABELS[task.state]
        task.days_late = days_late(task, today) if task.state == OVERDUE else 0
    return tasks


# --- Permissions -----------------------------------------------------------------------------


def may_set_tasks(*, user, programme: Programme) -> bool:
    """Coordinators and the programme's trainers."""
    return may_follow(user=user, programme=programme)


def may_follow_structure(*, user, programme: Programme, structure: Structure) -> bool:
    """The structure's referent, coordinators and the programme's trainers, for a partner
    structure of the programme."""
    if not user.is_authenticated or not is_partner(programme=programme, structure=structure):
        return False
    if is_structure_referent(user):
        return user.structure_id == structure.pk
    return may_set_tasks(user=user, programme=programme)


def task_programme(*, user, pk: int) -> Programme | None:
    """The programme whose tasks the user sets, or None (the page is then 404)."""
    programme = programmes_visible_to(user=user).filter(pk=pk).first()
    if programme is None or not may_set_tasks(user=user, programme=programme):
        return None
    return programme


def followed_structure(*, user, programme_pk: int, structure_pk: int):
    """(programme, structure) whose tasks the user may see, or None (404)."""
    programme = programmes_visible_to(user=user).filter(pk=programme_pk).first()
    structure = Structure.objects.filter(pk=structure_pk).first()
    if programme is None or structure is None:
        return None
    if not may_follow_structure(user=user, programme=programme, structure=structure):
        return None
    return programme, structure


# --- Choices offered by the forms ------------------------------------------------------------


def offered_campaigns(*, programme: Programme) -> QuerySet[Campaign]:
    """The evaluation campaigns of the programme's formations that are not cancelled."""
    return (
        Campaign.objects.filter(formation__programme_id=programme.pk, cancelled_at__isnull=True)
        .select_related("version__questionnaire", "formation", "session")
        .order_by("opens_at", "pk")
    )


def programme_roadmap_actions(*, programme: Programme) -> QuerySet[RoadmapAction]:
    """Every action of the road maps of the programme's fiches (the form names the
    structure of each; the service checks it is the task's structure's)."""
    return (
        RoadmapAction.objects.filter(axis__fiche__programme_id=programme.pk)
        .select_related("axis__fiche__structure")
        .order_by("axis__fiche__structure__sort_key", "axis__position", "position", "pk")
    )


# --- The programme's list --------------------------------------------------------------------


@dataclass
class TaskBatch:
    """The tasks set together (one per structure), as the programme's list shows them."""

    batch: uuid.UUID
    first: IntersessionTask
    tasks: list[IntersessionTask] = field(default_factory=list)

    @property
    def title(self):
        return self.first.title

    @property
    def kind_label(self):
        return self.first.get_kind_display()

    @property
    def due_on(self):
        return self.first.due_on

    @property
    def instructions(self):
        return self.first.instructions

    @property
    def campaign(self):
        return self.first.campaign

    def count(self, state: str) -> int:
        return sum(1 for task in self.tasks if task.state == state)

    @property
    def done(self) -> int:
        return self.count(DONE)

    @property
    def open(self) -> int:
        return self.count(OPEN)

    @property
    def overdue(self) -> int:
        return self.count(OVERDUE)

    @property
    def unreachable(self) -> list[IntersessionTask]:
        """Open tasks whose structure nobody can be reminded at (`reminder_recipients`)."""
        return [task for task in self.tasks if task.state != DONE and not task.reachable]


def reachable_structure_ids(*, programme: Programme, structures) -> set[int]:
    """The structures (among `structures`) a reminder can reach: the same rule as the
    follow-up's reminders (`selectors_followup.reminder_recipients`: the referent accounts
    with an e-mail address, else the project team's agents with one). Two queries."""
    return {
        answer.structure.pk
        for answer in reminder_recipients(programme=programme, structures=list(structures))
        if answer.recipients
    }


def unreachable_structures(batches: list[TaskBatch]) -> list[Structure]:
    """The structures with an open task that nobody can be reminded of, by name, once."""
    found = {task.structure_id: task.structure for batch in batches for task in batch.unreachable}
    return sorted(found.values(), key=lambda structure: (structure.sort_key, structure.pk))


def programme_task_batches(*, programme: Programme, today: dt.date) -> list[TaskBatch]:
    """The programme's tasks grouped by batch, the nearest due date first; each task
    labelled with its state and whether someone can be reminded. Three queries."""
    tasks = list(
        IntersessionTask.objects.filter(programme=programme)
        .select_related(
            "structure",
            "campaign__version__questionnaire",
            "campaign__formation",
            "roadmap_action",
        )
        .order_by("due_on", "created_at", "batch", "structure__sort_key", "pk")
    )
    structures = {task.structure_id: task.structure for task in tasks}
    reachable = reachable_structure_ids(programme=programme, structures=structures.values())
    batches: dict[uuid.UUID, TaskBatch] = {}
    for task in label_tasks(tasks, today):
        task.reachable = task.structure_id in reachable
        batches.setdefault(task.batch, TaskBatch(batch=task.batch, first=task)).tasks.append(task)
    # Within a batch, the structures in the order of the other lists (not as created).
    for batch in batches.values():
        batch.tasks.sort(key=lambda task: (task.structure.sort_key, task.pk))
    return list(batches.values())


def programme_batch(*, programme: Programme, batch: uuid.UUID) -> list[IntersessionTask]:
    return list(
        IntersessionTask.objects.filter(programme=programme, batch=batch)
        .select_related("structure")
        .order_by("structure__sort_key", "pk")
    )


def programme_task(*, programme: Programme, pk: int) -> IntersessionTask | None:
    return (
        IntersessionTask.objects.filter(programme=programme, pk=pk)
        .select_related("structure")
        .first()
    )


# --- A structure's side ---------------------------------------------------------------------


def structure_task_list(
    *, programme: Programme, structure: Structure, today: dt.date
) -> list[IntersessionTask]:
    """The structure's tasks of the programme: open ones first (nearest due date first),
    then those done (latest first). One query."""
    tasks = label_tasks(
        list(
            IntersessionTask.objects.filter(programme=programme, structure=structure)
            .select_related("campaign__version__questionnaire", "roadmap_action__axis", "done_by")
            .order_by("due_on", "pk")
        ),
        today,
    )
    open_tasks = [task for task in tasks if task.state != DONE]
    done = sorted(
        (task for task in tasks if task.state == DONE), key=lambda t: t.done_at, reverse=True
    )
    return open_tasks + done


def structure_task(
    *, programme: Programme, structure: Structure, pk: int
) -> IntersessionTask | None:
    return (
        IntersessionTask.objects.filter(programme=programme, structure=structure, pk=pk)
        .select_related("programme", "structure")
        .first()
    )


# --- Panels ----------------------------------------------------------------------------------


def overdue_tasks(*, user, today: dt.date) -> QuerySet[IntersessionTask]:
    """Open tasks past their due date, in the programmes the user sets tasks for (every
    programme for a coordinator), the longest overdue first."""
    qs = IntersessionTask.objects.filter(done_at__isnull=True, due_on__lt=today)
    if not can_manage(user):
        if not is_trainer(user):
            return qs.none()
        qs = qs.filter(programme__in=programmes_visible_to(user=user))
    return qs.select_related("structure", "programme").order_by("due_on", "pk")


def open_tasks_of_structure(*, structure_id: int, programmes=None) -> QuerySet[IntersessionTask]:
    """The structure's open tasks (every programme, or those of `programmes`)."""
    qs = IntersessionTask.objects.filter(structure_id=structure_id, done_at__isnull=True)
    if programmes is not None:
        qs = qs.filter(programme__in=programmes)
    return qs.select_related("programme").order_by("due_on", "pk")


def programmes_with_tasks_of_structure(
    *, structure_id: int, programmes=None
) -> QuerySet[Programme]:
    """The programmes (among `programmes`, or every one) where the structure has been set
    intersession tasks, open or done, by title."""
    tasks = IntersessionTask.objects.filter(structure_id=structure_id)
    if programmes is not None:
        tasks = tasks.filter(programme__in=programmes)
    return Programme.objects.filter(pk__in=tasks.values("programme")).order_by("title", "pk")
