"""Building a formation's audit pack in the background, from its page.

`audit_pack_start` (the button's POST) creates a `BackgroundJob` of kind
`livrables.audit_pack` in the request's transaction and enqueues
`livrables.tasks.build_audit_pack_task` once it commits; a pack job of the same formation
still running is returned instead (a double submit builds nothing twice). The task
(`audit_pack_run`) counts the pack's files, writes the pack into a temporary file through
the one building path (`services.build_audit_pack`: kept, registered), advancing the job
as files are written (one step per file, one for the registration). The job's result is
the download of the standing pack of that formation and period
(`livrables:audit_pack_download`), known from the start."""

import datetime as dt
import logging
import tempfile
import urllib.parse

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.jobs import (
    JOB_KINDS,
    JobKind,
    job_abandon,
    job_advance,
    job_create,
    job_set_total,
    running_job,
)
from formations.models import BackgroundJob, Formation, User
from livrables.data import verification_url
from livrables.exceptions import LivrablesError
from livrables.pack.registry import PackScope, ordered_sections
from livrables.pack.services import build_audit_pack, check_scope, may_build_pack, period_label

logger = logging.getLogger(__name__)

# `BackgroundJob.kind` « livrables.audit_pack »; its prefix names it in `JOB_KINDS`.
JOB_PREFIX = "livrables"
JOB_KIND = f"{JOB_PREFIX}.audit_pack"
# How often the job's counters are written (not one UPDATE per file).
ADVANCE_EVERY = 20


def job_scope(formation) -> str:
    """One pack job per formation at a time, whatever its period."""
    return f"audit_pack:formation:{formation.pk}"


def download_url(scope: PackScope) -> str:
    url = reverse("livrables:audit_pack_download", args=[scope.formation.pk])
    query = {}
    if scope.date_from is not None:
        query["du"] = scope.date_from.isoformat()
    if scope.date_to is not None:
        query["au"] = scope.date_to.isoformat()
    return f"{url}?{urllib.parse.urlencode(query)}" if query else url


def _with_number(url: str, number: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urllib.parse.urlencode({'numero': number})}"


def count_pack_files(scope: PackScope) -> int:
    """How many files the sections will write (their lists read, no file read)."""
    return sum(1 for section in ordered_sections() for _file in section.files(scope))


def _left_out(count: int) -> str:
    return ngettext(
        "%(count)s document n'a pas été mis dans le dossier (fichier conservé introuvable "
        "ou altéré) : voyez non_inclus.csv dans le ZIP.",
        "%(count)s documents n'ont pas été mis dans le dossier (fichier conservé "
        "introuvable ou altéré) : voyez non_inclus.csv dans le ZIP.",
        count,
    ) % {"count": count}


def _interrupted(done: int, total: int) -> str:
    return _(
        "Interrompu après %(done)s fichiers sur %(total)s : relancez la constitution du dossier."
    ) % {"done": done, "total": total}


