"""API benchmark: latency and throughput of the big read endpoints under concurrent load.

``make bench-api`` builds (once) a database of its own, ``vendorwatch_bench_api``, with
1,000,000 inventory items and 200,000 flags, serves the app with gunicorn (2 workers) on
127.0.0.1, and drives it from 10 concurrent clients, as an analyst of the largest
organization (50,000 items, 10,000 flags) with an API token. Measured: that organization's flag
list (a page of 50), the detail of the advisory that flags most of its items with its flag
counts, and its inventory list filtered by environment and criticality; and, in the same run, a
floor: a DRF endpoint that does nothing but authenticate, throttle and render
(``tests/bench/api_urls.py``). Beside them, without a target: the same advisory's dry-run
impact preview. The endpoints take turns: five rounds of 3 s each (after a 2 s warm-up on the
first), so that a host whose speed drifts slows them all alike. For each it reports the
p50/p95/p99 latency, the requests per second over all its turns, its throughput as a share of
the floor's (for the record: the floor measures the framework, not a user's need) and the load
generator's own CPU time per request. Target: p95 at most 50 ms for each targeted endpoint.
The last line reads ``api: worst p95 X ms, worst throughput ratio R``; the exit status is 1
when the target is missed or a request failed.

The server counts requests for its rate limits in Redis (``--redis-url``, a database of its
own), as in production; its limits are raised out of reach. gunicorn runs its default sync
workers, as the Dockerfile does: they answer one request per
connection, so the clients reconnect for each request (gthread workers would keep connections
alive, but pin each one to a worker process, leaving one worker idle while the other queues).

The data is written with INSERT … SELECT over generate_series, so a build takes a minute or
two; later runs reuse it unless ``--rebuild`` is given or its shape changed (``DATA_VERSION``).
The catalogue, organizations and advisories are created through the ORM, so they are valid by
construction. Each flag joins an item to the advisory against the item's vendor, as the
matcher's do, though only 2 in 5 of those items have one (for exactly 200,000 flags).
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/vendorwatch_bench_api"
# The server's cache, where the rate limits count requests: Redis, as in production
# (docker-compose.yml), on a database of its own.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
HOST = "127.0.0.1"

VENDORS = 200
PRODUCTS_PER_VENDOR = 10
ORGANIZATIONS = 400
ADVISORIES = 100
VERSIONS = [
    f"{major}.{minor}.{patch}" for major in (1, 2) for minor in range(5) for patch in range(5)
]
# One organization is large (a twentieth of the items: 50,000 items, 10,000 flags); the lists
# are measured on it, the worst case for a page. Each organization's items are written
# together, as an import writes them, rather than interleaved row by row with every other
# organization's, which no real table looks like.
BIG_ORGANIZATION_SHARE = 20
# Every 25th item names something not in the catalogue, as real inventories do.
UNRESOLVED_EVERY = 25
# Items of the first 100 vendors (each has an advisory) whose id mod 25 is 1-10 are flagged:
# 2 in 5 of half the items, 200,000 of 1,000,000.
FLAGGED_RESIDUES = 10
# Bumped whenever the shape of the data changes, so that an old build is not reused.
DATA_VERSION = 4

TARGET_P95_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the data even if present.")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="Build (or check) the data and stop: for tests/bench/profile_api.py.",
    )
    parser.add_argument("--port", type=int, default=0, help="Default: a free port.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--duration", type=float, default=15.0, help="Seconds per endpoint.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="The endpoints take turns this many times, each for duration/rounds seconds.",
    )
    parser.add_argument("--max-requests", type=int, default=20_000, help="Per endpoint.")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="Unmeasured seconds before an endpoint's first turn (a tenth of that before the "
        "others).",
    )
    options = parser.parse_args()

    options.port = options.port or free_port()
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.api_settings")
    sys.path.insert(0, str(ROOT))
    database_create(options.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    world = data_build(items=options.items, rebuild=options.rebuild)
    token = bench_token()
    if options.build_only:
        return 0

    print(machine_description(world))
    print(f"cache: Redis {redis_version(options.redis_url)} ({options.redis_url})")
    server = server_start(options)
    try:
        results = endpoints_measure(options, world, token)
    finally:
        server_stop(server)
    return report(results)


# --- data --------------------------------------------------------------------------------


@dataclass
class World:
    """What the endpoints are measured on."""

    items: int
    flags: int
    organization_id: int
    advisory_id: int


def database_create(url: str) -> None:
    """Create the benchmark's database unless it exists."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def data_build(*, items: int, rebuild: bool) -> World:
    """Build the benchmark data, or reuse it when it is already there at the right size."""
    from django.db import connection

    from exposure.models import Flag
    from orgs.models import InventoryItem

    expected_flags = items // 5
    present = (
        _data_version() == DATA_VERSION
        and InventoryItem.objects.count() == items
        and Flag.objects.count() == expected_flags
    )
    if rebuild or not present:
        started = time.monotonic()
        print(f"Building {items:,} inventory items and {expected_flags:,} flags …", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE exposure_flagevent, exposure_flag, orgs_inventoryitem, "
                "advisories_affectedtarget, advisories_advisory, advisories_source, "
                "orgs_membership, orgs_apitoken, orgs_organization, vendors_product, "
                "vendors_vendor RESTART IDENTITY CASCADE"
            )
        _catalogue_build()
        _items_build(items)
        _flags_build()
        with connection.cursor() as cursor:
            # Freshly inserted tables have no visibility map, so no index-only scans; a live
            # database has long been vacuumed by autovacuum.
            cursor.execute("VACUUM (ANALYZE)")
        print(f"Built in {time.monotonic() - started:.0f} s.", flush=True)
    return world_find()


