"""An inventory upload from receipt to stored items.

``inventory_import_submit`` reads the file at once, so that a file that cannot be read at all
(too large, not UTF-8, a bad header, not a CycloneDX BOM) is refused while the uploader waits.
A file of up to ``INVENTORY_IMPORT_ASYNC_ROWS`` rows is then validated and applied in the
same request; a larger one is stored on an :class:`ImportJob` and applied by a Celery worker
(``orgs.tasks.inventory_import_run`` → ``import_job_process``), which reports its progress on
the job. Either way the file is applied all-or-nothing by the inventory services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from audit.services import audit_record
from operations.heartbeats import heartbeat, stale_before
from orgs import tasks
from orgs.choices import ImportFormat, ImportMode, ImportStatus, ItemSource
from orgs.importers.common import (
    MAX_REPORTED_ERRORS,
    ImportFileError,
    RawRow,
    RowError,
    rows_validate,
)
from orgs.importers.csv import csv_read
from orgs.importers.cyclonedx import cyclonedx_read
from orgs.models import ImportJob, InventoryItem, Organization
from orgs.scoping import Actor
from orgs.services import InventoryBulkResult, inventory_items_bulk_create

READERS: dict[str, Callable[[bytes], list[RawRow | RowError]]] = {
    ImportFormat.CSV: csv_read,
    ImportFormat.CYCLONEDX: cyclonedx_read,
}
# The item source an import writes, and (in replace mode) the items it replaces.
SOURCES: dict[str, str] = {
    ImportFormat.CSV: ItemSource.CSV,
    ImportFormat.CYCLONEDX: ItemSource.CYCLONEDX,
}
logger = logging.getLogger(__name__)

# How many progress updates a job makes at most while validating: enough for a progress bar,
# few enough not to matter next to the import itself.
PROGRESS_STEPS = 100
# External references looked up per query when an adding import checks for ones stored already.
_REF_BATCH = 5_000
# Advisory-lock keys share one 64-bit space: the high bits are the app's ("VW", as in
# exposure/engine/locks.py, whose matching locks use kind 1), then a kind, then an id.
_LOCK_NAMESPACE = 0x5657 << 48
_IMPORT_LOCK_KIND = 2 << 40
# PostgreSQL's lock_not_available: the lock timeout ran out.
_LOCK_NOT_AVAILABLE = "55P03"
_UNEXPECTED = "The import failed unexpectedly; nothing was stored. Try again later."


def inventory_import_submit(
    *,
    organization: Organization,
    user: Actor | None,
    file_format: str,
    mode: str,
    filename: str,
    content: bytes,
    request: HttpRequest | None = None,
    via: str = "",
    synchronous: bool = False,
) -> ImportJob:
    """Receive an inventory file for ``organization``: apply it now, or queue it if large.

    Returns the job: succeeded or failed when applied at once, queued otherwise;
    ``synchronous`` applies even a large file at once (the management command has no request
    to time out). Raises :class:`ImportFileError` for a file that cannot be read at all;
    nothing is recorded then. The caller checks that ``user`` may import into
    ``organization``.
    """
    rows = READERS[file_format](content)
    creator = user if user is not None and user.is_authenticated else None
    job = ImportJob(
        organization=organization,
        created_by=creator,
        file_format=file_format,
        mode=mode,
        filename=_filename_clean(filename),
        total_rows=len(rows),
    )
    if len(rows) > settings.INVENTORY_IMPORT_ASYNC_ROWS and not synchronous:
        job.content = content
        job.heartbeat_at = timezone.now()
        job.save()
        _submit_audit(job, actor=user, request=request, via=via)
        transaction.on_commit(lambda: _job_enqueue(job))
        return job
    job.status, job.started_at = ImportStatus.RUNNING, timezone.now()
    job.save()
    _job_apply(job, rows, actor=user, request=request, report_progress=synchronous)
    _submit_audit(job, actor=user, request=request, via=via)
    return job


def inventory_import_refuse(
    *,
    organization: Organization,
    user: Actor | None,
    file_format: str,
    mode: str,
    filename: str,
    errors: list[RowError],
    request: HttpRequest | None = None,
) -> ImportJob:
    """Record an upload that was refused before any row was read (not UTF-8, no header, too
    large) as a failed import: the upload page lists it with the others, and its report can
    be read again, as a failed import's can. Nothing is stored of the file."""
    now = timezone.now()
    job = ImportJob.objects.create(
        organization=organization,
        created_by=user if user is not None and user.is_authenticated else None,
        file_format=file_format,
        mode=mode,
        filename=_filename_clean(filename),
        status=ImportStatus.FAILED,
        errors=[error.as_dict() for error in errors[:MAX_REPORTED_ERRORS]],
        error_count=len(errors),
        started_at=now,
        finished_at=now,
    )
    _submit_audit(job, actor=user, request=request, via="")
    return job


