"""Two Vendorwatch instances: the first publishes, revises and withdraws its own advisories
and serves them as a CSAF provider (a server process on 127.0.0.1 over a database of its
own); the second, subscribed to it with a token and the first's public key, walks the feed
and holds the same advisories: targets, ranges, exclusions, TLP, the latest revision, the
withdrawal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pysequoia
import pytest
import requests
from django.db import connection

from advisories.choices import AdvisoryStatus, FeedKind, FeedRunStatus, Tlp
from advisories.feeds.runs import feed_run
from advisories.models import Advisory, Source

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin_connection() -> Any:
    settings = connection.settings_dict
    database = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    database.autocommit = True
    return database


@pytest.fixture
def first_instance(tmp_path: Path) -> Iterator[tuple[str, Callable[[str], str], str]]:
    """The publishing instance: (its base URL, a runner of code inside it, its public key)."""
    settings = connection.settings_dict
    name = f"{settings['NAME']}_provider"[:63]
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    key = pysequoia.Tsk.generate("First instance <csaf@first.example>")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
        "DATABASE_URL": (
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{name}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "CSAF_OPENPGP_SECRET_KEY": str(key),
        "CSAF_PUBLISHER_NAME": "First Vendorwatch",
        "CSAF_PUBLISHER_NAMESPACE": "https://first.example",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{args}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def run(code: str) -> str:
        return manage("shell", "--no-imports", "-c", textwrap.dedent(code))

    manage("migrate", "--no-input")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "first.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "first.log").read_text()
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            time.sleep(0.3)
        yield base, run, str(key.extract_certificate())
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _targets(advisory: Advisory) -> set[tuple[bool, str, str]]:
    return {
        (target.is_exclusion, str(target.product), target.version_range)
        for target in advisory.targets.select_related("product__vendor")
    }


def test_the_second_instance_walks_the_first_ones_feed(first_instance, settings):
    base, run, public_key = first_instance
    token = run(SEED).split("TOKEN ")[1].strip()
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    metadata = requests.get(f"{base}/.well-known/csaf/provider-metadata.json", timeout=10).json()
    assert metadata["publisher"]["name"] == "First Vendorwatch"
    source = Source.objects.create(
        name="First Vendorwatch",
        slug="first",
        feed_kind=FeedKind.CSAF_PROVIDER,
        feed_url=f"{base}/.well-known/csaf/provider-metadata.json",
        feed_enabled=True,
        feed_openpgp_key=public_key,
    )

    # Without a token: the public folder only; the restricted feeds are skipped, with a note.
    anonymous = feed_run(source=source, trigger="test")
    assert (anonymous.status, anonymous.failures) == (FeedRunStatus.SUCCEEDED, [])
    assert list(Advisory.objects.values_list("identifier", flat=True)) == ["OUR-2026-0001"]
    assert sum("needs a token" in note for note in anonymous.notes) == 3

    Source.objects.filter(pk=source.pk).update(feed_token=token, feed_state={})
    source.refresh_from_db()
    first = feed_run(source=source, trigger="test")
    assert (first.status, first.failures) == (FeedRunStatus.SUCCEEDED, [])
    received = {advisory.identifier: advisory for advisory in Advisory.objects.all()}
    # The subscriber may read CLEAR and (as a member of the audience) AMBER+STRICT; not RED.
    assert sorted(received) == ["OUR-2026-0001", "OUR-2026-0002"]
    clear = received["OUR-2026-0001"]
    assert (clear.tlp, clear.status, clear.severity) == (Tlp.CLEAR, "published", "high")
    assert _targets(clear) == {
        (False, "Fortinet FortiOS", "vers:generic/>=7.0|<7.2.5"),
        (True, "Fortinet FortiOS", "vers:generic/>=7.2.5"),
    }
    assert list(clear.cves.values_list("cve_id", flat=True)) == ["CVE-2024-21762"]
    assert received["OUR-2026-0002"].tlp == Tlp.AMBER_STRICT

    run(REVISE)
    run(WITHDRAW)
    second = feed_run(source=Source.objects.get(pk=source.pk), trigger="test")
    assert (second.status, second.updated, second.failures) == (FeedRunStatus.SUCCEEDED, 2, [])
    clear.refresh_from_db()
    assert (clear.severity, clear.source_version) == ("critical", "2")
    withdrawn = Advisory.objects.get(identifier="OUR-2026-0002")
    assert withdrawn.status == AdvisoryStatus.WITHDRAWN
    assert withdrawn.withdrawn_reason == "Superseded by OUR-2026-0004."
