"""Imports into one organization are applied one at a time.

An adding import checks which external references are stored already and stores its file
under one lock per organization, so that two imports cannot both find a reference free. These
tests hold that lock from a second database session, as a concurrent import would.
"""

from __future__ import annotations

import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from orgs.choices import ImportStatus, ItemSource
from orgs.importers.services import import_lock_key
from orgs.models import ImportJob, InventoryItem
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSV = "product;external_ref\nWidget;CMDB-1\nGadget;CMDB-2\n"


def _import_in_thread(path: str) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            out = StringIO()
            call_command("import_inventory", "stadtwerke-alpha", path, stdout=out)
            outcome["output"] = out.getvalue()
        except CommandError as error:
            outcome["error"] = str(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_until_waiting(session: Any, key: int) -> None:
    """Until some session waits for the advisory lock ``key`` (the import thread)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        session.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND ((classid::bigint << 32) | objid::bigint) = %s",
            [key],
        )
        if session.fetchone()[0]:
            return
        time.sleep(0.02)
    raise AssertionError("the import never waited for the lock")


def test_an_adding_import_waits_for_another_and_then_sees_what_it_stored(
    tenants, tmp_path, other_session
):
    path = tmp_path / "inventory.csv"
    path.write_text(CSV)
    key = import_lock_key(tenants.org_a.pk)
    other_session.execute("SELECT pg_advisory_lock(%s)", [key])

    thread, outcome = _import_in_thread(str(path))
    _wait_until_waiting(other_session, key)
    # Meanwhile the other import stores an item with one of the file's references.
    earlier = InventoryItemFactory(
        organization=tenants.org_a, source=ItemSource.CSV, external_ref="CMDB-2"
    )
    other_session.execute("SELECT pg_advisory_unlock(%s)", [key])
    thread.join(timeout=30)

    assert "error" in outcome, outcome
    assert f"'CMDB-2' is already in the inventory (item {earlier.pk})" in outcome["error"]
    assert list(InventoryItem.objects.values_list("pk", flat=True)) == [earlier.pk]


def test_an_import_that_waits_too_long_fails_and_stores_nothing(
    tenants, tmp_path, other_session, settings
):
    settings.INVENTORY_IMPORT_LOCK_TIMEOUT = 1
    path = tmp_path / "inventory.csv"
    path.write_text(CSV)
    other_session.execute("SELECT pg_advisory_lock(%s)", [import_lock_key(tenants.org_a.pk)])

    with pytest.raises(CommandError) as caught:
        call_command("import_inventory", "stadtwerke-alpha", str(path), stdout=StringIO())

    assert "Another import into this organization is still being applied" in str(caught.value)
    assert not InventoryItem.objects.exists()
    job = ImportJob.objects.get()
    assert (job.status, job.error_count) == (ImportStatus.FAILED, 1)


def test_imports_into_other_organizations_do_not_wait(tenants, tmp_path, other_session, settings):
    settings.INVENTORY_IMPORT_LOCK_TIMEOUT = 1
    path = tmp_path / "inventory.csv"
    path.write_text(CSV)
    other_session.execute("SELECT pg_advisory_lock(%s)", [import_lock_key(tenants.org_b.pk)])

    out = StringIO()
    call_command("import_inventory", "stadtwerke-alpha", str(path), stdout=out)

    assert out.getvalue().strip() == "Imported 2 items into Stadtwerke Alpha."