def _built(job: BackgroundJob) -> dict:
    """The number of the pack the job built (carried by its result link, `numero`) and
    its verification page, for the finished box: no reload needed to see them."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(job.result_url).query)
    number = (query.get("numero") or [""])[0]
    if not number:
        return {}
    return {
        "note": _("Dossier n° %(number)s inscrit au registre des documents émis.")
        % {"number": number},
        "more_url": verification_url(number),
        "more_label": _("Vérifier le dossier n° %(number)s") % {"number": number},
    }


# Keyed by the kind's prefix (`formations.jobs.job_kind`): « livrables. » jobs.
JOB_KINDS[JOB_PREFIX] = JobKind(
    failed=_left_out,
    result_label=lambda: _("Télécharger le dossier de justificatifs (ZIP)"),
    stale=_interrupted,
    result_details=_built,
)


@transaction.atomic
def audit_pack_start(
    *, formation, date_from: dt.date | None, date_to: dt.date | None, actor
) -> BackgroundJob:
    """Starts building the pack of `formation` over the period (None bounds: open) in the
    background. If a pack job of the formation is still running, that job is returned
    (`already_running` set) and nothing more is started.

    Raises LivrablesError `not_allowed` (neither a coordinator nor an auditor of the
    formation's funders), `period_reversed`, `nothing_sealed`. Audit action
    `livrables.audit_pack_started` on the formation (data: period, job)."""
    from livrables.tasks import build_audit_pack_task

    if not may_build_pack(user=actor, formation=formation):
        raise LivrablesError(
            _(
                "Seules la coordination et les auditeur·rices des financeurs de la formation "
                "constituent son dossier de justificatifs."
            ),
            code="not_allowed",
        )
    check_scope(PackScope(formation=formation, date_from=date_from, date_to=date_to))
    # Serialises two starts on the same formation: the second sees the first's job.
    Formation.objects.select_for_update().filter(pk=formation.pk).values_list("pk").first()
    running = running_job(scope=job_scope(formation))
    if running is not None:
        running.already_running = True
        return running
    scope = PackScope(formation=formation, date_from=date_from, date_to=date_to)
    label = _("Dossier de justificatifs %(reference)s — %(period)s") % {
        "reference": formation.contract_reference,
        "period": period_label(date_from, date_to),
    }
    job = job_create(
        kind=JOB_KIND,
        label=label,
        # Files, then the registration; counted again by the task.
        total=count_pack_files(scope) + 1,
        actor=actor,
        scope=job_scope(formation),
        result_url=download_url(scope),
    )
    job.already_running = False
    log_action(
        actor=actor,
        action="livrables.audit_pack_started",
        obj=formation,
        summary=label,
        data={
            "period": [
                date_from.isoformat() if date_from else None,
                date_to.isoformat() if date_to else None,
            ],
            "job": str(job.pk),
        },
    )
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None

    def enqueue():
        try:
            build_audit_pack_task.enqueue(
                job_id=str(job.pk),
                formation_id=formation.pk,
                date_from=date_from.isoformat() if date_from else None,
                date_to=date_to.isoformat() if date_to else None,
                actor_id=actor_id,
            )
        except Exception:  # noqa: BLE001 (the request has committed: say it on the job)
            logger.exception("Audit pack %s could not be queued", job.pk)
            job_abandon(job_id=job.pk)

    transaction.on_commit(enqueue)
    return job


def audit_pack_run(
    *, job_id, formation_id: int, date_from: str | None, date_to: str | None, actor_id
) -> str:
    """The task's work: builds and registers the pack, advancing the job; returns the
    registered number. If it fails, the job is ended (`job_abandon`), never left « en
    cours »."""
    try:
        formation = Formation.objects.select_related("programme").get(pk=formation_id)
        actor = User.objects.filter(pk=actor_id, is_active=True).first() if actor_id else None
        if actor_id and actor is None:
            # Started by someone whose account has since gone: built without an actor, the
            # pack would pass as the command's, past every permission check.
            raise LivrablesError(
                _("Le compte qui a demandé ce dossier n'existe plus ou a été désactivé."),
                code="actor_gone",
            )
        scope = PackScope(
            formation=formation,
            date_from=dt.date.fromisoformat(date_from) if date_from else None,
            date_to=dt.date.fromisoformat(date_to) if date_to else None,
        )
        job_set_total(job_id=job_id, total=count_pack_files(scope) + 1)
        pending = {"done": 0, "failed": 0}

        def on_file(_path: str, included: bool) -> None:
            pending["done"] += 1
            pending["failed"] += 0 if included else 1
            if pending["done"] >= ADVANCE_EVERY:
                job_advance(job_id=job_id, **pending)
                pending.update(done=0, failed=0)

        with tempfile.TemporaryFile() as output:
            built = build_audit_pack(scope=scope, actor=actor, output=output, on_file=on_file)
        # The result link names the pack built (its number shown in the finished box).
        number = built.document.number
        BackgroundJob.objects.filter(pk=job_id).update(
            result_url=_with_number(download_url(scope), number)
        )
        # The files not yet counted and the registration: the last step finishes the job.
        job_advance(job_id=job_id, done=pending["done"] + 1, failed=pending["failed"])
        return built.document.number
    except Exception:
        logger.exception("Audit pack %s stopped", job_id)
        # No link to a pack that was not built (it would lead to an older one, or none).
        BackgroundJob.objects.filter(pk=job_id).update(result_url="")
        job_abandon(job_id=job_id)
        raise
