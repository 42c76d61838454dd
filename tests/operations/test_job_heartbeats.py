"""Jobs survive worker loss: a real Celery worker is SIGKILLed in the middle of an inventory
import; within the sweeper's bound the job is requeued and applied whole by another worker,
or, once it has used up its attempts, failed with the reason shown. Never partial rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.utils import timezone

from advisories.choices import FeedKind, FeedRunStatus
from advisories.models import FeedRun
from advisories.tasks import feed_runs_sweep
from orgs.choices import ImportFormat, ImportMode, ImportStatus
from orgs.importers.services import inventory_import_submit
from orgs.models import ImportJob, InventoryItem
from orgs.tasks import import_jobs_sweep
from tests.exposure.test_worker import RedisServer, Worker, wait_for
from tests.factories import SourceFactory
from tests.orgs.test_importers_worker import inventory_csv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROWS = 20_000
# The worker's settings for these tests: a heartbeat every half second, a job without one for
# three seconds is stale, the sweeper runs every second. The bound a killed job must end in.
JOB_ENV = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_STALE_SECONDS": "3", "JOB_SWEEP_SECONDS": "1"}
BOUND_SECONDS = 3 + 1 + 20


@pytest.fixture
def job_workers(
    broker: RedisServer, tmp_path: Path, sending_app: Celery, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*, beat: bool = False, max_attempts: int = 2) -> Worker:
        for name, value in {**JOB_ENV, "JOB_MAX_ATTEMPTS": str(max_attempts)}.items():
            monkeypatch.setenv(name, value)
        worker = Worker(broker, tmp_path / f"worker-{len(started)}.log", beat=beat)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def _submit(tenants, settings) -> ImportJob:
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 1_000
    job = inventory_import_submit(
        organization=tenants.org_a,
        user=tenants.analyst,
        file_format=ImportFormat.CSV,
        mode=ImportMode.ADD,
        filename="cmdb-export.csv",
        content=inventory_csv(ROWS),
    )
    assert job.status == ImportStatus.QUEUED
    return job


def _running(job: ImportJob) -> bool:
    status, parsed = ImportJob.objects.values_list("status", "rows_parsed").get(pk=job.pk)
    return status == ImportStatus.RUNNING and parsed > 0


def _ended(job: ImportJob) -> ImportJob | None:
    job.refresh_from_db()
    return job if job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED) else None


def test_an_import_whose_worker_is_killed_is_requeued_and_applied_whole(
    tenants, settings, job_workers
):
    first = job_workers()
    job = _submit(tenants, settings)
    wait_for(lambda: _running(job), what="the import to be running")

    first.kill()
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == 0
    job_workers(beat=True)

    # Requeued within the bound, then applied, which takes as long as it takes.
    wait_for(lambda: _ended(job), timeout=BOUND_SECONDS + 120, what="the import to end")
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert job.attempts == 2
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == ROWS


def test_an_import_that_used_up_its_attempts_fails_with_the_reason_and_no_rows(
    tenants, settings, job_workers
):
    first = job_workers(max_attempts=1)
    job = _submit(tenants, settings)
    wait_for(lambda: _running(job), what="the import to be running")

    first.kill()
    killed_at = time.monotonic()
    job_workers(beat=True, max_attempts=1)

    wait_for(lambda: _ended(job), timeout=BOUND_SECONDS, what="the sweeper to fail the import")
    assert time.monotonic() - killed_at < BOUND_SECONDS
    assert job.status == ImportStatus.FAILED
    [error] = job.errors
    assert "worker applying this import stopped" in error["message"]
    assert "nothing was stored" in error["message"]
    assert job.content == b""
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == 0


def test_a_feed_run_whose_heartbeat_stopped_is_closed_as_failed_with_the_reason(settings):
    settings.JOB_STALE_SECONDS = 60
    source = SourceFactory(feed_kind=FeedKind.CISA_KEV, feed_url="https://example.org/kev.json")
    now = timezone.now()
    lost = FeedRun.objects.create(
        source=source,
        feed_kind=source.feed_kind,
        started_at=now - timedelta(minutes=10),
        heartbeat_at=now - timedelta(seconds=61),
    )
    alive = FeedRun.objects.create(
        source=SourceFactory(feed_kind=FeedKind.CISA_KEV),
        feed_kind=FeedKind.CISA_KEV,
        started_at=now - timedelta(minutes=10),
        heartbeat_at=now - timedelta(seconds=5),
    )

    feed_runs_sweep.apply()

    lost.refresh_from_db()
    alive.refresh_from_db()
    assert lost.status == FeedRunStatus.FAILED
    assert "worker stopped" in lost.message and "60 s" in lost.message
    assert alive.status == FeedRunStatus.RUNNING


def test_an_import_queued_while_the_broker_was_down_is_sent_by_the_sweeper(
    tenants, settings, job_workers, broker
):
    settings.JOB_STALE_SECONDS = 0
    broker.stop()
    job = _submit(tenants, settings)  # its task cannot be sent: it stays queued
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and job.errors == []
    broker.start()
    job_workers()

    import_jobs_sweep.apply()

    wait_for(lambda: _ended(job), timeout=180, what="the import to be applied")
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == ROWS
