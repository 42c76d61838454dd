"""A large import runs in a real Celery worker process, and its job shows the progress.

The worker is started by the test (``celery -A config worker``) with eager execution off and a
Redis database of its own, against this test run's database; the test data is committed
(``transaction=True``) so that the worker can see it.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection

from config.celery import app
from orgs.choices import ImportFormat, ImportMode, ImportStatus
from orgs.importers.services import inventory_import_submit
from orgs.models import ImportJob, InventoryItem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = "redis://127.0.0.1:6379/3"
ROWS = 20_000


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker process on its own broker database, stopped after the test."""
    redis.Redis.from_url(BROKER_URL).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "REDIS_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
        + ["--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def inventory_csv(rows: int) -> bytes:
    lines = ["vendor,product,version,cpe,purl,external_ref"]
    lines += [
        f"Vendor {n % 50},Product {n % 500},1.{n % 20},"
        f"cpe:2.3:a:vendor{n % 50}:product{n % 500}:1.{n % 20}:*:*:*:*:*:*:*,"
        f"pkg:npm/package-{n}@1.{n % 20},CMDB-{n}"
        for n in range(rows)
    ]
    return "\n".join(lines).encode()


@pytest.fixture
def publishing_to_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tasks are sent to the worker's broker instead of running in this process."""
    # Celery reads the broker from this variable before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", BROKER_URL)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def test_large_import_is_applied_by_a_worker_with_progress_on_its_job(
    tenants, worker, publishing_to_worker, settings
):
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
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = ImportJob.objects.values_list("status", "rows_parsed").get(pk=job.pk)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            break
        time.sleep(0.02)

    job.refresh_from_db()
    assert worker.poll() is None, "the worker died"
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert (job.rows_parsed, job.total_rows, job.created_count) == (ROWS, ROWS, ROWS)
    assert job.content == b""
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == ROWS
    # The worker reported partial progress on the way, and it only ever grew.
    partial = [parsed for status, parsed in seen if status == "running" and 0 < parsed < ROWS]
    assert partial, seen
    assert partial == sorted(partial)
