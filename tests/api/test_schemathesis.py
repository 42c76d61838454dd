"""schemathesis against the generated OpenAPI schema, over a live server.

Every operation is fuzzed with up to 50 generated cases and every check, authenticated with a
personal read-write token of a seeded user who owns an organization and edits advisories, so
that most operations reach their real code; the run must end without a single failed check
(no server error, no response outside the schema, no invalid request accepted).

Bounds, to keep ``make test`` to a few minutes on two cores:
- the phases are examples, fuzzing and stateful; the coverage phase (every boundary value of
  every parameter, about three times as many requests) passes too but is left to a manual run
  (the README's API section gives the command);
- one worker: schemathesis' workers are threads, and on Python 3.11.7 concurrent ``ast.parse``
  calls (Hypothesis describing its strategies) can fail inside CPython;
- ``DELETE /api/v1/tokens/{id}/`` is left out: the fuzzer would revoke its own token and spend
  the rest of the run on 401s. Revocation has its own tests.

``positive_data_acceptance`` accepts 400 for schema-valid data: a body can be valid by the
schema and still name a product that does not exist or a flag move the rules forbid.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler, _StaticFilesHandler

from audit.services import audit_record
from orgs.choices import Role
from orgs.tokens import token_create
from tests.api.factories import FlagEventFactory, FlagFactory
from tests.factories import (
    AdvisoryFactory,
    AffectedTargetFactory,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)

MAX_EXAMPLES = 50
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


def seed() -> str:
    """A small world for the fuzzer, and the token it speaks with."""
    user = UserFactory(username="fuzzer", is_advisory_editor=True)
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    MembershipFactory(user=user, organization=org_a, role=Role.OWNER)
    MembershipFactory(organization=org_a, role=Role.VIEWER)
    MembershipFactory(organization=org_b, role=Role.OWNER)
    for organization in (org_a, org_b):
        for _ in range(3):
            vendor = VendorFactory()
            product = ProductFactory(vendor=vendor)
            item = InventoryItemFactory(organization=organization, product=product)
            advisory = PublishedAdvisoryFactory()
            AffectedTargetFactory(advisory=advisory, vendor=vendor)
            FlagEventFactory(flag=FlagFactory(advisory=advisory, item=item))
        audit_record(action="test.seed", organization=organization)
    AffectedTargetFactory(advisory=AdvisoryFactory(source=SourceFactory()))
    _token, text = token_create(user=user, name="fuzz", access="read_write")
    return text


class OneConnectionServerThread(LiveServerThread):
    """A live server answering one request at a time on one thread.

    Django's live server starts a thread per request, and each thread opens its own database
    connection (about 20 ms here, thousands of times); one thread keeps one connection for the
    whole run. schemathesis runs one worker, so nothing waits for it.
    """

    def _create_server(self, connections_override: Any = None) -> WSGIServer:
        return WSGIServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


@pytest.fixture
def api_server(transactional_db: None) -> Iterator[str]:
    """The app served over HTTP on a free port, for the duration of one test."""
    thread = OneConnectionServerThread("localhost", _StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://{thread.host}:{thread.port}"
    thread.terminate()


@pytest.mark.schemathesis
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    api_server: str, settings: Any, tmp_path: Path
):
    # The fuzzer sends thousands of requests with one token; throttling would only slow it.
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "token": None},
    }
    token = seed()
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "run",
        f"{api_server}/api/v1/schema/",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--header",
        f"Authorization: Bearer {token}",
        "--seed",
        "20260301",
        "--workers",
        "1",
        "--phases",
        "examples,fuzzing,stateful",
        "--exclude-operation-id",
        "tokens_destroy",
        "--request-timeout",
        "30",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]
