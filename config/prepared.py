"""Statements that PostgreSQL plans longer than it runs them, prepared once per connection.

A big list's page statement builds each row's JSON with a sub-select per nested object
(``config/api_json.py``): over 1,000,000 inventory items PostgreSQL plans it in about 1.5 ms
and runs it in 0.7. Planned once per database connection (``PREPARE``) and then only executed
(``EXECUTE``), it costs the execution alone; connections live for ``CONN_MAX_AGE`` and answer
many requests.

Use::

    with connection.cursor() as cursor, prepared_statements(connection):
        cursor.execute(sql, params)

Every statement executed in the block runs prepared. Execute wrappers set up outside the block
see the statement and its parameters; errors are Django's; ``assertNumQueries`` counts one
query per execution (the ``PREPARE`` is part of a statement's first execution on a
connection). Django's query log shows what was sent, ``EXECUTE vw_… (parameters)``; the
statement's text is the connection's ``pg_prepared_statements`` row of that name.

A statement is named after its text, so the same text is prepared once per connection, and
each connection keeps at most :data:`PER_CONNECTION` of them, dropping the least recently used.
PostgreSQL plans a prepared statement's first five executions for their parameters, then keeps
a generic plan when it is not dearer than those (the page statements' plans are index scans on
the organization, so it is). A statement PostgreSQL cannot prepare (a parameter whose type it
cannot infer) runs as before, unprepared, and is not tried again by this process. A connection
whose statements vanished (``DISCARD ALL``) or whose tables changed under a plan prepares again:
at once outside a transaction, at the statement's next execution inside one (whose error
stands, as any statement's would).

Only PostgreSQL prepares; on another database the block changes nothing. Behind a pooler that
hands a connection's statements to another client between transactions (PgBouncer in
transaction mode), set ``DATABASE_PREPARED_STATEMENTS=false``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

# Prepared statements kept per connection: every list with its filters' combinations fits.
PER_CONNECTION = 200
# Texts PostgreSQL refused to prepare, remembered so they are not tried again (bounded).
_REFUSED_KEPT = 1000

# Django's placeholders and escaped percent signs (statements run with parameters use both).
_MARK = re.compile(r"%([s%])")

# SQLSTATEs after which a statement is prepared again: it no longer exists on the connection
# (invalid_sql_statement_name), or a table changed so that its result would (feature_not_
# supported, "cached plan must not change result type").
_PREPARE_AGAIN = {"26000", "0A000"}
# duplicate_prepared_statement
_ALREADY_PREPARED = "42P05"

_prepared: weakref.WeakKeyDictionary[Any, OrderedDict[str, None]] = weakref.WeakKeyDictionary()
_refused: OrderedDict[str, None] = OrderedDict()


def enabled(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql" and getattr(
        settings, "DATABASE_PREPARED_STATEMENTS", True
    )


@contextlib.contextmanager
def prepared_statements(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Run the statements executed on ``connection`` in this block as prepared statements."""
    if not enabled(connection):
        yield
        return
    with connection.execute_wrapper(_execute_prepared):
        yield


def statement_name(sql: str) -> str:
    return "vw_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()


def numbered(sql: str) -> tuple[str, int]:
    """``sql`` with Django's ``%s`` placeholders numbered as PostgreSQL's ``$1``, ``$2``…, and
    ``%%`` back to ``%`` (``PREPARE`` is sent without parameters); and how many there are."""
    counter = itertools.count(1)

    def replace(match: re.Match[str]) -> str:
        return "%" if match.group(1) == "%" else f"${next(counter)}"

    text = _MARK.sub(replace, sql)
    return text, next(counter) - 1


def _execute_prepared(
    execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """An execute wrapper (the innermost): ``EXECUTE`` instead of the statement itself."""
    connection: BaseDatabaseWrapper = context["connection"]
    name = statement_name(sql)
    if many or params is None or name in _refused:
        return execute(sql, params, many, context)
    cursor: CursorWrapper = context["cursor"]
    raw = connection.connection
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        known = _prepared.setdefault(raw, OrderedDict())
        if name not in known and not _prepare(connection, cursor, known, name, sql, len(params)):
            return execute(sql, params, many, context)
        known.move_to_end(name)
        run = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
        try:
            return cursor.cursor.execute(run, params)
        except Exception as error:
            if getattr(error, "pgcode", None) not in _PREPARE_AGAIN:
                raise
            # Prepared afresh the next time it runs (see _prepare).
            known.pop(name, None)
            if connection.in_atomic_block:
                # The transaction is aborted: the error is its own, as for any statement.
                raise
        # Outside a transaction nothing was lost: prepare it afresh and run it once more.
        if not _prepare(connection, cursor, known, name, sql, len(params)):
            return execute(sql, params, many, context)
        return cursor.cursor.execute(run, params)


def _prepare(
    connection: BaseDatabaseWrapper,
    cursor: CursorWrapper,
    known: OrderedDict[str, None],
    name: str,
    sql: str,
    count: int,
) -> bool:
    """Prepare ``sql`` as ``name``; ``False`` when PostgreSQL cannot, which is remembered."""
    text, placeholders = numbered(sql)
    if placeholders != count:
        # Not a statement this module understands (a placeholder inside a literal?): leave it.
        _refuse(name)
        return False
    raw_cursor = cursor.cursor
    # In a transaction a failed PREPARE would abort it: a savepoint keeps it usable.
    guarded = connection.in_atomic_block
    for attempt in (1, 2):
        if guarded:
            raw_cursor.execute("SAVEPOINT vw_prepare")
        try:
            raw_cursor.execute(f"PREPARE {name} AS {text}")
        except Exception as error:
            if guarded:
                raw_cursor.execute("ROLLBACK TO SAVEPOINT vw_prepare")
                raw_cursor.execute("RELEASE SAVEPOINT vw_prepare")
            if attempt == 1 and getattr(error, "pgcode", None) == _ALREADY_PREPARED:
                # Prepared under this name before and forgotten since (its plan went stale
                # in a transaction, which could not replace it then): replace it now.
                raw_cursor.execute(f"DEALLOCATE {name}")
                continue
            # Run unprepared instead: a statement that is wrong fails there, with its error.
            _refuse(name)
            return False
        if guarded:
            raw_cursor.execute("RELEASE SAVEPOINT vw_prepare")
        break
    known[name] = None
    while len(known) > PER_CONNECTION:
        oldest, _ = known.popitem(last=False)
        raw_cursor.execute(f"DEALLOCATE {oldest}")
    return True


def _refuse(name: str) -> None:
    _refused[name] = None
    while len(_refused) > _REFUSED_KEPT:
        _refused.popitem(last=False)
