"""What `manage.py run_periodic` runs (cron, every five minutes).

`PERIODIC_JOBS` is a plain list, as for the panels: the base app lists its own job here,
and later apps append theirs in `AppConfig.ready()` (due evaluation invitations,
reminders, scheduled campaigns). Each job runs at most once per slot of `every`: a
`PeriodicRun` row keyed by (name, start of the slot) is inserted first, and the database's
unique constraint refuses the second insert, so running the command twice in the same
minute (two crons, a manual run) does nothing twice. A job should enqueue tasks rather
than do long work itself.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from formations.models import PeriodicRun

logger = logging.getLogger(__name__)

KEEP_RUNS = timedelta(days=30)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], dict | None]
    every: timedelta = timedelta(minutes=1)


def _outbox_due() -> dict:
    from formations.outbox import enqueue_due_messages

    return enqueue_due_messages()


def _space_link_requests() -> dict:
    from formations.space import space_link_requests_prune

    return {"deleted": space_link_requests_prune()}


def _forget_old_runs() -> dict:
    deleted, _detail = PeriodicRun.objects.filter(slot__lt=timezone.now() - KEEP_RUNS).delete()
    return {"deleted": deleted}


PERIODIC_JOBS: list[PeriodicJob] = [
    # Messages to (re)try: new ones whose task was lost, retries due, expired claims.
    PeriodicJob("outbox.deliver_due", _outbox_due),
    # Addresses typed on the space's sign-in page that no task took (worker down).
    PeriodicJob("space.forget_link_requests", _space_link_requests),
    PeriodicJob("periodic.forget_old_runs", _forget_old_runs, every=timedelta(days=1)),
]

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def slot_start(now: datetime, every: timedelta) -> datetime:
    """The start of the slot of length ``every`` holding ``now`` (UTC, from 2000-01-01)."""
    return now - (now - _EPOCH) % every


@dataclass
class Outcome:
    name: str
    ran: bool
    result: dict | None = None
    error: str = ""


def run_periodic(*, now: datetime | None = None, jobs=None) -> list[Outcome]:
    """Runs each job whose current slot has not run yet. A failing job is reported and
    does not stop the others (its slot stays taken: it runs again in the next slot)."""
    now = now or timezone.now()
    outcomes = []
    for job in PERIODIC_JOBS if jobs is None else jobs:
        slot = slot_start(now, job.every)
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(name=job.name, slot=slot)
        except IntegrityError:
            outcomes.append(Outcome(job.name, ran=False))
            continue
        try:
            result = job.run() or {}
        except Exception as exc:
            logger.exception("periodic job %s failed", job.name)
            result = {"error": f"{exc.__class__.__name__}: {exc}"[:500]}
            outcomes.append(Outcome(job.name, ran=True, result=result, error=result["error"]))
        else:
            outcomes.append(Outcome(job.name, ran=True, result=result))
        PeriodicRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), result=result)
    return outcomes
