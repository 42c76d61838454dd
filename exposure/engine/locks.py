"""Who may match what at the same time, and the transaction a run happens in.

Two runs may never write the same (advisory, organization) cell at once: the later one could
commit a result computed from an older snapshot over the earlier one's. An advisory run writes
one advisory's cells in every organization, an organization run every advisory's cells in one
organization, so they must exclude each other, while organization runs (and the chunks of a
full re-match, which are sets of organizations) may run side by side. PostgreSQL advisory
locks express exactly that:

* a run that spans every organization (advisories, catalogue changes) takes the matching
  lock EXCLUSIVE;
* a run over some organizations takes the matching lock SHARED plus an exclusive lock per
  organization.

Locks are taken with ``pg_try_advisory_lock*``: a run that finds one held raises
:class:`MatchingBusy` at once and its task retries later, rather than holding a worker.
They are session locks taken *before* the transaction begins, so that the transaction's
snapshot is taken after the previous holder committed; the run then uses REPEATABLE READ, so
every statement of it sees that one snapshot, and a row another transaction changed in the
meantime makes it fail with a serialization error (and retry) instead of writing a stale
result. A crashed worker's session ends and PostgreSQL releases its locks. SQLite (the
single-user quick-start) serializes writers itself, so locking there is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

from exposure.engine.dialect import is_postgresql

logger = logging.getLogger(__name__)

# Keys live in one 64-bit space shared with anything else using advisory locks in this
# database; the high bits are ours ("VW"), then a kind, then the organization id.
_NAMESPACE = 0x5657 << 48
MATCHING_KEY = _NAMESPACE
_ORGANIZATION_KIND = 1 << 40


MATCHING_WORK_MEM = "64MB"
# This transaction's settings, in one statement (``set_config(..., true)`` is SET LOCAL).
MATCHING_SESSION_SETTINGS = (
    f"SELECT set_config('work_mem', '{MATCHING_WORK_MEM}', true), set_config('jit', 'off', true)"
)


class MatchingBusy(Exception):
    """Another run holds a lock this run needs; try again later."""


def organization_key(organization_id: int) -> int:
    """The advisory-lock key of one organization."""
    return _NAMESPACE | _ORGANIZATION_KIND | organization_id


@contextmanager
def matching_locks(*, exclusive: bool, organization_ids: Iterable[int] = ()) -> Iterator[None]:
    """Hold the matching lock (exclusive or shared) and each organization's lock, or raise
    :class:`MatchingBusy` without waiting."""
    if not is_postgresql():
        yield
        return
    matching = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
    organization_keys = [organization_key(pk) for pk in sorted(set(organization_ids))]
    held_matching = False
    held_organizations: list[int] = []
    try:
        with connection.cursor() as cursor:
            # If this worker dies mid-statement, PostgreSQL notices within a second and aborts
            # the run (releasing its locks) instead of finishing a statement nobody will read.
            cursor.execute("SET client_connection_check_interval = '1s'")
            cursor.execute(f"SELECT {matching}(%s)", [MATCHING_KEY])
            held_matching = bool(cursor.fetchone()[0])
            if not held_matching:
                raise MatchingBusy(f"advisory lock {MATCHING_KEY} is held by another run")
            if organization_keys:
                # Every organization's lock is tried in one statement (a chunk of a full
                # re-match has hundreds of organizations); the ones taken are returned, and
                # released again below if any other was held elsewhere.
                cursor.execute(
                    "SELECT k.key FROM unnest(CAST(%s AS bigint[])) AS k (key)"
                    " WHERE pg_try_advisory_lock(k.key)",
                    [_key_array(organization_keys)],
                )
                held_organizations = [key for (key,) in cursor.fetchall()]
                if len(held_organizations) < len(organization_keys):
                    busy = sorted(set(organization_keys) - set(held_organizations))
                    raise MatchingBusy(f"advisory locks {busy} are held by another run")
        yield
    finally:
        _release(matching if held_matching else None, held_organizations)


def _key_array(keys: list[int]) -> str:
    """An array literal of lock keys, which PostgreSQL parses in one go."""
    return "{" + ",".join(str(int(key)) for key in keys) + "}"


def _release(matching: str | None, organization_keys: list[int]) -> None:
    try:
        with connection.cursor() as cursor:
            if organization_keys:
                cursor.execute(
                    "SELECT pg_advisory_unlock(k.key) FROM unnest(CAST(%s AS bigint[])) AS k (key)",
                    [_key_array(organization_keys)],
                )
            if matching is not None:
                unlock = (
                    "pg_advisory_unlock_shared"
                    if matching.endswith("_shared")
                    else "pg_advisory_unlock"
                )
                cursor.execute(f"SELECT {unlock}(%s)", [MATCHING_KEY])
    except DatabaseError:
        # The connection is gone, and with it the session and its locks.
        logger.warning("could not release matching locks; the session is gone", exc_info=True)


@contextmanager
def matching_transaction() -> Iterator[None]:
    """A transaction whose statements all see one snapshot (REPEATABLE READ on PostgreSQL).

    Inside an outer transaction (a caller's own atomic block) the isolation level cannot be
    changed any more; the run then shares the caller's transaction.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if is_postgresql():
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # A run is a batch job: let its hash aggregates and sorts of a few hundred
                # thousand pairs stay in memory rather than spill to disk (this transaction
                # only; the default suits web requests). Its statements cost enough to cross
                # the JIT threshold, but compiling their few hundred expressions takes longer
                # than it saves: over 1,000,000 items JIT made a chunk's match statement
                # 750 ms instead of 590.
                cursor.execute(MATCHING_SESSION_SETTINGS)
        yield


def statement_time_limit(*, seconds: int) -> None:
    """Have PostgreSQL cancel any statement of the current transaction that runs longer than
    ``seconds``: a worker blocked in a statement cannot notice its own time limit."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)", [f"{max(int(seconds), 1)}s"]
            )


_QUERY_CANCELED = "57014"


def is_statement_timeout(error: BaseException) -> bool:
    """Whether ``error`` (or the driver's error it wraps) is a statement PostgreSQL cancelled."""
    return any(
        getattr(candidate, "pgcode", None) == _QUERY_CANCELED
        for candidate in (error, error.__cause__)
    )
