"""Celery tasks of orgs: thin entry points that load ids and call one service."""

from celery import shared_task

from orgs.importers import services as import_services


@shared_task
def inventory_import_run(job_id: int) -> None:
    """Apply a queued inventory import (see ``orgs.importers.services``)."""
    import_services.import_job_process(job_id=job_id)


@shared_task(name="orgs.import_jobs_sweep")
def import_jobs_sweep() -> None:
    """Requeue or fail imports whose worker died; send again those whose task was lost."""
    import_services.import_jobs_sweep()
