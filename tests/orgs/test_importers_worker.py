"""A large import runs in a real Celery worker process, and its job shows the progress.

The test starts ``celery -A config worker`` with eager execution off against this test run's
database, and a Redis server of its own on a free port (the matching tests' ``RedisServer``):
a shared Redis database would let a worker of another test run, on another database, take
the task, or a flush of another run wipe it. Test data is committed (``transaction=True``) so
that the worker can see it.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from celery import _state as celery_state
from django.db import connection

from orgs.choices import ImportFormat, ImportMode, ImportStatus
from orgs.importers.services import inventory_import_submit
from orgs.models import ImportJob, InventoryItem
from tests.exposure.test_worker import RedisServer, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
WAIT_SECONDS = 180


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def worker(broker: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker process on the test's broker and database, stopped after the test."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
        + ["--without-mingle", "--without-gossip", "--hostname", f"import{free_port()}@test"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
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


@pytest.fixture
def publishing_to_worker(broker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tasks this process sends go to the worker's broker instead of running here.

    Celery reads ``CELERY_BROKER_URL`` from the environment before its configuration.
    """
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    previous = celery_state.get_current_app()
    # Not current on creation (Celery's default): the app to restore must be read first.
    app = Celery("vendorwatch-import-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker, task_always_eager=False)
    app.set_current()
    try:
        yield
    finally:
        previous.set_current()
        app.close()


def inventory_csv(rows: int) -> bytes:
    lines = ["vendor,product,version,cpe,purl,external_ref"]
    lines += [
        f"Vendor {n % 50},Product {n % 500},1.{n % 20},"
        f"cpe:2.3:a:vendor{n % 50}:product{n % 500}:1.{n % 20}:*:*:*:*:*:*:*,"
        f"pkg:npm/package-{n}@1.{n % 20},CMDB-{n}"
        for n in range(rows)
    ]
    return "\n".join(lines).encode()


def test_large_import_is_applied_by_a_worker_with_progress_on_its_job(
    tenants, worker, publishing_to_worker, settings, tmp_path
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
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        state = ImportJob.objects.values_list("status", "rows_parsed").get(pk=job.pk)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            break
        time.sleep(0.02)

    job.refresh_from_db()
    assert worker.poll() is None, (tmp_path / "worker.log").read_text()
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert (job.rows_parsed, job.total_rows, job.created_count) == (ROWS, ROWS, ROWS)
    assert job.content == b""
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == ROWS
    # The worker reported partial progress on the way, and it only ever grew.
    partial = [parsed for status, parsed in seen if status == "running" and 0 < parsed < ROWS]
    assert partial, seen
    assert partial == sorted(partial)
