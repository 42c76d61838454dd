"""Reconciling flags with what a scope's advisories match, in a fixed number of statements.

Per run, whatever the number of items:

1. *refresh* — one ``UPDATE … FROM`` over the matched pairs that already have a flag: a
   resolved flag is reopened; confidence and its reason, priority, due date, matched target,
   label, product and vendor are brought up to date where they differ (and only there, so a
   re-run updates no row);
2. *create* — one ``INSERT … SELECT … ON CONFLICT (advisory_id, item_id) DO NOTHING
   RETURNING id`` over the matched pairs: the unique index keeps the ones that have a flag;
3. *resolve* — one ``SELECT`` of the scope's unresolved flags that no longer match, with the
   reason, then one ``UPDATE`` per reason;
4. the flags' history: one ``INSERT`` of events per kind (created, reopened, and resolved per
   previous status and reason; no actor: the matcher did it), from the ids the statements
   returned, passed back as one array.

Steps 1 and 3 are skipped when the scope has no flag yet (a newly published advisory).
When the scope has flags, one read-only statement first looks for any difference: the
matches are computed and joined to the scope's unresolved flags (read by an index), each
pair compared with its flag, and the pairs counted against those flags (counted
beforehand). When every pair has an unresolved flag of the scope holding its values and
there are as many such flags as pairs, no flag is missing, to refresh or to resolve — a
re-run, and the periodic full re-match on most days — and nothing else runs: no flag or
event is written, and nothing is read beyond the scope's items and flags. Otherwise the
matches are computed again into a temporary table, which the write statements read.
People's decisions are kept while the item still matches: an acknowledged, mitigated,
risk-accepted or false-positive flag keeps its status; only a resolved one is reopened.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper

from advisories.choices import AdvisoryStatus
from exposure.choices import FlagEventKind, FlagStatus, ResolutionReason
from exposure.engine import dialect
from exposure.engine.locks import MATCHING_SESSION_SETTINGS
from exposure.engine.scope import Scope
from exposure.engine.sql import Sql, compose, execute, literal, param
from exposure.engine.statements import (
    confidence_sql,
    cpe_part_fits,
    due_date_sql,
    final_cte,
    item_cpe_part,
)
from exposure.engine.targets import plan_targets


@dataclass
class MatchCounts:
    """What one run changed."""

    items_considered: int = 0
    created: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0

    def add(self, other: MatchCounts) -> None:
        """Add another pass's counts to these."""
        self.items_considered += other.items_considered
        self.created += other.created
        self.updated += other.updated
        self.reopened += other.reopened
        self.resolved += other.resolved


@dataclass(frozen=True)
class PreviewRow:
    """One item an advisory would flag (see :func:`preview_scope`)."""

    organization_id: int
    organization_name: str
    item_id: int
    label: str
    confidence: str
    priority: int
    possible_reason: str
    organization_item_count: int
    organization_possible_count: int


def match_scope(scope: Scope, *, now: datetime, items_considered: int | None = None) -> MatchCounts:
    """Bring the scope's flags in line with what its advisories match; return the counts.

    ``items_considered`` is the number of items in the scope when the caller knows it (a full
    re-match's chunk, counted when it was planned); otherwise it is counted here.
    Runs in the caller's transaction (see ``engine.locks.matching_transaction``).
    """
    plan = plan_targets(scope)
    counts = MatchCounts()
    with connection.cursor() as cursor:
        counts.items_considered = (
            _count_items(cursor, scope) if items_considered is None else items_considered
        )
        flags, unresolved = _flag_counts(cursor, scope)
        if not flags:
            # A scope without flags (a new advisory) needs one statement over the matches.
            if plan.has_inclusions:
                created = _create(cursor, final_cte(scope, plan), now)
                counts.created = len(created)
                _record_events(cursor, created, FlagEventKind.CREATED, "", "", now)
            return counts
        cte = final_cte(scope, plan)
        if not _differs(cursor, scope, cte, unresolved=unresolved):
            return counts
        # Refresh, create and resolve all read the matches: compute them once more, into a
        # temporary table.
        with _materialized(cursor, cte) as cte:
            # Statistics, so that each write statement is planned on real sizes.
            execute(cursor, compose("ANALYZE {table}", table=_MATCHES_TABLE))
            if plan.has_inclusions:
                reopened, counts.updated = _refresh(cursor, cte, now)
                counts.reopened = len(reopened)
                _record_events(
                    cursor, reopened, FlagEventKind.REOPENED, FlagStatus.RESOLVED, "", now
                )
                created = _create(cursor, cte, now, skip_flagged=True)
                counts.created = len(created)
                _record_events(cursor, created, FlagEventKind.CREATED, "", "", now)
            stale = _stale(cursor, scope, cte)
            counts.resolved = len(stale)
            _resolve(cursor, stale, now)
        if counts.created + counts.resolved + counts.reopened >= _MANY_CHANGES:
            dialect.statistics_refresh(cursor, "exposure_flag")
    return counts


