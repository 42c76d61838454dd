"""Matching through real Celery workers: publish, re-run, withdraw, a killed worker, a broker
outage.

Each test starts ``celery -A config worker`` processes (eager execution off) against this test
run's database, and a Redis server of its own on a free port, so that it can stop and start
the broker without touching the Redis other test runs share. The test's own writes go to that
broker through a Celery app made current for the test. Test data is committed
(``transaction=True``) so that the workers see it. Every process is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis
from celery import Celery
from celery import _state as celery_state
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from advisories.models import Advisory, AffectedTarget
from advisories.services import advisory_publish, advisory_withdraw
from exposure.choices import FlagStatus, MatchRunKind, MatchRunStatus, ResolutionReason
from exposure.engine.locks import MATCHING_KEY
from exposure.models import Flag, FlagEvent, MatchRun
from orgs.models import InventoryItem
from tests.factories import AdvisoryFactory, OrganizationFactory, ProductFactory, VendorFactory
from vendors.match_requests import MATCH_ADVISORIES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], *, timeout: float = WAIT_SECONDS, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class RedisServer:
    """A throw-away redis-server (no persistence) that a test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


class Worker:
    """A ``celery -A config worker`` process group (main process and its pool child)."""

    def __init__(
        self,
        broker: RedisServer,
        log: Path,
        *,
        beat: bool,
        settings: dict[str, str] | None = None,
    ) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": broker.url,
            "REDIS_URL": broker.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MATCHING_SWEEP_SECONDS": "1",
            "MATCHING_SWEEP_MIN_AGE": "1",
            **(settings or {}),
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker"]
        command += ["--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO"]
        command += ["--without-mingle", "--without-gossip", "--hostname", f"w{free_port()}@test"]
        if beat:
            command += ["--beat", "--schedule", str(log.with_suffix(".beat"))]
        self.log = log
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: b" ready." in log.read_bytes(), what="the worker to be ready")

    def children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the whole worker, as a crash or an OOM kill would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sending_app(broker: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Celery]:
    """Make this process send tasks to the test's broker instead of running them eagerly.

    Celery reads ``CELERY_BROKER_URL`` from the environment before its configuration, so the
    variable is what must point at the test's broker.
    """
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)
    # Read the current app first: a new Celery() makes itself current unless told not to, and
    # restoring "the previous app" would then leave this test's broker-bound app in place for
    # every later test (whose after-commit matching would then go to a stopped broker).
    previous = celery_state.get_current_app()
    app = Celery("vendorwatch-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker.url, task_always_eager=False)
    app.set_current()
    assert app.conf.broker_url == broker.url
    try:
        yield app
    finally:
        previous.set_current()
        app.close()


@pytest.fixture
def workers(
    broker: RedisServer, tmp_path: Path, sending_app: Celery
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*, beat: bool = False, **settings: str) -> Worker:
        """A worker; ``settings`` are environment variables it reads its settings from."""
        worker = Worker(
            broker, tmp_path / f"worker-{len(started)}.log", beat=beat, settings=settings
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def inventory() -> Callable[[int], tuple[Any, list[InventoryItem]]]:
    """``count`` items of one product across five organizations, written in bulk."""

    def make(count: int) -> tuple[Any, list[InventoryItem]]:
        product = ProductFactory(vendor=VendorFactory(country="RU"))
        organizations = [OrganizationFactory() for _ in range(5)]
        items = []
        for index in range(count):
            item = InventoryItem(
                organization=organizations[index % 5],
                product=product,
                raw_vendor=product.vendor.name,
                raw_product=product.name,
                version=f"1.{index % 7}",
            )
            item.refresh_derived_fields()
            items.append(item)
        return product, InventoryItem.objects.bulk_create(items, batch_size=2000)

    return make


def draft_on(product: Any) -> Advisory:
    advisory = AdvisoryFactory()
    AffectedTarget.objects.create(advisory=advisory, kind="vendor", vendor=product.vendor)
    return advisory


def run_of(advisory: Advisory) -> MatchRun | None:
    return (
        MatchRun.objects.filter(
            kind=MatchRunKind.ADVISORY,
            status=MatchRunStatus.SUCCEEDED,
            advisory_ids=[advisory.pk],
        )
        .order_by("-pk")
        .first()
    )


def flags_per_pair(advisory: Advisory) -> set[int]:
    return set(
        Flag.objects.filter(advisory=advisory)
        .values("item_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )


def test_published_advisory_is_matched_by_a_worker_rerun_changes_nothing_withdraw_resolves(
    workers, inventory, sending_app
):
    product, items = inventory(50)
    workers()
    advisory = draft_on(product)

    published = time.monotonic()
    advisory_publish(advisory=advisory)
    wait_for(lambda: run_of(advisory), timeout=15, what="the advisory run")
    assert time.monotonic() - published < 15
    assert Flag.objects.filter(advisory=advisory, status=FlagStatus.OPEN).count() == 50

    rows = list(
        Flag.objects.filter(advisory=advisory).order_by("pk").values_list("pk", "updated_at")
    )
    events = FlagEvent.objects.count()
    first_run = run_of(advisory)
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())
    sending_app.send_task(MATCH_ADVISORIES, args=[[advisory.pk]])
    rerun = wait_for(
        lambda: (run := run_of(advisory)) and run.pk != first_run.pk and run,
        what="the re-run",
    )
    assert (rerun.flags_created, rerun.flags_updated, rerun.flags_resolved) == (0, 0, 0)
    assert (
        list(Flag.objects.filter(advisory=advisory).order_by("pk").values_list("pk", "updated_at"))
        == rows
    )
    assert FlagEvent.objects.count() == events

    advisory_withdraw(advisory=Advisory.objects.get(pk=advisory.pk), reason="Retracted.")
    wait_for(
        lambda: (
            not Flag.objects.filter(advisory=advisory).exclude(status=FlagStatus.RESOLVED).exists()
        ),
        what="the flags to be resolved",
    )
    assert set(
        Flag.objects.filter(advisory=advisory).values_list("resolution_reason", flat=True)
    ) == {ResolutionReason.ADVISORY_WITHDRAWN}


def matching_lock_held() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s AND objsubid = 1",
            [MATCHING_KEY >> 32, MATCHING_KEY & 0xFFFFFFFF],
        )
        return cursor.fetchone() is not None


def test_a_pool_process_killed_mid_match_is_replaced_and_the_task_redelivered(workers, inventory):
    product, items = inventory(20_000)
    worker = workers()
    advisory = draft_on(product)

    advisory_publish(advisory=advisory)
    wait_for(matching_lock_held, timeout=30, what="the match to start")
    for child in worker.children():
        os.kill(child, signal.SIGKILL)

    wait_for(lambda: run_of(advisory), what="the redelivered task to finish")
    assert Flag.objects.filter(advisory=advisory).count() == len(items)
    assert flags_per_pair(advisory) == {1}
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is None


def test_a_worker_killed_mid_match_and_restarted_finishes_the_work(workers, inventory):
    product, items = inventory(20_000)
    worker = workers()
    advisory = draft_on(product)

    advisory_publish(advisory=advisory)
    wait_for(matching_lock_held, timeout=30, what="the match to start")
    worker.kill()
    wait_for(lambda: not matching_lock_held(), what="the killed run to be rolled back")
    assert not Flag.objects.filter(advisory=advisory).exists()
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is not None

    # The message is still unacknowledged in Redis; the restarted worker's sweeper finds the
    # advisory still marked and sends the work again.
    workers(beat=True)
    wait_for(lambda: run_of(advisory), what="the restarted worker to match")
    assert Flag.objects.filter(advisory=advisory).count() == len(items)
    assert flags_per_pair(advisory) == {1}


def test_publishing_while_redis_is_down_succeeds_and_is_matched_once_it_is_back(
    workers, inventory, broker
):
    product, items = inventory(20)
    workers(beat=True)
    advisory = draft_on(product)
    broker.stop()

    started = time.monotonic()
    advisory_publish(advisory=advisory)
    took = time.monotonic() - started

    assert took < 3, f"publishing took {took:.1f} s with the broker down"
    advisory.refresh_from_db()
    assert advisory.status == "published" and advisory.match_requested_at is not None
    assert not Flag.objects.filter(advisory=advisory).exists()

    broker.start()
    wait_for(lambda: run_of(advisory), what="the sweeper to get the advisory matched")
    assert Flag.objects.filter(advisory=advisory).count() == len(items)


# --- chunks ----------------------------------------------------------------------------------


def chunks_of(advisory: Advisory) -> Any:
    return MatchRun.objects.filter(kind=MatchRunKind.CHUNK, parent__advisory_ids=[advisory.pk])


def exactly_one_flag_and_one_created_event_per_item(advisory: Advisory, items: list[Any]) -> None:
    assert Flag.objects.filter(advisory=advisory).count() == len(items)
    assert flags_per_pair(advisory) == {1}
    created = FlagEvent.objects.filter(flag__advisory=advisory, kind="created")
    assert created.count() == len(items)
    assert set(created.values("flag_id").annotate(n=Count("pk")).values_list("n", flat=True)) == {1}


def test_a_chunk_whose_worker_is_killed_is_done_by_another_worker(workers, inventory):
    product, items = inventory(20_000)
    with connection.cursor() as cursor:
        # Statistics as production has them.
        cursor.execute("ANALYZE orgs_inventoryitem, vendors_product")
    # Five organizations of 4,000 items: chunks of 4,000 items are one organization each.
    first = workers(MATCHING_CHUNK_ITEMS="4000")
    advisory = draft_on(product)

    advisory_publish(advisory=advisory)
    wait_for(
        lambda: (
            chunks_of(advisory).filter(status=MatchRunStatus.SUCCEEDED).exists()
            and matching_lock_held()
        ),
        timeout=30,
        what="a chunk done and the next one started",
    )
    first.kill()
    wait_for(lambda: not matching_lock_held(), what="the killed chunk to be rolled back")
    assert chunks_of(advisory).count() == 5
    assert chunks_of(advisory).filter(status=MatchRunStatus.PENDING).exists()
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is not None

    # The killed worker's messages stay unacknowledged in Redis; the other worker's sweeper
    # sends the chunks still pending again.
    workers(beat=True, MATCHING_CHUNK_ITEMS="4000")
    run = wait_for(lambda: run_of(advisory), what="the other worker to finish the run")
    assert run.flags_created == len(items)
    assert set(chunks_of(advisory).values_list("status", flat=True)) == {MatchRunStatus.SUCCEEDED}
    exactly_one_flag_and_one_created_event_per_item(advisory, items)
    assert Advisory.objects.get(pk=advisory.pk).match_requested_at is None


def test_a_chunk_that_overruns_the_soft_time_limit_is_split_and_the_run_finishes(
    workers, inventory
):
    product, items = inventory(500)
    advisory = draft_on(product)
    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        # Every chunk reads the flags first: while this lock is held, each one overruns.
        blocker.cursor().execute("LOCK TABLE exposure_flag IN ACCESS EXCLUSIVE MODE")
        workers(CELERY_TASK_SOFT_TIME_LIMIT="2", CELERY_TASK_TIME_LIMIT="20")
        advisory_publish(advisory=advisory)
        wait_for(
            lambda: chunks_of(advisory).filter(status=MatchRunStatus.SPLIT).count() >= 2,
            what="the chunk of five organizations to be split, and a half of it again",
        )
    finally:
        blocker.rollback()
        blocker.close()

    run = wait_for(lambda: run_of(advisory), what="the run to finish")
    chunks = chunks_of(advisory)
    split = chunks.filter(status=MatchRunStatus.SPLIT)
    assert "Overran its time limit" in split.first().error
    done = chunks.exclude(status=MatchRunStatus.SPLIT)
    assert set(done.values_list("status", flat=True)) == {MatchRunStatus.SUCCEEDED}
    # The finished chunks cover the five organizations exactly once.
    covered = sorted(pk for chunk in done for pk in chunk.organization_ids)
    assert covered == sorted(set(InventoryItem.objects.values_list("organization_id", flat=True)))
    assert run.flags_created == len(items)
    exactly_one_flag_and_one_created_event_per_item(advisory, items)
