"""Background tasks of the base app (Django's tasks framework; the database backend of
django-tasks-db and its `db_worker` in the demo and in production).

The task queue only says « look at these rows »: what must survive a crash (claims,
attempts, status) lives on the outbox rows, since django-tasks-db has no retries or
leases and leaves a killed worker's task « running » for ever."""

from django.tasks import task

from formations import outbox
from formations.jobs import job_advance
from formations.models import OutboxMessage

# After a delivery attempt, these statuses mean « will not go ». A message waiting for a
# retry (en attente) is processed for the job's progress, not failed: the outbox page
# follows it.
NOT_SENT = {OutboxMessage.Status.FAILED, OutboxMessage.Status.ABANDONED}


@task
def deliver_messages(message_ids: list[int], job_id: str | None = None) -> dict:
    """Delivers each of the outbox messages still due, advancing the job if any. Returns
    how many ended in each status (None: nothing to do for this task)."""

    def advance(status):
        if job_id is not None:
            job_advance(job_id=job_id, failed=1 if status in NOT_SENT else 0)

    # The job finishes when its last item is counted (`job_advance`), whichever task
    # counts it.
    outcomes = outbox.deliver_pending(message_ids=message_ids, on_each=advance)
    counts: dict[str, int] = {}
    for status in outcomes.values():
        key = str(status) if status else "skipped"
        counts[key] = counts.get(key, 0) + 1
    return counts


@task
def send_space_links(request_id: int) -> int:
    """The lookup behind the space's sign-in page, off the request: the page does the same
    work (write a `SpaceLinkRequest`, enqueue this with its id) whether the address is
    known or not. The address is read from that row, deleted as it is read: it is never
    among this task's arguments, which the task queue keeps. Returns how many links were
    sent."""
    from formations.space import space_link_request_send

    return len(space_link_request_send(request_id=request_id))
