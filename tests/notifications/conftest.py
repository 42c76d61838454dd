"""A local HTTP server standing in for webhook receivers, and a small world that the real
matcher flags: one advisory, an item of organization A and one of organization B."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from advisories.choices import AdvisoryKind, Severity, TargetKind
from advisories.models import Advisory
from advisories.services import advisory_create, advisory_publish
from exposure.models import Flag
from orgs.models import InventoryItem
from orgs.services import inventory_item_create
from tests.api.conftest import Clients
from tests.conftest import Tenants
from tests.factories import ProductFactory, SourceFactory, VendorFactory
from vendors.models import Product


@dataclass
class Received:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records what it is sent, answers with ``statuses`` in
    turn (the last one repeats) and, for a 3xx, a ``Location``."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])
    location: str = ""

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.location)
            reply = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/vendorwatch"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def api(db: None) -> Clients:
    """API clients that act as someone (as in tests/api)."""
    return Clients()


@pytest.fixture
def local_receivers_allowed(settings: Any) -> None:
    """The operator's allow-list names the local receiver, as an intranet relay would be."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]


@dataclass
class World:
    tenants: Tenants
    product: Product
    item_a: InventoryItem
    item_b: InventoryItem


@pytest.fixture
def world(tenants: Tenants, django_capture_on_commit_callbacks: Any) -> World:
    vendor = VendorFactory(name="Kaspersky", slug="kaspersky", country="RU")
    product = ProductFactory(vendor=vendor, name="Endpoint Security", slug="endpoint-security")
    data = {"product": product, "raw_vendor": "Kaspersky", "raw_product": "Endpoint Security"}
    with django_capture_on_commit_callbacks(execute=True):
        item_a = inventory_item_create(organization=tenants.org_a, data=data)
        item_b = inventory_item_create(organization=tenants.org_b, data=data)
    return World(tenants, product, item_a, item_b)


def publish(
    world: World,
    capture: Any,
    *,
    identifier: str = "BSI-2022-0315",
    severity: str = Severity.HIGH,
    kind: str = AdvisoryKind.VENDOR_WARNING,
) -> Advisory:
    """Publish an advisory about the world's product through the real services; after commit
    the matcher flags the items, and wakes the dispatcher."""
    advisory = advisory_create(
        source=SourceFactory(),
        identifier=identifier,
        title=f"Replace {world.product.name}",
        kind=kind,
        severity=severity,
        targets=[{"kind": TargetKind.PRODUCT, "product": world.product}],
    )
    with capture(execute=True):
        advisory_publish(advisory=advisory)
    return advisory


def flag_of(advisory: Advisory, item: InventoryItem) -> Flag:
    return Flag.objects.get(advisory=advisory, item=item)