def statistics_after_run(changed: int) -> None:
    """Refresh the flags' statistics once a run that changed ``changed`` flags has finished,
    if that is many (a chunk that creates the flags of a first match does not refresh them
    itself: twenty chunks would analyse the table twenty times).

    The next run plans on them: a full re-match right after the first one, planned on
    statistics that said "no flags", read the whole flag table in each of its 20 chunks to
    count the chunk's flags (2.9 s of 20 s at 10,000,000 items; 0.3 s once refreshed).
    """
    if changed >= _MANY_CHANGES:
        with connection.cursor() as cursor:
            dialect.statistics_refresh(cursor, "exposure_flag")


_MATCHES_TABLE = "matching_final"


@contextmanager
def _materialized(cursor: CursorWrapper, cte: Sql) -> Iterator[Sql]:
    """Write the matches into a temporary table; yield a ``final`` CTE reading it.

    If the run fails, its rollback takes the table away with everything else.
    """
    execute(
        cursor,
        compose(
            "CREATE TEMPORARY TABLE {table} AS {cte} SELECT * FROM final",
            table=_MATCHES_TABLE,
            cte=cte,
        ),
    )
    yield compose("WITH final AS (SELECT * FROM {table}) ", table=_MATCHES_TABLE)
    execute(cursor, compose("DROP TABLE {table}", table=_MATCHES_TABLE))


def count_hits(scope: Scope, *, up_to: int) -> int:
    """How many hits the scope's inclusions make, what a run's work grows with, counted no
    further than ``up_to`` + 1 (0 without inclusions): the query stops there, so its cost is
    bounded by ``up_to`` whatever the advisory.

    The planner's estimate was no substitute: product use follows a power law, and it read the
    most used products' items at the average product's count (at 1,000,000 items 27,039
    estimated for the jurisdiction advisory's 206,696 matches, 78 for the vendor advisory's
    22,523).
    """
    plan = plan_targets(scope)
    if not plan.has_inclusions:
        return 0
    with connection.cursor() as cursor:
        if dialect.is_postgresql():
            cursor.execute(MATCHING_SESSION_SETTINGS)
        execute(
            cursor,
            compose(
                "{cte} SELECT COUNT(*) FROM (SELECT 1 FROM inc_hits LIMIT {limit}) AS h",
                cte=final_cte(scope, plan),
                limit=param(up_to + 1),
            ),
        )
        return int(cursor.fetchone()[0])


def preview_scope(scope: Scope, *, samples: int) -> list[PreviewRow]:
    """What the scope's advisories would flag, without writing: up to ``samples`` items per
    organization (by label), each row carrying its organization's totals."""
    plan = plan_targets(scope)
    if not plan.has_inclusions:
        return []
    statement = compose(
        "{cte}, preview AS (SELECT fl.organization_id, o.name AS organization_name,"
        " fl.item_id, fl.label, {confidence} AS confidence, fl.priority, fl.possible,"
        " fl.reason,"
        " ROW_NUMBER() OVER (PARTITION BY fl.organization_id ORDER BY fl.label, fl.item_id)"
        " AS position,"
        " COUNT(*) OVER (PARTITION BY fl.organization_id) AS item_count,"
        " SUM(fl.possible) OVER (PARTITION BY fl.organization_id) AS possible_count"
        " FROM final fl JOIN orgs_organization o ON o.id = fl.organization_id)"
        " SELECT organization_id, organization_name, item_id, label, confidence, priority,"
        " reason, item_count, possible_count FROM preview WHERE position <= {samples}"
        " ORDER BY item_count DESC, organization_name, organization_id, position",
        cte=final_cte(scope, plan),
        confidence=confidence_sql("fl"),
        samples=param(samples),
    )
    with connection.cursor() as cursor:
        execute(cursor, statement)
        return [
            PreviewRow(
                organization_id=row[0],
                organization_name=row[1],
                item_id=row[2],
                label=row[3],
                confidence=row[4],
                priority=int(row[5]),
                possible_reason=str(row[6]),
                organization_item_count=int(row[7]),
                organization_possible_count=int(row[8]),
            )
            for row in cursor.fetchall()
        ]


