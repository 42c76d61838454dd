"""Vendorwatch as separate processes, the way it is run: ``manage.py`` commands and a server
on 127.0.0.1, each with the environment a test gives it (its own database, its own settings).

The newcomer's quick start (``tests/config/test_quickstart.py``) and the CSAF round trip
between two instances (``tests/advisories/test_csaf_round_trip.py``) use them.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run ``manage.py args`` with ``env``; its standard output, or a failed assertion that
    shows what it printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(
    env: dict[str, str], log: Path, *, timeout: float = 60, workers: int = 0
) -> Iterator[str]:
    """``manage.py runserver`` (as ``make run`` serves) or, given ``workers``, gunicorn with
    that many worker processes (as docker-compose serves), on a free port of 127.0.0.1 with
    ``env``, writing to ``log``; yields its base URL once ``/healthz`` answers, and stops the
    server afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if workers:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ]
    else:
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
