"""Background tasks of livrables (Django's tasks framework; django-tasks-db's worker)."""

from django.tasks import task

from livrables.bulk import certificates_bulk_run
from livrables.pack.jobs import audit_pack_run


@task
def issue_certificates_bulk(
    job_id: str, formation_id: int, session_id: int | None, kinds: list[str], actor_id
) -> dict:
    """Issues a bulk of certificates (`bulk.certificates_bulk_start` enqueues it) and says
    how many were issued, left as they stood, and failed."""
    outcome = certificates_bulk_run(
        job_id=job_id,
        formation_id=formation_id,
        session_id=session_id,
        kinds=kinds,
        actor_id=actor_id,
    )
    return {"issued": outcome.issued, "skipped": outcome.skipped, "failed": outcome.failed}


@task
def build_audit_pack_task(
    job_id: str, formation_id: int, date_from: str | None, date_to: str | None, actor_id
) -> dict:
    """Builds and registers a formation's audit pack (`pack.jobs.audit_pack_start`
    enqueues it) and says under which number."""
    number = audit_pack_run(
        job_id=job_id,
        formation_id=formation_id,
        date_from=date_from,
        date_to=date_to,
        actor_id=actor_id,
    )
    return {"number": number}


@task
def issue_fiches_bulk(job_id: str, programme_id: int, actor_id) -> dict:
    """Issues the fiches of every partner structure of a programme
    (`bulk_fiches.fiches_bulk_start` enqueues it)."""
    from livrables.bulk_fiches import fiches_bulk_run

    return fiches_bulk_run(job_id=job_id, programme_id=programme_id, actor_id=actor_id)