def _filename_clean(filename: str) -> str:
    # The name comes from the client: keep what a text column can hold and a person can read.
    printable = "".join(char for char in filename if char.isprintable())
    return printable.encode("utf-8", "replace").decode("utf-8")[:255]


def _job_enqueue(job: ImportJob) -> None:
    _job_send(job.pk)


def _job_send(job_id: int) -> None:
    try:
        tasks.inventory_import_run.delay(job_id)
    except KombuOperationalError:
        # The broker is down. The job stays queued, its file stored: the sweeper sends it
        # again once the broker is back (``import_jobs_sweep``).
        logger.warning(
            "inventory import %s left queued for the sweeper: broker unreachable", job_id
        )


def import_job_process(*, job_id: int) -> ImportJob | None:
    """Claim a queued job and apply its file; ``None`` if another worker has it or it is done.

    The claim is a conditional update, so two deliveries of the same task never both run it.
    While the file is applied, a heartbeat says the worker is alive; if it dies, its
    transaction is rolled back (nothing stored) and the sweeper requeues the job.
    """
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        rows_parsed=0,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    with heartbeat(ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING)):
        try:
            rows = READERS[job.file_format](bytes(job.content))
        except ImportFileError as error:
            # Read once at upload already; this happens only if the limits were lowered since.
            _job_finish(job, errors=error.errors, error_count=len(error.errors))
            return job
        _job_apply(job, rows, actor=job.created_by, request=None, report_progress=True)
    return job


def import_jobs_sweep() -> None:
    """Find the jobs that lost their worker or their task, and see them through.

    A running job without a heartbeat for ``JOB_STALE_SECONDS`` (or, applied while its upload
    waited, still running after the task time limit) lost its worker, and its transaction
    with it: nothing of it was stored. It is queued again while it has ``JOB_MAX_ATTEMPTS``
    left and its file, and failed otherwise, saying why. A queued job that no worker claimed
    for as long is sent again (its task was lost to a broker outage or an emptied Redis).
    Claims are conditional updates, so a job sent twice still runs once.
    """
    now = timezone.now()
    stale = stale_before()
    lost = ImportJob.objects.filter(status=ImportStatus.RUNNING).filter(
        Q(heartbeat_at__lt=stale)
        | Q(
            heartbeat_at__isnull=True,
            started_at__lt=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
        )
    )
    again = list(
        lost.filter(attempts__lt=settings.JOB_MAX_ATTEMPTS)
        .exclude(content=b"")
        .values_list("pk", flat=True)
    )
    requeued = lost.filter(pk__in=again).update(
        status=ImportStatus.QUEUED, heartbeat_at=now, rows_parsed=0
    )
    for job in lost.exclude(pk__in=again).defer("content"):
        tries = f" ({job.attempts} tries)" if job.attempts > 1 else ""
        _job_fail(
            job,
            f"The worker applying this import stopped{tries}; nothing was stored. "
            "Upload the file again.",
        )
    unclaimed = ImportJob.objects.filter(status=ImportStatus.QUEUED).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    )
    resend = list(unclaimed.values_list("pk", flat=True))
    unclaimed.filter(pk__in=resend).update(heartbeat_at=now)
    # An id whose requeue lost a race (its worker came back) is sent too: its claim fails.
    for job_id in [*again, *resend]:
        _job_send(job_id)
    if again or resend:
        logger.info("import sweep: %s requeued, %s sent again", requeued, len(resend))


def _job_apply(
    job: ImportJob,
    rows: list[RawRow | RowError],
    *,
    actor: Actor | None,
    request: HttpRequest | None,
    report_progress: bool,
) -> None:
    on_progress = None
    if report_progress:

        def on_progress(done: int) -> None:
            # An update of its own, committed at once, so that the API sees it while the
            # import is still running.
            ImportJob.objects.filter(pk=job.pk).update(rows_parsed=done)

    result = rows_validate(
        rows,
        source=SOURCES[job.file_format],
        on_progress=on_progress,
        progress_every=max(500, len(rows) // PROGRESS_STEPS),
    )
    job.rows_parsed = len(rows)
    if result.error_count:
        _job_finish(job, errors=result.errors, error_count=result.error_count)
        return
    try:
        with transaction.atomic():
            # What is stored already is checked and the file stored under one lock, so that
            # two imports into one organization cannot both find a reference free.
            _organization_import_lock(job.organization_id)
            if job.mode == ImportMode.ADD:
                # With no error, every row became an item, in file order.
                stored_already = _refs_stored_already(job, rows, result.items)
                if stored_already:
                    errors = stored_already[:MAX_REPORTED_ERRORS]
                    _job_finish(job, errors=errors, error_count=len(stored_already))
                    return
            try:
                stored = _items_store(job, result.items, actor=actor, request=request)
            except ValidationError as error:
                messages = [RowError("", message) for message in error.messages]
                _job_finish(job, errors=messages, error_count=len(messages))
                return
            job.created_count = stored.created
            job.updated_count = stored.updated
            job.removed_count = stored.removed
            job.unresolved_count = stored.unresolved
            _job_finish(job, errors=[], error_count=0)
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) != _LOCK_NOT_AVAILABLE:
            _job_fail(job, _UNEXPECTED)
            raise
        _job_fail(
            job,
            "Another import into this organization is still being applied; nothing was "
            "stored. Try again when it has finished.",
        )
    except Exception:
        # The inventory service writes in one transaction, so nothing of the file is stored;
        # the job must not stay "running" for ever. The error itself goes on to the caller.
        _job_fail(job, _UNEXPECTED)
        raise


