"""Where an API request's time goes: the benchmark's endpoints, in-process, one at a time.

``make bench-api`` measures the endpoints through gunicorn under load; this script answers the
question that figure raises: what does one request cost, and of what. It calls the WSGI
application directly (no server, no network), on the benchmark's own database (build it first
with ``tests/bench/bench_api.py --build-only``), and prints for each endpoint the CPU time of
a request in this process, the queries it ran and their time as seen from here, and with
``--profile`` the functions that took the most time.

    .venv/bin/python tests/bench/profile_api.py [--requests 300] [--profile flags]

CPU time on a shared host drifts by a fifth from run to run; to compare two versions of the
code, count instructions instead (valgrind, about 3 minutes a run): the difference between
``--requests 60`` and ``--requests 20``, divided by 40, is one request's instructions.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        .venv/bin/python tests/bench/profile_api.py --endpoint flags --requests 60
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/vendorwatch_bench_api"
        ),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
        help="Where rate limits count requests, as in production and the benchmark (an "
        "in-process count would start a timer thread per request that neither has).",
    )
    parser.add_argument("--requests", type=int, default=300, help="Per endpoint.")
    parser.add_argument(
        "--profile", action="append", default=[], help="Endpoint name(s) to profile."
    )
    parser.add_argument(
        "--endpoint", action="append", default=[], help="Only these endpoint(s), by name."
    )
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--queries", action="store_true", help="Print each endpoint's queries and their time."
    )
    options = parser.parse_args()

    os.environ["DATABASE_URL"] = options.database_url
    os.environ["REDIS_URL"] = options.redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.api_settings"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["API_THROTTLE_USER"] = "100000000/minute"
    os.environ["API_THROTTLE_TOKEN"] = "100000000/minute"

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from tests.bench.bench_api import bench_token, endpoint_paths, world_find

    application = get_wsgi_application()
    world = world_find()
    token = bench_token()

    timings: list[float] = []
    statements: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - started)
            statements.append((timings[-1], sql))

    print(f"{'endpoint':<10} {'cpu ms':>7} {'wall ms':>8} {'queries':>7} {'query ms':>9}")
    for name, path in endpoint_paths(world).items():
        if options.endpoint and name not in options.endpoint:
            continue
        environ = _environ(path, token)

        def call(environ: dict[str, Any] = environ) -> bytes:
            status: list[str] = []
            body = b"".join(application(dict(environ), lambda s, h: status.append(s)))
            assert status[0].startswith("200"), (status, body[:300])
            return body

        for _ in range(20):  # warm: connections, caches, lazily built classes
            call()
        with connection.execute_wrapper(timed):
            timings.clear()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(options.requests):
                call()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per = 1000 / options.requests
        print(
            f"{name:<10} {cpu * per:>7.2f} {wall * per:>8.2f} "
            f"{len(timings) / options.requests:>7.1f} {sum(timings) * per:>9.2f}"
        )
        if options.queries:
            statements.clear()
            with connection.execute_wrapper(timed):
                call()
            for seconds, sql in statements:
                print(f"  {seconds * 1000:6.2f} ms  {sql[:400]}")
        if name in options.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(options.requests):
                call()
            profiler.disable()
            for sort in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(options.top)
                print(out.getvalue())
    return 0


def _environ(path: str, token: str) -> dict[str, Any]:
    path_info, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


if __name__ == "__main__":
    sys.exit(main())
