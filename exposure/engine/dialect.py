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


def add_days(timestamp_sql: str, days_sql: str) -> str:
    """SQL for the (UTC) date of ``timestamp_sql`` plus ``days_sql`` days; NULL if days is."""
    if is_postgresql():
        return f"(CAST(({timestamp_sql}) AT TIME ZONE 'UTC' AS date) + ({days_sql}))"
    return f"date({timestamp_sql}, '+' || ({days_sql}) || ' days')"


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