def _count_items(cursor: CursorWrapper, scope: Scope) -> int:
    execute(
        cursor,
        compose(
            "SELECT COUNT(*) FROM orgs_inventoryitem i WHERE {items}", items=scope.item_filter()
        ),
    )
    return int(cursor.fetchone()[0])


def _flag_counts(cursor: CursorWrapper, scope: Scope) -> tuple[int, int]:
    """The scope's flags, and its unresolved ones.

    Counted rather than probed with ``LIMIT 1``: for that the planner scans the table until
    it meets one of the scope's flags, which is the whole table before the last chunk's
    organizations when a full run wrote the flags chunk by chunk; a count is planned on the
    scope's indexes (organization, advisory).
    """
    execute(
        cursor,
        compose(
            "SELECT COUNT(*), COUNT(CASE WHEN f.status <> {resolved} THEN 1 END)"
            " FROM exposure_flag f WHERE {flags}",
            resolved=_RESOLVED,
            flags=scope.flag_filter(),
        ),
    )
    flags, unresolved = cursor.fetchone()
    return int(flags), int(unresolved)


# After this many flags changed in one run, the table's statistics are refreshed: a plan made
# from statistics that still say "empty" could join the flags by scanning them once per row.
_MANY_CHANGES = 50_000
_RESOLVED = literal(FlagStatus.RESOLVED)
_OPEN = literal(FlagStatus.OPEN)


def _needs_refresh(flag: str) -> Sql:
    """Whether the flag aliased ``flag``, matched by the row ``d`` of ``final``, is resolved
    or holds a value other than the match's (what the refresh changes)."""
    return compose(
        f"({flag}.status = {{resolved}} OR {flag}.confidence <> {{confidence}}"
        f" OR {flag}.possible_reason <> d.reason"
        f" OR {flag}.priority <> d.priority"
        f" OR {flag}.due_date IS DISTINCT FROM {{due}}"
        f" OR {flag}.matched_target_id IS DISTINCT FROM d.target_id"
        f" OR {flag}.item_label <> d.label"
        f" OR {flag}.product_id IS DISTINCT FROM d.product_id"
        f" OR {flag}.vendor_id IS DISTINCT FROM d.vendor_id)",
        resolved=_RESOLVED,
        confidence=confidence_sql("d"),
        due=due_date_sql(f"{flag}.first_seen_at", deadline_sql="d.deadline", days_sql="d.sla_days"),
    )


def _differs(cursor: CursorWrapper, scope: Scope, cte: Sql, *, unresolved: int) -> bool:
    """Whether refresh, create or resolve would change anything: a matched pair without an
    unresolved flag of the scope, or whose flag needs the refresh, or an unresolved flag of
    the scope that no longer matches (the scope has ``unresolved`` unresolved flags).

    One read-only statement: the matches are computed and joined to the scope's unresolved
    flags, read once by the scope's index (a ``MATERIALIZED`` set: joined to the table
    itself, a plan could read every flag of the table for a chunk's few). If every pair has
    such a flag holding its values, those are as many flags as pairs, and any further
    unresolved flag of the scope no longer matches: the counts tell. Nothing differs on a
    re-run and on the periodic full re-match on most days; then the matches were computed
    once and nothing was written (at 10,000,000 items a chunk's check took 0.62 s, where
    writing the matches to a temporary table and looking each pair's flag up took 0.76 s).
    """
    execute(
        cursor,
        compose(
            "{cte}, scope_flags AS MATERIALIZED (SELECT f.id, f.advisory_id, f.item_id,"
            " f.status, f.confidence, f.possible_reason, f.priority, f.due_date,"
            " f.first_seen_at, f.matched_target_id, f.item_label, f.product_id, f.vendor_id"
            " FROM exposure_flag f WHERE {flags} AND f.status <> {resolved})"
            " SELECT COUNT(*), COUNT(CASE WHEN f.id IS NULL OR {needs_refresh} THEN 1 END)"
            " FROM final d LEFT JOIN scope_flags f"
            " ON f.advisory_id = d.advisory_id AND f.item_id = d.item_id",
            cte=cte,
            flags=scope.flag_filter(),
            resolved=_RESOLVED,
            needs_refresh=_needs_refresh("f"),
        ),
    )
    matched, differing = cursor.fetchone()
    return bool(differing) or int(matched) != unresolved


