"""Statements run prepared (``config/prepared.py``): same results, planned once per connection.

On PostgreSQL, against the test database: what the connection has prepared is read back from
``pg_prepared_statements``.
"""

import datetime
import json

import pytest
from django.db import NotSupportedError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from advisories.models import AdvisoryCve, AdvisoryReference
from config import prepared
from config.prepared import numbered, prepared_statements, statement_name
from exposure.models import Flag
from tests.api.factories import FlagFactory
from tests.factories import (
    AffectedTargetFactory,
    InventoryItemFactory,
    PublishedAdvisoryFactory,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)

# The statement the tests run: parameters of several types, and a literal percent sign.
SQL = "SELECT %s::int + 1, %s || '%%', ARRAY_LENGTH(%s::int[], 1), %s::date"
PARAMS = [41, "fifty", [1, 2, 3], "2026-11-28"]


@pytest.fixture(autouse=True)
def _nothing_prepared(django_db_blocker):
    """Each test starts on a connection with no prepared statement (the test run keeps one
    connection, and what earlier tests prepared stays on it)."""
    with django_db_blocker.unblock():
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.cursor.execute("DEALLOCATE ALL")
            prepared._prepared.pop(connection.connection, None)
    yield


def _prepared_here() -> dict[str, str]:
    """The statements this connection has prepared: name → text."""
    with connection.cursor() as cursor:
        cursor.cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.cursor.fetchall())


def _run(sql: str = SQL, params: list = PARAMS) -> tuple:
    with connection.cursor() as cursor, prepared_statements(connection):
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_placeholders_are_numbered_and_escaped_percent_signs_unescaped():
    assert numbered("SELECT %s, '%%s', %s LIKE '%%x'") == ("SELECT $1, '%s', $2 LIKE '%x'", 2)
    assert numbered("SELECT 1") == ("SELECT 1", 0)


@pytest.mark.django_db
def test_a_statement_is_prepared_once_and_answers_as_unprepared():
    with connection.cursor() as cursor:
        cursor.execute(SQL, PARAMS)
        expected = cursor.fetchone()
    assert expected[1] == "fifty%"

    with CaptureQueriesContext(connection) as queries:
        assert _run() == expected
        assert _run() == expected
        assert _run(params=[1, "x", [], "2026-01-01"]) == (2, "x%", None, datetime.date(2026, 1, 1))

    # Django's log shows each execution, by the statement's name and with its parameters; the
    # PREPARE is part of the first.
    name = statement_name(SQL)
    assert [query["sql"] for query in queries] == [
        f"EXECUTE {name} (41, 'fifty', ARRAY[1,2,3], '2026-11-28')",
        f"EXECUTE {name} (41, 'fifty', ARRAY[1,2,3], '2026-11-28')",
        f"EXECUTE {name} (1, 'x', '{{}}', '2026-01-01')",
    ]
    statements = _prepared_here()
    assert name in statements, statements
    assert "$4::date" in statements[name]


@pytest.mark.django_db
def test_a_statement_postgresql_cannot_prepare_runs_unprepared_in_the_same_transaction():
    sql = "SELECT %s IS NULL"  # the parameter's type cannot be inferred
    assert _run(sql, [None]) == (True,)
    assert statement_name(sql) not in _prepared_here()
    # The transaction the test runs in is still usable, and the refusal is remembered.
    assert _run(sql, ["x"]) == (False,)
    assert statement_name(sql) in prepared._refused
    assert Flag.objects.count() == 0


@pytest.mark.django_db
def test_an_error_in_the_statement_is_djangos_error():
    from django.db import DataError

    with pytest.raises(DataError, match="invalid input syntax"):
        _run(params=["not a number", "x", [], "2026-01-01"])


@pytest.mark.django_db(transaction=True)
def test_statements_that_vanished_from_the_connection_are_prepared_again():
    assert _run()[0] == 42
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
    assert _run()[0] == 42
    assert statement_name(SQL) in _prepared_here()


@pytest.mark.django_db
def test_in_a_transaction_a_stale_statement_fails_once_then_is_prepared_again():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE vw_stale (a int)")
        cursor.execute("INSERT INTO vw_stale VALUES (1)")
    sql = "SELECT * FROM vw_stale WHERE a >= %s"
    assert _run(sql, [0]) == (1,)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE vw_stale ADD COLUMN b int DEFAULT 2")
    # The plan would change its result's columns: PostgreSQL refuses, and the transaction
    # (here a savepoint) is lost, as after any failed statement.
    stale = pytest.raises(NotSupportedError, match="cached plan must not change result type")
    with stale, transaction.atomic():
        _run(sql, [0])
    assert _run(sql, [0]) == (1, 2)
    assert "vw_stale" in _prepared_here()[statement_name(sql)]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # vanished, in a transaction
    with pytest.raises(OperationalError, match="does not exist"), transaction.atomic():
        _run(sql, [0])
    assert _run(sql, [0]) == (1, 2)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_stale_statement_is_prepared_again_at_once():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS vw_stale_auto")
        cursor.execute("CREATE TABLE vw_stale_auto (a int)")
        cursor.execute("INSERT INTO vw_stale_auto VALUES (1)")
    try:
        sql = "SELECT * FROM vw_stale_auto WHERE a >= %s"
        assert _run(sql, [0]) == (1,)
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE vw_stale_auto ADD COLUMN b int DEFAULT 2")
        assert _run(sql, [0]) == (1, 2)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE vw_stale_auto")


