"""Two Vendorwatch instances, each a server process on 127.0.0.1 over a database of its own:
the first publishes, revises and withdraws its own advisories and serves them as a CSAF
provider; the second, subscribed to it with a token and the first's public key, walks the
feed (its ``sync_feeds`` command) and holds the same advisories - targets, ranges,
exclusions, TLP, the latest revision, the withdrawal - and serves them through its own API.
The test process only drives them: it shares no database with either."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pysequoia
import pytest
import requests
from django.conf import settings

from tests.instances import manage, served

# Run inside the first instance (manage.py shell): its catalogue, an organization whose
# member's token the second instance uses, and three advisories of its own source.
SEED = """
from advisories.services import advisory_create, advisory_publish
from advisories.models import Source
from orgs.models import Organization, Membership, User
from orgs.tokens import token_create
from vendors.models import Vendor, Product

fortinet = Vendor.objects.create(name="Fortinet", slug="fortinet")
fortios = Product.objects.create(vendor=fortinet, name="FortiOS", slug="fortios")
source = Source.objects.create(name="Our CERT", slug="our-cert", kind="internal")
cert = Organization.objects.create(name="National CERT", slug="national-cert")
reader = User.objects.create(username="subscriber")
Membership.objects.create(user=reader, organization=cert, role="viewer")
_token, text = token_create(user=reader, name="subscription")

def publish(identifier, tlp, **fields):
    advisory = advisory_create(source=source, identifier=identifier, tlp=tlp,
                               audience_organizations=[cert], **fields)
    advisory_publish(advisory=advisory)

publish("OUR-2026-0001", "clear", title="FortiOS SSL-VPN", kind="vulnerability",
        severity="high", recommended_action="update", cve_ids=["CVE-2024-21762"],
        targets=[{"kind": "product_range", "product": fortios,
                  "version_range": "vers:generic/>=7.0|<7.2.5"},
                 {"kind": "product_range", "product": fortios,
                  "version_range": "vers:generic/>=7.2.5", "is_exclusion": True}])
publish("OUR-2026-0002", "amber_strict", title="FortiOS for the CERT only",
        kind="vulnerability", targets=[{"kind": "product", "product": fortios}])
publish("OUR-2026-0003", "red", title="Nobody but its named users", kind="vulnerability",
        targets=[{"kind": "product", "product": fortios}])
print("TOKEN", text)
"""
REVISE = """
from advisories.models import Advisory
from advisories.services import advisory_update
advisory = Advisory.objects.get(identifier="OUR-2026-0001")
advisory_update(advisory=advisory, data={"severity": "critical"}, summary="Exploited now.")
"""
WITHDRAW = """
from advisories.models import Advisory
from advisories.services import advisory_withdraw
advisory_withdraw(advisory=Advisory.objects.get(identifier="OUR-2026-0002"),
                  reason="Superseded by OUR-2026-0004.")
"""


# Run inside the second instance: its subscription to the first, and an editor (who reads
# every advisory) with a token for its API.
SUBSCRIBE = """
from advisories.models import Source
from orgs.models import User
from orgs.tokens import token_create

Source.objects.create(name="First Vendorwatch", slug="first", feed_kind="csaf_provider",
                      feed_url=FEED_URL, feed_enabled=True, feed_openpgp_key=PUBLIC_KEY)
editor = User.objects.create(username="editor", is_advisory_editor=True)
_token, text = token_create(user=editor, name="comparison")
print("TOKEN", text)
"""
# Run inside the second instance: the subscription's token, and what the last run noted.
USE_TOKEN = """
from advisories.models import Source
Source.objects.filter(slug="first").update(feed_token=TOKEN, feed_state={})
"""
LAST_RUN = """
import json
from advisories.models import FeedRun
run = FeedRun.objects.filter(source__slug="first").latest("pk")
print("RUN", json.dumps({"status": run.status, "updated": run.updated, "notes": run.notes,
                         "failures": run.failures}))
"""
# Run inside either: its advisories as the comparison sees them (the version is the source's
# for an imported one, the one its CSAF document states for one's own).
SNAPSHOT = """
import json
from advisories.models import Advisory
from advisories.publishing.documents import advisory_csaf

def version(advisory):
    if advisory.source_version:
        return advisory.source_version
    return advisory_csaf(advisory)["document"]["tracking"]["version"]

