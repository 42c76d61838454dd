"""Fixtures of the feed tests: our own small documents, and the shared real-world ones.

The shared fixtures (OASIS examples, CISA advisories, the KEV catalog) live beside the
repository in ``../shared/fixtures`` and are read from there, never copied in; tests that
need them skip, saying so, when that directory is absent.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext

REPO = Path(__file__).resolve().parents[3]
SHARED_FIXTURES = REPO / ".." / "shared" / "fixtures"
OWN_FIXTURES = REPO / "tests" / "fixtures" / "feeds"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/fixtures, or a skip that says which directory is missing."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path.resolve()} is absent: the shared fixtures are not beside the repo")
    return path


def shared_documents(*folders: str) -> list[Path]:
    """Every JSON document in the given ../shared/fixtures/csaf folders (empty if absent)."""
    paths: list[Path] = []
    for folder in folders:
        paths += sorted((SHARED_FIXTURES / "csaf" / folder).glob("*.json"))
    return paths


def own_document(name: str) -> dict[str, Any]:
    return json.loads((OWN_FIXTURES / name).read_text())


@pytest.fixture
def advisory_document() -> dict[str, Any]:
    """Our own small CSAF security advisory (a fresh copy each time)."""
    return copy.deepcopy(own_document("acme-2026-0001.json"))


def as_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def writes(queries: CaptureQueriesContext) -> list[str]:
    """The captured statements that change data (savepoints and locks are not changes)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


@dataclass
class LocalServer:
    """A directory served over HTTP on 127.0.0.1, standing in for a provider's web server."""

    root: Path
    url: str

    def write(self, relative: str, content: bytes | str) -> Path:
        """Write a file to serve, bumping its time so conditional requests see the change."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        existed = path.exists()
        path.write_bytes(content)
        if existed:
            stamp = path.stat().st_mtime + 5
            os.utime(path, (stamp, stamp))
        return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server(tmp_path: Path, settings: Any) -> Iterator[LocalServer]:
    """The provider's server is on loopback, which feeds may never reach unless an operator
    allows it: the test's settings allow this one host, as an operator would a mirror."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalServer(root=root, url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