def _refresh(cursor: CursorWrapper, cte: Sql, now: datetime) -> tuple[list[int], int]:
    """Reopen resolved flags that match again and update values that changed; return the
    reopened ids and the number of other flags updated."""
    statement = compose(
        "{cte} UPDATE exposure_flag SET"
        " status = CASE WHEN exposure_flag.status = {resolved} THEN {open}"
        " ELSE exposure_flag.status END,"
        " resolution_reason = CASE WHEN exposure_flag.status = {resolved} THEN ''"
        " ELSE exposure_flag.resolution_reason END,"
        " resolved_at = CASE WHEN exposure_flag.status = {resolved} THEN NULL"
        " ELSE exposure_flag.resolved_at END,"
        " status_changed_at = CASE WHEN exposure_flag.status = {resolved} THEN {now}"
        " ELSE exposure_flag.status_changed_at END,"
        " confidence = {confidence}, possible_reason = d.reason, priority = d.priority,"
        " due_date = {due},"
        " matched_target_id = d.target_id, item_label = d.label,"
        " product_id = d.product_id, vendor_id = d.vendor_id,"
        " last_matched_at = {now}, updated_at = {now}"
        " FROM final d"
        " WHERE exposure_flag.advisory_id = d.advisory_id AND exposure_flag.item_id = d.item_id"
        " AND {needs_refresh}"
        " RETURNING exposure_flag.id,"
        " CASE WHEN exposure_flag.status_changed_at = {now} THEN 1 ELSE 0 END",
        cte=cte,
        confidence=confidence_sql("d"),
        resolved=_RESOLVED,
        open=_OPEN,
        due=due_date_sql(
            "exposure_flag.first_seen_at", deadline_sql="d.deadline", days_sql="d.sla_days"
        ),
        now=dialect.timestamp_param(now),
        needs_refresh=_needs_refresh("exposure_flag"),
    )
    execute(cursor, statement)
    rows = cursor.fetchall()
    reopened = [pk for pk, was_reopened in rows if was_reopened]
    return reopened, len(rows) - len(reopened)


def _create(
    cursor: CursorWrapper, cte: Sql, now: datetime, *, skip_flagged: bool = False
) -> list[int]:
    """Insert a flag for every matched pair that has none; return the new ids.

    The unique index arbitrates (``ON CONFLICT DO NOTHING``). With ``skip_flagged`` the pairs
    that have a flag are first left out by an anti-join, which saves an insert attempt per
    pair on a re-run; it is only used on materialized matches, whose size the planner knows
    (an anti-join planned on a guess could rescan the table being filled for every row).
    The rows go in in item order, so that the commit's deferred foreign-key checks read the
    items' index and pages in order: at 10,000,000 items the commits of a first full match
    took 49 s in the order the matches came, 32 s in item order.
    """
    first_seen = dialect.timestamp_param(now)
    statement = compose(
        "{cte} INSERT INTO exposure_flag (advisory_id, item_id, organization_id, product_id,"
        " vendor_id, item_label, matched_target_id, status, confidence, possible_reason,"
        " priority, due_date, status_reason, resolution_reason, first_seen_at, last_matched_at,"
        " status_changed_at, updated_at)"
        " SELECT fl.advisory_id, fl.item_id, fl.organization_id, fl.product_id, fl.vendor_id,"
        " fl.label, fl.target_id, {open}, {confidence}, fl.reason, fl.priority, {due}, '', '',"
        " {now}, {now}, {now}, {now}"
        " FROM final fl WHERE {new_only} ORDER BY fl.item_id"
        " ON CONFLICT (advisory_id, item_id) DO NOTHING RETURNING id",
        cte=cte,
        open=_OPEN,
        confidence=confidence_sql("fl"),
        due=compose(
            due_date_sql("{first_seen}", deadline_sql="fl.deadline", days_sql="fl.sla_days"),
            first_seen=first_seen,
        ),
        now=first_seen,
        new_only=Sql(
            "NOT EXISTS (SELECT 1 FROM exposure_flag x"
            " WHERE x.advisory_id = fl.advisory_id AND x.item_id = fl.item_id)"
            if skip_flagged
            else "1 = 1"
        ),
    )
    execute(cursor, statement)
    return [row[0] for row in cursor.fetchall()]