print("SNAPSHOT", json.dumps({
    a.identifier: {
        "title": a.title, "kind": a.kind, "tlp": a.tlp, "status": a.status,
        "severity": a.severity, "withdrawn_reason": a.withdrawn_reason, "version": version(a),
        "cves": sorted(a.cves.values_list("cve_id", flat=True)),
        "targets": sorted([t.is_exclusion, t.kind, str(t.product), t.version_range]
                          for t in a.targets.select_related("product__vendor")),
    }
    for a in Advisory.objects.prefetch_related("cves")
}))
"""


# The subscriber may read CLEAR and (as a member of the audience) AMBER+STRICT; not RED.
READABLE = ("OUR-2026-0001", "OUR-2026-0002")


@dataclass(frozen=True)
class Instance:
    """A Vendorwatch served on 127.0.0.1 over a database of its own."""

    base: str
    env: dict[str, str]

    def run(self, code: str, **values: str) -> str:
        """Run ``code`` inside the instance (``manage.py shell``), with ``values`` as names."""
        names = "".join(f"{name} = {value!r}\n" for name, value in values.items())
        return manage(self.env, "shell", "--no-imports", "-c", names + textwrap.dedent(code))

    def printed(self, code: str, label: str, **values: str) -> Any:
        """What ``code`` printed after ``label`` (JSON)."""
        output = self.run(code, **values)
        return json.loads(output.split(f"{label} ", 1)[1].splitlines()[0])

    def snapshot(self) -> dict[str, Any]:
        return self.printed(SNAPSHOT, "SNAPSHOT")  # type: ignore[no-any-return]


def _admin_connection() -> Any:
    database = settings.DATABASES["default"]
    connection = psycopg2.connect(
        dbname="postgres",
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
    )
    connection.autocommit = True
    return connection


@contextmanager
def _instance(role: str, log: Path, **environment: str) -> Iterator[Instance]:
    """An instance with a database created for it (and dropped afterwards), migrated and
    served; ``environment`` adds its settings."""
    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_{os.getpid()}_{role}"[:63]
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{name}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        **environment,
    }
    try:
        manage(env, "migrate", "--no-input")
        with served(env, log) as base:
            yield Instance(base, env)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[tuple[Instance, Instance, str]]:
    """The publishing instance, the subscribing one, and the first's public key."""
    key = pysequoia.Tsk.generate("First instance <csaf@first.example>")
    with ExitStack() as stack:
        first = stack.enter_context(
            _instance(
                "provider",
                tmp_path / "first.log",
                CSAF_OPENPGP_SECRET_KEY=str(key),
                CSAF_PUBLISHER_NAME="First Vendorwatch",
                CSAF_PUBLISHER_NAMESPACE="https://first.example",
            )
        )
        second = stack.enter_context(
            _instance("subscriber", tmp_path / "second.log", OUTBOUND_ALLOWED_HOSTS="127.0.0.1")
        )
        yield first, second, str(key.extract_certificate())


def _served_by(instance: Instance, token: str) -> dict[str, tuple[str, str]]:
    """The advisories the instance's API lists to ``token``: identifier → (TLP, status)."""
    response = requests.get(
        f"{instance.base}/api/v1/advisories/",
        headers={"Authorization": f"Bearer {token}"},
        params={"page_size": 100},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {row["identifier"]: (row["tlp"], row["status"]) for row in response.json()["results"]}


def _differences(received: dict[str, Any], published: dict[str, Any]) -> list[str]:
    """How what the second instance holds differs from what the first published, field by
    field, for the advisories the subscriber may read; empty when they are the same."""
    if sorted(received) != sorted(READABLE):
        return [f"received {sorted(received)}, expected {sorted(READABLE)}"]
    return [
        f"{identifier} {field}: received {received[identifier][field]!r}, published {value!r}"
        for identifier in READABLE
        for field, value in published[identifier].items()
        if received[identifier][field] != value
    ]


def test_the_second_instance_walks_the_first_ones_feed(instances):
    first, second, public_key = instances
    token = first.run(SEED).split("TOKEN ")[1].strip()
    metadata = requests.get(
        f"{first.base}/.well-known/csaf/provider-metadata.json", timeout=10
    ).json()
    assert metadata["publisher"]["name"] == "First Vendorwatch"
    feed_url = f"{first.base}/.well-known/csaf/provider-metadata.json"
    subscribed = second.run(SUBSCRIBE, FEED_URL=feed_url, PUBLIC_KEY=public_key)
    editor_token = subscribed.split("TOKEN ")[1].strip()

    # Without a token: the public folder only; the restricted feeds are skipped, with a note.
    manage(second.env, "sync_feeds", "first")
    anonymous = second.printed(LAST_RUN, "RUN")
    assert (anonymous["status"], anonymous["failures"]) == ("succeeded", [])
    assert sum("needs a token" in note for note in anonymous["notes"]) == 3
    assert list(second.snapshot()) == ["OUR-2026-0001"]

    second.run(USE_TOKEN, TOKEN=token)
    manage(second.env, "sync_feeds", "first")
    assert second.printed(LAST_RUN, "RUN")["failures"] == []
    published = first.snapshot()
    assert _differences(second.snapshot(), published) == []
    assert published["OUR-2026-0001"]["targets"] == [
        [False, "product_range", "Fortinet FortiOS", "vers:generic/>=7.0|<7.2.5"],
        [True, "product_range", "Fortinet FortiOS", "vers:generic/>=7.2.5"],
    ]
    assert published["OUR-2026-0002"]["tlp"] == "amber_strict"

    first.run(REVISE)
    first.run(WITHDRAW)
    manage(second.env, "sync_feeds", "first")
    run = second.printed(LAST_RUN, "RUN")
    assert (run["status"], run["updated"], run["failures"]) == ("succeeded", 2, [])
    revised = first.snapshot()
    assert (revised["OUR-2026-0001"]["severity"], revised["OUR-2026-0001"]["version"]) == (
        "critical",
        "2",
    )
    assert revised["OUR-2026-0002"]["status"] == "withdrawn"
    assert _differences(second.snapshot(), revised) == []
    # The second instance serves what it received through its own API.
    assert _served_by(second, editor_token) == {
        "OUR-2026-0001": ("clear", "published"),
        "OUR-2026-0002": ("amber_strict", "withdrawn"),
    }
