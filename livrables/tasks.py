"""Background tasks of livrables (Django's tasks framework; django-tasks-db's worker)."""

from django.tasks import task

from livrables.bulk import certificates_bulk_run


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
