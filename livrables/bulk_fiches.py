"""Issuing the fiche projet and the fiche individuelle of every partner structure of a
programme at once, as a background job with progress (the 17 CCAS and the UDCCAS of
DESIGN PALAS: 36 documents, a few seconds).

A coordinator or a trainer of the programme starts it (`fiches_bulk_start`, from the
programme's list of fiches): a `BackgroundJob` is created in a transaction of its own and
the task (`livrables.tasks.issue_fiches_bulk`) is enqueued once it commits. The task
(`fiches_bulk_run`) issues what is missing or « à rééditer » and counts what already stands
up to date as done. Every document goes through the one issuing path
(`services_fiches.issue_fiche_data` → `_issue`); the data are read in bulk
(`data_fiches.build_fiches_data`, `build_structure_fiches_data`: a constant number of
queries per batch). The result is the ZIP of the programme's fiches."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.jobs import (
    JOB_KINDS,
    JobKind,
    job_abandon,
    job_advance,
    job_create,
    job_set_total,
    running_job,
)
from formations.models import BackgroundJob, Programme, User
from livrables.data_fiches import build_fiches_data, build_structure_fiches_data, partner_structures
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import document_states, standing
from livrables.services import retention_until
from livrables.services_fiches import (
    FICHE_KINDS,
    _ensure_may_issue,
    issue_fiche_data,
    may_issue_fiches,
)

logger = logging.getLogger(__name__)

JOB_KIND = "fiches.bulk"
BATCH_SIZE = 25


def job_scope(programme) -> str:
    return f"fiches:programme:{programme.pk}"


def _documents_failed(count: int) -> str:
    return ngettext(
        "%(count)s fiche n'a pas pu être émise : relancez l'émission, elle reprend ce qui manque.",
        "%(count)s fiches n'ont pas pu être émises : relancez l'émission, elle reprend ce qui "
        "manque.",
        count,
    ) % {"count": count}


def _interrupted(done: int, total: int) -> str:
    return _(
        "Interrompue après %(done)s sur %(total)s : relancez l'émission, elle reprend ce qui "
        "manque."
    ) % {"done": done, "total": total}


JOB_KINDS["fiches"] = JobKind(
    failed=_documents_failed,
    result_label=lambda: _("Télécharger le ZIP des fiches"),
    stale=_interrupted,
)


@transaction.atomic
def fiches_bulk_start(*, programme, actor) -> BackgroundJob:
    """Starts issuing both fiches of every partner structure of `programme` in the
    background. A run still going on the programme is returned instead (`already_running`
    set on it): a double submit issues nothing twice.

    Raises LivrablesError `not_allowed`, `no_structure`. Audit action
    `livrables.fiches_bulk_started` on the programme (data: job)."""
    from formations.audit import log_action
    from livrables.tasks import issue_fiches_bulk

    _ensure_may_issue(actor, programme)
    # Serialises two starts on the same programme: the second sees the first's job.
    Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk").first()
    running = running_job(scope=job_scope(programme))
    if running is not None:
        running.already_running = True
        return running
    count = partner_structures(programme).count()
    if not count:
        raise LivrablesError(
            _("Ce programme n'a pas de structure partenaire : pas de fiche à émettre."),
            code="no_structure",
        )
    label = _("Émission des fiches des structures de %(programme)s") % {
        "programme": programme.title
    }
    job = job_create(
        kind=JOB_KIND,
        label=label,
        total=count * len(FICHE_KINDS),
        actor=actor,
        scope=job_scope(programme),
        result_url=reverse("livrables:fiches_zip", args=[programme.pk]),
    )
    job.already_running = False
    log_action(
        actor=actor,
        action="livrables.fiches_bulk_started",
        obj=programme,
        summary=label,
        data={"job": str(job.pk)},
    )
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None

    def enqueue():
        try:
            issue_fiches_bulk.enqueue(
                job_id=str(job.pk), programme_id=programme.pk, actor_id=actor_id
            )
        except Exception:  # noqa: BLE001 (the request has committed: say it on the job)
            logger.exception("Bulk issue of fiches %s could not be queued", job.pk)
            job_abandon(job_id=job.pk)

    transaction.on_commit(enqueue)
    return job


def _up_to_date(programme, structure_ids) -> set[tuple[str, int]]:
    """(kind, structure) whose fiche stands and is not « à rééditer »: two queries."""
    documents = list(
        standing(
            IssuedDocument.objects.filter(
                kind__in=FICHE_KINDS, programme_id=programme.pk, structure_id__in=structure_ids
            )
        ).only("pk", "kind", "structure_id")
    )
    states = document_states(documents)
    return {
        (document.kind, document.structure_id)
        for document in documents
        if not states[document.pk].needs_reissue
    }


def fiches_bulk_run(*, job_id, programme_id: int, actor_id, now=None) -> dict:
    """The work of the task: for each partner structure, each fiche missing or « à
    rééditer » is issued; one that fails is counted failed and the others go on. If the
    run itself fails, the job is ended (`job_abandon`): it never stays « en cours »."""
    try:
        return _run(job_id=job_id, programme_id=programme_id, actor_id=actor_id, now=now)
    except Exception:
        logger.exception("Bulk issue of fiches %s stopped", job_id)
        job_abandon(job_id=job_id)
        raise


def _run(*, job_id, programme_id, actor_id, now) -> dict:
    now = now or timezone.now()
    programme = Programme.objects.get(pk=programme_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    outcome = {"issued": 0, "skipped": 0, "failed": 0}
    if actor_id is not None and (actor is None or not may_issue_fiches(actor, programme)):
        job_abandon(job_id=job_id)
        return outcome
    structures = list(partner_structures(programme))
    job_set_total(job_id=job_id, total=len(structures) * len(FICHE_KINDS))
    retention = retention_until(programme_end=programme.end_date)
    for start in range(0, len(structures), BATCH_SIZE):
        batch = structures[start : start + BATCH_SIZE]
        done = _up_to_date(programme, [s.pk for s in batch])
        todo = [s for s in batch if any((kind, s.pk) not in done for kind in FICHE_KINDS)]
        data = {
            IssuedDocument.Kind.PROJECT_FICHE: build_fiches_data(
                programme=programme, structures=todo, now=now
            ),
            IssuedDocument.Kind.STRUCTURE_FICHE: build_structure_fiches_data(
                programme=programme, structures=todo, now=now
            ),
        }
        for structure in batch:
            issued = failed = skipped = 0
            for kind in FICHE_KINDS:
                if (kind, structure.pk) in done:
                    skipped += 1
                    continue
                try:
                    issue_fiche_data(
                        kind=kind,
                        data=data[kind][structure.pk],
                        programme=programme,
                        structure=structure,
                        actor=actor,
                        now=now,
                        retention=retention,
                    )
                    issued += 1
                except Exception:  # noqa: BLE001 (one structure must not stop the others)
                    logger.exception("Bulk issue: %s of structure %s failed", kind, structure.pk)
                    failed += 1
            outcome["issued"] += issued
            outcome["skipped"] += skipped
            outcome["failed"] += failed
            job_advance(job_id=job_id, done=issued + skipped + failed, failed=failed)
    return outcome