def world_find() -> World:
    """The organization and advisory the endpoints are measured on, in the built data."""
    from django.db.models import Count

    from exposure.models import Flag
    from orgs.models import InventoryItem, Organization

    big = Organization.objects.get(slug="bench-big")
    # The advisory that flags the most of the big organization's items: the heaviest impact.
    top = (
        Flag.objects.filter(organization=big)
        .values("advisory_id")
        .annotate(flags=Count("pk"))
        .order_by("-flags", "advisory_id")
        .first()
    )
    assert top is not None
    return World(
        items=InventoryItem.objects.count(),
        flags=Flag.objects.count(),
        organization_id=big.pk,
        advisory_id=top["advisory_id"],
    )


def _catalogue_build() -> None:
    from django.utils import timezone

    from advisories.choices import AdvisoryKind, AdvisoryStatus, Severity, TargetKind
    from advisories.models import Advisory, AffectedTarget, Source
    from orgs.models import Organization
    from vendors.models import Product, Vendor

    vendors = [
        Vendor.objects.create(name=f"Bench Vendor {n:03d}", slug=f"bench-vendor-{n:03d}")
        for n in range(VENDORS)
    ]
    for vendor in vendors:
        for n in range(PRODUCTS_PER_VENDOR):
            Product.objects.create(vendor=vendor, name=f"Product {n:02d}", slug=f"product-{n:02d}")
    sectors = ["energy", "health", "finance", "transport", "water", "other"]
    Organization.objects.create(name="Bench Big Organization", slug="bench-big", sector="energy")
    for n in range(ORGANIZATIONS - 1):
        Organization.objects.create(
            name=f"Bench Organization {n:03d}",
            slug=f"bench-org-{n:03d}",
            sector=sectors[n % len(sectors)],
        )
    source = Source.objects.create(name="Bench CERT", slug="bench-cert")
    severities = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]
    for n in range(ADVISORIES):
        advisory = Advisory.objects.create(
            source=source,
            identifier=f"BENCH-{n:04d}",
            title=f"Replace the products of Bench Vendor {n:03d}",
            kind=AdvisoryKind.VENDOR_WARNING,
            severity=severities[n % len(severities)],
            status=AdvisoryStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        AffectedTarget.objects.create(advisory=advisory, kind=TargetKind.VENDOR, vendor=vendors[n])


def _insert_select(model: Any, source_sql: str, expressions: dict[str, str]) -> None:
    """INSERT INTO the model's table a row per row of ``source_sql``.

    Columns named in ``expressions`` take that SQL; every other column takes the field's
    default, so that a column another migration adds later is filled as the ORM would.
    """
    from django.db import connection

    columns: list[str] = []
    selects: list[str] = []
    defaults: list[Any] = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.column in expressions:
            selects.append(expressions[model_field.column])
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            selects.append("now()")
        elif model_field.has_default() or not model_field.null:
            selects.append("%s")
            defaults.append(model_field.get_db_prep_save(model_field.get_default(), connection))
        else:
            selects.append("NULL")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(selects)} FROM {source_sql}",
            defaults,
        )