# Why a flag no longer matches, most specific first. "version_not_affected" when the item is
# still what a versioned target of the advisory names (its product, CPE — of a part that fits —
# or purl) — so it is the version, or a versioned exclusion, that now keeps it out.
_REASON_SQL = compose(
    "CASE WHEN f.item_id IS NULL THEN {item_removed}"
    " WHEN a.status = {withdrawn} THEN {advisory_withdrawn}"
    " WHEN EXISTS (SELECT 1 FROM advisories_affectedtarget t2"
    " JOIN orgs_inventoryitem i2 ON i2.id = f.item_id"
    " LEFT JOIN vendors_product p2 ON p2.id = i2.product_id"
    " WHERE t2.advisory_id = f.advisory_id AND NOT t2.needs_review AND ("
    "(t2.kind = 'product_range' AND t2.product_id = i2.product_id)"
    " OR (t2.kind = 'cpe' AND t2.cpe_vendor <> '' AND {cpe_part_fits} AND ("
    "(t2.cpe_vendor = i2.cpe_vendor AND t2.cpe_product = i2.cpe_product)"
    " OR (t2.cpe_vendor = p2.cpe_vendor AND t2.cpe_product = p2.cpe_product)))"
    " OR (t2.kind = 'purl' AND t2.purl_type <> '' AND ("
    "(t2.purl_type = i2.purl_type AND t2.purl_namespace = i2.purl_namespace"
    " AND t2.purl_name = i2.purl_name)"
    " OR (t2.purl_type = p2.purl_type AND t2.purl_namespace = p2.purl_namespace"
    " AND t2.purl_name = p2.purl_name)))))"
    " THEN {version_not_affected} ELSE {no_longer_matches} END",
    cpe_part_fits=cpe_part_fits("t2", item_cpe_part("i2", "p2")),
    item_removed=literal(ResolutionReason.ITEM_REMOVED),
    withdrawn=literal(AdvisoryStatus.WITHDRAWN),
    advisory_withdrawn=literal(ResolutionReason.ADVISORY_WITHDRAWN),
    version_not_affected=literal(ResolutionReason.VERSION_NOT_AFFECTED),
    no_longer_matches=literal(ResolutionReason.NO_LONGER_MATCHES),
)


def _stale(cursor: CursorWrapper, scope: Scope, cte: Sql) -> list[tuple[int, str, str]]:
    """The scope's unresolved flags that no longer match: ``(id, status, reason)``."""
    execute(
        cursor,
        compose(
            "{cte} SELECT f.id, f.status, {reason}"
            " FROM exposure_flag f JOIN advisories_advisory a ON a.id = f.advisory_id"
            " WHERE {flags} AND f.status <> {resolved}"
            " AND NOT EXISTS (SELECT 1 FROM final m"
            " WHERE m.advisory_id = f.advisory_id AND m.item_id = f.item_id)",
            cte=cte,
            reason=_REASON_SQL,
            flags=scope.flag_filter(),
            resolved=_RESOLVED,
        ),
    )
    return [(int(pk), str(status), str(reason)) for pk, status, reason in cursor.fetchall()]


def _resolve(cursor: CursorWrapper, stale: Sequence[tuple[int, str, str]], now: datetime) -> None:
    """Resolve the stale flags, one statement per reason, and record why and from what."""
    by_reason: dict[str, list[int]] = {}
    by_change: dict[tuple[str, str], list[int]] = {}
    for pk, status, reason in stale:
        by_reason.setdefault(reason, []).append(pk)
        by_change.setdefault((status, reason), []).append(pk)
    for reason, ids in by_reason.items():
        execute(
            cursor,
            compose(
                "UPDATE exposure_flag SET status = {resolved}, resolution_reason = {reason},"
                " resolved_at = {now}, status_changed_at = {now}, updated_at = {now}"
                " WHERE {ids}",
                resolved=_RESOLVED,
                reason=literal(reason),
                now=dialect.timestamp_param(now),
                ids=dialect.in_ids("id", ids),
            ),
        )
    labels = dict(ResolutionReason.choices)
    for (status, reason), ids in by_change.items():
        _record_events(cursor, ids, FlagEventKind.RESOLVED, status, str(labels[reason]), now)


def _record_events(
    cursor: CursorWrapper,
    flag_ids: Sequence[int],
    kind: FlagEventKind,
    from_status: str,
    note: str,
    now: datetime,
) -> None:
    """Write one history event of ``kind`` for each flag, by the matcher (no actor)."""
    if not flag_ids:
        return
    to_status = {
        FlagEventKind.CREATED: FlagStatus.OPEN,
        FlagEventKind.REOPENED: FlagStatus.OPEN,
        FlagEventKind.RESOLVED: FlagStatus.RESOLVED,
    }[kind]
    execute(
        cursor,
        compose(
            "INSERT INTO exposure_flagevent"
            " (flag_id, actor_id, kind, from_status, to_status, note, data, created_at)"
            " SELECT r.id, NULL, {kind}, {from_status}, {to_status}, {note}, {data}, {now}"
            " FROM ({ids}) AS r",
            kind=literal(kind),
            from_status=param(from_status),
            to_status=literal(to_status),
            note=param(note),
            data=dialect.empty_json(),
            now=dialect.timestamp_param(now),
            ids=dialect.id_rows(flag_ids),
        ),
    )
