"""Progress of long jobs, for a page to poll (`formations:job_progress`, a JSON answer
read by `static/js/job-progress.js`).

A job is created by the act that starts the work (`job_create`, in its transaction), then
advanced by the background task doing it (`job_advance`, one item at a time) and finished
(`job_finish`). A job whose task died stops moving: after `STALE_AFTER` without news, the
page says so instead of spinning forever.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.models import BackgroundJob
from formations.permissions import can_manage

STALE_AFTER = timedelta(minutes=15)


def job_create(*, kind: str, label: str, total: int, actor=None) -> BackgroundJob:
    return BackgroundJob.objects.create(
        kind=kind,
        label=label[:300],
        total=total,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


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


@transaction.atomic
def job_finish(*, job_id) -> None:
    job = BackgroundJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status == BackgroundJob.Status.FINISHED:
        return
    job.status = BackgroundJob.Status.FINISHED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])


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
        summary = _(
            "Interrompu après %(done)s sur %(total)s : la suite reprendra au prochain passage "
            "automatique."
        ) % {"done": job.done, "total": job.total}
    else:
        summary = _("En cours : %(done)s sur %(total)s.") % {"done": job.done, "total": job.total}
    if job.failed:
        summary += " " + ngettext(
            "%(count)s n'est pas parti : voyez la page Envois.",
            "%(count)s ne sont pas partis : voyez la page Envois.",
            job.failed,
        ) % {"count": job.failed}
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
    }
