"""Two writers give items the same external reference at the same moment: the database lets one
through, and the other is told which item has the reference, as the check would have told it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orgs.models import InventoryItem
from orgs.services import inventory_item_create
from tests.factories import InventoryItemFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _insert_copy(session: Any, template: InventoryItem, external_ref: str) -> int:
    """In ``session``'s open transaction, a copy of ``template`` with another reference."""
    columns = [
        field.column
        for field in InventoryItem._meta.concrete_fields
        if field.column not in ("id", "external_ref")
    ]
    names = ", ".join(columns)
    session.execute(
        f"INSERT INTO orgs_inventoryitem ({names}, external_ref) "
        f"SELECT {names}, %s FROM orgs_inventoryitem WHERE id = %s RETURNING id",
        [external_ref, template.pk],
    )
    return session.fetchone()[0]


def _wait_for_a_blocked_writer(session: Any) -> None:
    """Until some session waits for another's transaction to end (the second insert waits to
    learn whether the first one's row commits). pg_locks, not pg_stat_activity, which would
    show ``session``'s open transaction one unchanging snapshot."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        session.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
        )
        if session.fetchone()[0]:
            return
        time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first")


def test_the_writer_that_loses_the_race_is_told_which_item_has_the_reference(
    tenants, other_session
):
    template = InventoryItemFactory(organization=tenants.org_a, external_ref="TEMPLATE")
    # Another writer has inserted an item with the reference and not committed yet: a check
    # cannot see it, so only the database stops the second.
    other_session.execute("BEGIN")
    winner = _insert_copy(other_session, template, "CMDB-7")
    outcome: dict[str, Any] = {}

    def create() -> None:
        try:
            data = {"raw_vendor": "Kaspersky", "raw_product": "KES", "external_ref": "CMDB-7"}
            outcome["item"] = inventory_item_create(organization=tenants.org_a, data=data)
        except ValidationError as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=create)
    thread.start()
    _wait_for_a_blocked_writer(other_session)
    other_session.execute("COMMIT")
    thread.join(timeout=30)

    assert "error" in outcome, outcome
    assert f"Item #{winner} " in outcome["error"].message_dict["external_ref"][0]
    assert InventoryItem.objects.filter(external_ref="CMDB-7").count() == 1