@pytest.mark.django_db(transaction=True)
def test_each_connection_keeps_a_bounded_number_of_statements(monkeypatch):
    monkeypatch.setattr(prepared, "PER_CONNECTION", 3)
    texts = [f"SELECT %s::int + {number}" for number in range(5)]
    for number, sql in enumerate(texts):
        assert _run(sql, [1]) == (1 + number,)
    names = set(_prepared_here())
    assert names == {statement_name(sql) for sql in texts[2:]}
    # The least recently used goes first: running the oldest kept one again keeps it.
    _run(texts[2], [1])
    _run("SELECT %s::int + 99", [1])
    assert statement_name(texts[2]) in _prepared_here()
    assert statement_name(texts[3]) not in _prepared_here()


@pytest.mark.django_db(transaction=True)
def test_another_connection_prepares_its_own():
    _run()
    connection.close()  # the next statement opens a new connection, which has prepared nothing
    assert _prepared_here() == {}
    assert _run()[0] == 42
    assert set(_prepared_here()) == {statement_name(SQL)}


@pytest.mark.django_db
def test_turned_off_nothing_is_prepared(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert _run()[0] == 42
    assert _prepared_here() == {}


@pytest.mark.django_db
def test_the_flag_list_runs_its_page_prepared_and_answers_the_same(tenants, client, settings):
    for priority in (10, 20, 30):
        FlagFactory(item=InventoryItemFactory(organization=tenants.org_a), priority=priority)
    client.force_login(tenants.analyst)
    url = "/api/v1/flags/"

    settings.DATABASE_PREPARED_STATEMENTS = False
    unprepared = client.get(url, {"page_size": 2})
    assert not [name for name in _prepared_here() if name.startswith("vw_")]

    settings.DATABASE_PREPARED_STATEMENTS = True
    first = client.get(url, {"page_size": 2})
    again = client.get(url, {"page_size": 2})
    statements = _prepared_here()
    assert len(statements) == 1 and "row_to_json" in next(iter(statements.values()))
    assert first.content == again.content == unprepared.content
    body = json.loads(first.content)
    assert [row["priority"] for row in body["results"]] == [30, 20]
    following = client.get(body["next"])
    assert [row["priority"] for row in following.json()["results"]] == [10]


@pytest.mark.django_db
def test_the_advisory_detail_runs_its_statements_prepared_and_answers_the_same(
    tenants, client, settings
):
    advisory = PublishedAdvisoryFactory()
    AffectedTargetFactory(advisory=advisory)
    AffectedTargetFactory(advisory=advisory, is_exclusion=True)
    AdvisoryCve.objects.create(advisory=advisory, cve_id="CVE-2026-0001")
    AdvisoryReference.objects.create(advisory=advisory, url="https://example.org/advisory")
    for _ in range(2):
        FlagFactory(advisory=advisory, item=InventoryItemFactory(organization=tenants.org_a))
    FlagFactory(advisory=advisory, item=InventoryItemFactory(organization=tenants.org_b))
    client.force_login(tenants.analyst)
    url = f"/api/v1/advisories/{advisory.pk}/"

    settings.DATABASE_PREPARED_STATEMENTS = False
    unprepared = client.get(url)
    assert _prepared_here() == {}

    settings.DATABASE_PREPARED_STATEMENTS = True
    first = client.get(url)
    again = client.get(url)
    assert first.content == again.content == unprepared.content
    body = first.json()
    assert body["cve_ids"] == ["CVE-2026-0001"]
    assert len(body["targets"]) == 2
    # Only organization A's flags: the analyst is a member of A alone.
    assert body["flag_counts"]["active"] == 2
    statements = " ".join(_prepared_here().values())
    for table in (
        "advisories_advisory",
        "advisories_advisorycve",
        "advisories_advisoryreference",
        "advisories_affectedtarget",
        "count(DISTINCT organization_id)",
    ):
        assert table in statements, table
    assert client.get(f"/api/v1/advisories/{advisory.pk + 1000}/").status_code == 404
