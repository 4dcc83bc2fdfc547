"""Progress of long jobs, for a page to poll (`formations:job_progress`, a JSON answer
read by `static/js/job-progress.js`).

A job is created by the act that starts the work (`job_create`, in its transaction), then
advanced by the background task doing it (`job_advance`, one item at a time) and finished
(`job_finish`). A job whose task died stops moving: after `STALE_AFTER` without news, the
page says so instead of spinning forever.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.models import BackgroundJob
from formations.permissions import can_manage

STALE_AFTER = timedelta(minutes=15)


def _resumed_automatically(done: int, total: int) -> str:
    return _(
        "Interrompu après %(done)s sur %(total)s : la suite reprendra au prochain passage "
        "automatique."
    ) % {"done": done, "total": total}


@dataclass(frozen=True)
class JobKind:
    """What the progress box says of a kind of job: the sentence added when `count` items
    failed, the label of the link to its result (`BackgroundJob.result_url`), and what a
    job that stopped moving means (`stale(done, total)`: whether anything resumes it)."""

    failed: Callable[[int], str]
    result_label: Callable[[], str] | None = None
    stale: Callable[[int, int], str] = _resumed_automatically
    # What the finished box says besides the link (`result_url`): a sentence and a second
    # link (`note`, `more_url`, `more_label`), e.g. the number of the document built.
    result_details: Callable[[BackgroundJob], dict] | None = None


def _messages_not_sent(count: int) -> str:
    return ngettext(
        "%(count)s n'est pas parti : voyez la page Envois.",
        "%(count)s ne sont pas partis : voyez la page Envois.",
        count,
    ) % {"count": count}


# Sending messages (convocations, links…) is the default; other apps register their kinds
# by the prefix of `BackgroundJob.kind` (« certificates. » for livrables' bulk issue).
OUTBOX_JOB = JobKind(failed=_messages_not_sent)
JOB_KINDS: dict[str, JobKind] = {}


def job_kind(kind: str) -> JobKind:
    return JOB_KINDS.get(kind.split(".", 1)[0], OUTBOX_JOB)


def job_create(
    *, kind: str, label: str, total: int, actor=None, scope: str = "", result_url: str = ""
) -> BackgroundJob:
    """`result_url`: the address of what the job produces, when it is known from the
    start; the progress box shows it once the job has finished (`job_state`), so it is
    there whichever update finishes the job."""
    return BackgroundJob.objects.create(
        kind=kind,
        label=label[:300],
        total=total,
        scope=scope,
        result_url=result_url[:300],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def running_job(*, scope: str, within: bool = False, now=None) -> BackgroundJob | None:
    """The job still running (not stalled) on `scope`, if any; with `within`, on `scope`
    or any scope under it (those starting with `scope` followed by « : »)."""
    now = now or timezone.now()
    jobs = BackgroundJob.objects.filter(
        status=BackgroundJob.Status.RUNNING, updated_at__gte=now - STALE_AFTER
    )
    if within:
        jobs = jobs.filter(Q(scope=scope) | Q(scope__startswith=f"{scope}:"))
    else:
        jobs = jobs.filter(scope=scope)
    return jobs.order_by("-created_at").first()


def job_set_total(*, job_id, total: int) -> None:
    """The number of items once the task has counted them (it may differ from the
    estimate made when the job was started)."""
    BackgroundJob.objects.filter(pk=job_id).update(total=total, updated_at=timezone.now())


def job_advance(*, job_id, done: int = 1, failed: int = 0) -> None:
    """Counts items as processed (``failed`` of them in failure), and finishes the job
    when every item is: a job's items may be spread over several tasks running at once,
    so none of them can tell alone that it was the last. Conditional UPDATEs, safe when
    several workers advance the same job."""
    now = timezone.now()
    BackgroundJob.objects.filter(pk=job_id).update(
        done=F("done") + done, failed=F("failed") + failed, updated_at=now
    )
    BackgroundJob.objects.filter(
        pk=job_id, status=BackgroundJob.Status.RUNNING, done__gte=F("total")
    ).update(status=BackgroundJob.Status.FINISHED, finished_at=now)


def job_abandon(*, job_id) -> None:
    """Ends a job whose work stopped short (its task failed as a whole): the items not
    processed are counted failed, so the box says how many and stops polling."""
    BackgroundJob.objects.filter(pk=job_id, status=BackgroundJob.Status.RUNNING).update(
        failed=F("failed") + Greatest(F("total") - F("done"), 0),
        done=Greatest(F("total"), F("done")),
        status=BackgroundJob.Status.FINISHED,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


@transaction.atomic
def job_finish(*, job_id, result_url: str = "") -> None:
    """Marks the job finished, with the address of its result if it has one."""
    job = BackgroundJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        return
    fields = ["updated_at"]
    if result_url and job.result_url != result_url:
        job.result_url = result_url[:300]
        fields.append("result_url")
    if job.status != BackgroundJob.Status.FINISHED:
        job.status = BackgroundJob.Status.FINISHED
        job.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    if len(fields) > 1:
        job.save(update_fields=fields)


def jobs_visible_to(*, user):
    """Coordinators see every job; others only those they started."""
    if can_manage(user):
        return BackgroundJob.objects.all()
    return BackgroundJob.objects.filter(created_by=user)


def job_state(job: BackgroundJob, *, now=None) -> dict:
    """What the page shows: counts, percentage, whether to stop polling, one sentence."""
    now = now or timezone.now()
    finished = job.status == BackgroundJob.Status.FINISHED
    stale = not finished and now - job.updated_at > STALE_AFTER
    percent = 100 if job.total == 0 else min(100, round(100 * job.done / job.total))
    if finished:
        summary = ngettext(
            "Terminé : %(done)s sur %(total)s traité.",
            "Terminé : %(done)s sur %(total)s traités.",
            job.done,
        ) % {"done": job.done, "total": job.total}
    elif stale:
        summary = job_kind(job.kind).stale(job.done, job.total)
    else:
        summary = _("En cours : %(done)s sur %(total)s.") % {"done": job.done, "total": job.total}
    kind = job_kind(job.kind)
    if job.failed:
        summary += " " + kind.failed(job.failed)
    result = finished and bool(job.result_url) and kind.result_label is not None
    details = (kind.result_details(job) if result and kind.result_details else None) or {}
    return {
        "id": str(job.pk),
        "label": job.label,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "percent": percent,
        "finished": finished or stale,
        "stale": stale,
        "summary": summary,
        # Shown once finished: the link to what the job produced.
        "result_url": job.result_url if result else "",
        "result_label": kind.result_label() if result else "",
        "result_note": details.get("note", ""),
        "result_more_url": details.get("more_url", ""),
        "result_more_label": details.get("more_label", ""),
    }
