"""The few places where PostgreSQL and SQLite need different SQL.

Everything else the engine writes is SQL both understand (CTEs, ``UPDATE … FROM``,
``INSERT … ON CONFLICT``, ``RETURNING``, ``IS DISTINCT FROM``, window functions; SQLite 3.39+).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper

from exposure.engine.sql import Sql, compose


def is_postgresql() -> bool:
    """Whether the default database is PostgreSQL (production, tests, benchmark)."""
    return connection.vendor == "postgresql"


def json_rows(rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, str]]) -> Sql:
    """A derived table of ``rows``, passed as one JSON parameter rather than as N parameters.

    ``columns`` are ``(name, type)`` pairs with type ``"bigint"``, ``"int"`` or ``"text"``. One
    parameter keeps statements the same size whatever the number of rows, and stays below
    SQLite's limit on bound variables.
    """
    payload = Sql("%s", [json.dumps([list(row) for row in rows])])
    if is_postgresql():
        picks = ", ".join(
            f"CAST(e.value ->> {index} AS {kind}) AS {name}"
            if kind != "text"
            else f"e.value ->> {index} AS {name}"
            for index, (name, kind) in enumerate(columns)
        )
        return compose(
            "SELECT {picks} FROM json_array_elements(CAST({payload} AS json)) AS e",
            picks=picks,
            payload=payload,
        )
    picks = ", ".join(
        f"json_extract(e.value, '$[{index}]') AS {name}"
        for index, (name, _kind) in enumerate(columns)
    )
    return compose("SELECT {picks} FROM json_each({payload}) AS e", picks=picks, payload=payload)


def in_ids(column_sql: str, ids: Sequence[int]) -> Sql:
    """``column IN ids`` for any number of ids.

    PostgreSQL gets an array (``= ANY``), whose size its planner sees; SQLite a JSON table,
    which no limit on bound variables applies to.
    """
    if is_postgresql():
        return compose("{column} = ANY({ids})", column=column_sql, ids=_id_array(ids))
    return compose("{column} IN ({rows})", column=column_sql, rows=id_rows(ids))


def id_rows(ids: Sequence[int]) -> Sql:
    """A derived table of ``ids`` in a column ``id``."""
    if is_postgresql():
        return compose("SELECT unnest({ids}) AS id", ids=_id_array(ids))
    return compose(
        "SELECT r.id FROM ({rows}) AS r",
        rows=json_rows([(pk,) for pk in ids], [("id", "bigint")]),
    )


def _id_array(ids: Sequence[int]) -> Sql:
    # An array literal ('{1,2,3}') is parsed by PostgreSQL in one go, far faster than the
    # ARRAY[...] expression the driver would build from a list, or than JSON.
    literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
    return Sql("CAST(%s AS bigint[])", [literal])


def add_days(timestamp_sql: str, days_sql: str) -> str:
    """SQL for the (UTC) date of ``timestamp_sql`` plus ``days_sql`` days; NULL if days is."""
    if is_postgresql():
        return f"(CAST(({timestamp_sql}) AT TIME ZONE 'UTC' AS date) + ({days_sql}))"
    return f"date({timestamp_sql}, '+' || ({days_sql}) || ' days')"


def least() -> str:
    """The name of the function that gives the smallest of its arguments."""
    return "LEAST" if is_postgresql() else "MIN"


def statistics_refresh(cursor: CursorWrapper, table: str) -> None:
    """Refresh the planner's statistics of ``table`` after a large change (PostgreSQL)."""
    if is_postgresql():
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def empty_json() -> str:
    """An empty JSON object literal for a JSONField column."""
    return "CAST('{}' AS jsonb)" if is_postgresql() else "'{}'"


def timestamp_param(value: datetime) -> Sql:
    """A timestamp parameter, adapted the way the ORM stores them on this backend."""
    adapted = connection.ops.adapt_datetimefield_value(value)
    if is_postgresql():
        return Sql("CAST(%s AS timestamp with time zone)", [adapted])
    return Sql("%s", [adapted])


def date_param(value: date) -> Any:
    """A date value adapted for a raw parameter."""
    return connection.ops.adapt_datefield_value(value)