def _organization_import_lock(organization_id: int) -> None:
    """Wait (up to ``INVENTORY_IMPORT_LOCK_TIMEOUT`` seconds) until no other import into the
    organization is being applied, and hold that until this transaction ends.

    A PostgreSQL advisory lock; SQLite (the single-user quick-start) serializes writers itself.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)",
            [f"{settings.INVENTORY_IMPORT_LOCK_TIMEOUT}s"],
        )
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [import_lock_key(organization_id)])


def import_lock_key(organization_id: int) -> int:
    """The advisory-lock key of imports into one organization."""
    return _LOCK_NAMESPACE | _IMPORT_LOCK_KIND | organization_id


def _refs_stored_already(
    job: ImportJob, rows: list[RawRow | RowError], items: list[dict[str, Any]]
) -> list[RowError]:
    """The rows of an adding import whose external reference an item from the same source
    already has: adding them again would make a second item of each (re-importing a file
    in add mode). Replace mode is how a file updates the items it brought before."""
    source = SOURCES[job.file_format]
    refs = {item["external_ref"] for item in items if item["external_ref"]}
    existing: dict[str, int] = {}
    ordered = sorted(refs)
    for start in range(0, len(ordered), _REF_BATCH):
        existing.update(
            InventoryItem.objects.filter(
                organization=job.organization,
                source=source,
                external_ref__in=ordered[start : start + _REF_BATCH],
            )
            .order_by("pk")
            .values_list("external_ref", "pk")
        )
    errors = []
    for row, item in zip(rows, items, strict=True):
        pk = existing.get(item["external_ref"]) if item["external_ref"] else None
        if pk is not None and isinstance(row, RawRow):
            errors.append(
                RowError(
                    row.locate("external_ref"),
                    f"{item['external_ref']!r} is already in the inventory (item {pk}); "
                    "import in replace mode to update the items of an earlier import",
                )
            )
    return errors


def _items_store(
    job: ImportJob,
    items: list[dict[str, Any]],
    *,
    actor: Actor | None,
    request: HttpRequest | None,
) -> InventoryBulkResult:
    """Hand the validated rows to the inventory services, which write them all or none."""
    replace_source = SOURCES[job.file_format] if job.mode == ImportMode.REPLACE else None
    return inventory_items_bulk_create(
        organization=job.organization,
        items=items,
        replace_source=replace_source,
        user=actor,
        request=request,
    )


def _job_fail(job: ImportJob, message: str) -> None:
    _job_finish(job, errors=[RowError("", message)], error_count=1)


def _job_finish(job: ImportJob, *, errors: list[RowError], error_count: int) -> None:
    """Record the outcome; a job with errors failed and stored nothing."""
    job.status = ImportStatus.FAILED if error_count else ImportStatus.SUCCEEDED
    job.errors = [error.as_dict() for error in errors]
    job.error_count = error_count
    job.finished_at = timezone.now()
    # The file is only needed until it has been applied; it may be large, and it may hold
    # details the organization would not keep longer than necessary.
    job.content = b""
    job.save(
        update_fields=[
            "status",
            "errors",
            "error_count",
            "rows_parsed",
            "created_count",
            "updated_count",
            "removed_count",
            "unresolved_count",
            "finished_at",
            "content",
        ]
    )


def _submit_audit(
    job: ImportJob, *, actor: Actor | None, request: HttpRequest | None, via: str
) -> None:
    """Record the upload: who sent which file, and what became of it if it was applied."""
    audit_record(
        action="inventory.import",
        actor=actor,
        organization=job.organization,
        obj=job,
        after={
            "file_format": job.file_format,
            "mode": job.mode,
            "filename": job.filename,
            "total_rows": job.total_rows,
            "status": job.status,
            "created_count": job.created_count,
            "updated_count": job.updated_count,
            "removed_count": job.removed_count,
            "unresolved_count": job.unresolved_count,
            "error_count": job.error_count,
        },
        request=request,
        via=via,
    )