def _sql_text_array(values: list[str]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"ARRAY[{quoted}]::text[]"


def _items_build(items: int) -> None:
    from django.db import connection

    from orgs.models import InventoryItem, Organization
    from vendors.matching.versions import version_key

    big_id = Organization.objects.get(slug="bench-big").pk
    others = ORGANIZATIONS - 1
    big_items = items // BIG_ORGANIZATION_SHARE
    keys = [version_key(version) or "" for version in VERSIONS]
    with connection.cursor() as cursor:
        # Item n takes product 1 + n mod P: a numbered copy of the catalogue to join on.
        cursor.execute("DROP TABLE IF EXISTS bench_product")
        cursor.execute(
            "CREATE TEMP TABLE bench_product AS "
            "SELECT row_number() OVER (ORDER BY p.id) AS n, p.id, v.name AS vendor_name, "
            "p.name AS product_name, v.normalized_name AS vendor_norm, "
            "p.normalized_name AS product_norm "
            "FROM vendors_product p JOIN vendors_vendor v ON v.id = p.vendor_id"
        )
    products = VENDORS * PRODUCTS_PER_VENDOR
    unresolved = f"mod(i, {UNRESOLVED_EVERY}) = 0"
    version = f"({_sql_text_array(VERSIONS)})[1 + mod(i, {len(VERSIONS)})]"
    _insert_select(
        InventoryItem,
        f"generate_series(1, {items}) AS i JOIN bench_product p ON p.n = 1 + mod(i, {products})",
        {
            "organization_id": (
                f"CASE WHEN i <= {big_items} THEN {big_id} "
                f"ELSE {big_id} + 1 + ((i - {big_items} - 1) * {others}) / {items - big_items} END"
            ),
            "product_id": f"CASE WHEN {unresolved} THEN NULL ELSE p.id END",
            "raw_vendor": (
                f"CASE WHEN {unresolved} THEN 'Unlisted Tools Ltd' ELSE p.vendor_name END"
            ),
            "raw_product": (
                f"CASE WHEN {unresolved} THEN 'Tool ' || mod(i, 997) ELSE p.product_name END"
            ),
            "normalized_vendor": (
                f"CASE WHEN {unresolved} THEN 'unlisted tools' ELSE p.vendor_norm END"
            ),
            "normalized_product": (
                f"CASE WHEN {unresolved} THEN 'tool ' || mod(i, 997) ELSE p.product_norm END"
            ),
            "version": version,
            "version_key": f"({_sql_text_array(keys)})[1 + mod(i, {len(VERSIONS)})]",
            "quantity": "1 + mod(i, 5)",
            "environment": (
                "(ARRAY['production', 'staging', 'development', 'test'])[1 + mod(i / 7, 4)]"
            ),
            "criticality": "(ARRAY['critical', 'high', 'medium', 'low'])[1 + mod(i / 3, 4)]",
            "source": "'csv'",
            "external_ref": "'CMDB-' || i",
        },
    )


def _flags_build() -> None:
    from django.db import connection

    from exposure.models import Flag

    # Advisory n warns against vendor n; an item of that vendor whose id mod 25 is 1-10 has a
    # flag on it, with the target that matched (items of vendors without an advisory, or
    # outside the catalogue, have none).
    status = (
        "CASE WHEN mod(it.id / 25, 20) < 14 THEN 'open' WHEN mod(it.id / 25, 20) < 17 "
        "THEN 'acknowledged' WHEN mod(it.id / 25, 20) < 19 THEN 'mitigated' ELSE 'resolved' END"
    )
    _insert_select(
        Flag,
        "orgs_inventoryitem it JOIN vendors_product p ON p.id = it.product_id "
        "JOIN advisories_affectedtarget t ON t.vendor_id = p.vendor_id "
        f"WHERE mod(it.id, {UNRESOLVED_EVERY}) BETWEEN 1 AND {FLAGGED_RESIDUES}",
        {
            "advisory_id": "t.advisory_id",
            "matched_target_id": "t.id",
            "item_id": "it.id",
            "organization_id": "it.organization_id",
            "product_id": "it.product_id",
            "vendor_id": "p.vendor_id",
            "item_label": "it.raw_vendor || ' ' || it.raw_product || ' ' || it.version",
            "status": status,
            "resolution_reason": (
                f"CASE WHEN {status} = 'resolved' THEN 'version_not_affected' ELSE '' END"
            ),
            "resolved_at": f"CASE WHEN {status} = 'resolved' THEN now() END",
            "priority": "mod(it.id * 37, 101)",
            "due_date": "current_date + (mod(it.id, 120) - 30)::int",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_api_meta (data_version int)")
        cursor.execute("DELETE FROM bench_api_meta")
        cursor.execute("INSERT INTO bench_api_meta VALUES (%s)", [DATA_VERSION])


def _data_version() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_api_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT max(data_version) FROM bench_api_meta")
        return cursor.fetchone()[0]


def bench_token() -> str:
    """A fresh read token of an analyst of the big organization."""
    from orgs.choices import Role
    from orgs.models import Membership, Organization, User
    from orgs.tokens import token_create

    user, _ = User.objects.get_or_create(username="bench-analyst")
    Membership.objects.get_or_create(
        user=user,
        organization=Organization.objects.get(slug="bench-big"),
        defaults={"role": Role.ANALYST},
    )
    _token, secret = token_create(user=user, name=f"bench {time.time():.0f}")
    return secret


def machine_description(world: World) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return (
        f"machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"PostgreSQL {postgres}\n"
        f"data: {world.items:,} inventory items, {world.flags:,} flags"
    )


def redis_version(url: str) -> str:
    import redis

    try:
        return str(redis.Redis.from_url(url).info("server")["redis_version"])
    except redis.RedisError as error:
        raise SystemExit(
            f"Redis at {url} does not answer ({error}): start it, or name another with "
            "--redis-url or BENCH_REDIS_URL."
        ) from None


# --- server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_start(options: argparse.Namespace) -> subprocess.Popen[bytes]:
    """gunicorn on 127.0.0.1 with the app's production-like settings; waits until it answers."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.api_settings",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": options.redis_url,
        # The benchmark measures the endpoints, not the rate limits it would otherwise hit;
        # the requests are still counted, as every request is.
        "API_THROTTLE_USER": "1000000/minute",
        "API_THROTTLE_TOKEN": "1000000/minute",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{options.port}",
        "--workers",
        str(options.workers),
        "--worker-class",
        options.worker_class,
        "--threads",
        str(options.threads),
        "--keep-alive",
        "30",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, options.port, timeout=2)
            # The floor exists only in the benchmark's URLs: a 401 from it means this is our
            # server, not another one on the same port.
            connection.request("GET", "/bench/floor/")
            if connection.getresponse().status == 401:
                return server
        except OSError:
            time.sleep(0.2)
    server_stop(server)
    raise SystemExit("gunicorn did not start within 30 seconds")


def server_stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- load --------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    path: str
    targeted: bool = True
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    elapsed: float = 0.0
    # Requests sent, warm-ups included, and the CPU time this process (the clients) spent on
    # them: what the load generator takes from the two cores the server runs on.
    sent: int = 0
    client_cpu: float = 0.0

    @property
    def client_cpu_ms(self) -> float:
        return self.client_cpu / self.sent * 1000 if self.sent else 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        """Latency in ms below which ``fraction`` of the requests finished (nearest rank)."""
        if not self.latencies:
            return math.inf
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] * 1000


ENDPOINT_NAMES = {
    "floor": "floor (minimal DRF endpoint)",
    "flags": "flag list, one organization",
    "advisory": "advisory detail, flag counts",
    "inventory": "inventory list, filtered",
    "preview": "impact preview (dry run)",
}
# The endpoints the issue sets targets for; the dry-run preview is measured beside them for
# the record: it runs the matcher over every organization the caller sees.
TARGETED = frozenset({"flags", "advisory", "inventory"})


def endpoint_paths(world: World) -> dict[str, str]:
    """The measured requests, by short name (the floor first: the others are held to it)."""
    flags = f"/api/v1/flags/?organization={world.organization_id}&page_size=50"
    inventory = (
        f"/api/v1/inventory-items/?organization={world.organization_id}"
        "&environment=production&criticality=high&page_size=50"
    )
    return {
        "floor": "/bench/floor/",
        "flags": flags,
        "advisory": f"/api/v1/advisories/{world.advisory_id}/",
        "inventory": inventory,
        "preview": f"/api/v1/advisories/{world.advisory_id}/impact/",
    }


def endpoints_measure(options: argparse.Namespace, world: World, token: str) -> list[Result]:
    """Each endpoint in turn, ``rounds`` times over: a machine whose speed drifts during the
    run (a shared host's neighbours, CPU frequency) then slows the floor and the endpoints
    alike, instead of skewing their ratio by whichever ran in the slower minute."""
    paths = endpoint_paths(world)
    results = {
        key: Result(name=ENDPOINT_NAMES[key], path=path, targeted=key in TARGETED)
        for key, path in paths.items()
    }
    rounds = max(1, options.rounds)
    for turn in range(rounds):
        for key in paths:
            load_run(
                options,
                results[key],
                token,
                duration=options.duration / rounds,
                warmup=options.warmup if turn == 0 else options.warmup / 10,
                max_requests=options.max_requests // rounds,
            )
    return list(results.values())


def load_run(
    options: argparse.Namespace,
    result: Result,
    token: str,
    *,
    duration: float,
    warmup: float,
    max_requests: int,
) -> None:
    """Drive ``result.path`` from ``concurrency`` keep-alive clients: a warm-up, then the
    measurement, added to ``result``.

    The measurement ends after ``duration`` seconds or ``max_requests`` requests, whichever
    comes first.
    """
    path = result.path
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    lock = threading.Lock()
    budget = [max_requests]

    def client(measure_until: float, warm_until: float) -> None:
        connection = http.client.HTTPConnection(HOST, options.port, timeout=30)
        latencies: list[float] = []
        sent = 0
        while True:
            started = time.perf_counter()
            if started >= measure_until:
                break
            measuring = started >= warm_until
            if measuring:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                status, body = 0, str(error).encode()
            else:
                status = response.status
            finished = time.perf_counter()
            sent += 1
            if not measuring:
                continue
            if status == 200:
                latencies.append(finished - started)
            else:
                with lock:
                    result.errors += 1
                    result.first_error = result.first_error or f"{status}: {body[:200]!r}"
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.sent += sent

    cpu_started = time.process_time()
    now = time.perf_counter()
    warm_until = now + warmup
    measure_until = warm_until + duration
    threads = [
        threading.Thread(target=client, args=(measure_until, warm_until))
        for _ in range(options.concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed += min(time.perf_counter(), measure_until) - warm_until
    result.client_cpu += time.process_time() - cpu_started


def report(results: list[Result]) -> int:
    floor = results[0]
    targeted = [result for result in results[1:] if result.targeted]

    def ratio(result: Result) -> float:
        return result.throughput / floor.throughput if floor.throughput else 0.0

    print(
        f"{'endpoint':<30} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ratio':>6} {'client':>7}"
    )
    for result in results:
        print(
            f"{result.name:<30} {len(result.latencies):>8} {result.errors:>6} "
            f"{result.throughput:>7.1f} {result.percentile(0.50):>7.1f} "
            f"{result.percentile(0.95):>7.1f} {result.percentile(0.99):>7.1f} "
            f"{ratio(result):>6.2f} {result.client_cpu_ms:>7.2f}"
            + ("" if result.targeted or result is floor else "  (no target)")
        )
        if result.first_error:
            print(f"  first error: {result.first_error}")
    print("client: CPU ms per request spent by the load generator on the same cores")
    worst_p95 = max(result.percentile(0.95) for result in targeted)
    worst_ratio = min(ratio(result) for result in targeted)
    failed = any(result.errors for result in results) or worst_p95 > TARGET_P95_MS
    print(f"target: p95 ≤ {TARGET_P95_MS:.0f} ms: {'missed' if failed else 'met'}")
    print(f"api: worst p95 {worst_p95:.1f} ms, worst throughput ratio {worst_ratio:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
