"""Reconciling flags with what a scope's advisories match, in a fixed number of statements.

Per run, whatever the number of items:

1. *refresh* — one ``UPDATE … FROM`` over the matched pairs that already have a flag: a
   resolved flag is reopened; confidence, priority, due date, matched target and label are
   brought up to date where they differ (and only there, so a re-run updates no row);
2. *create* — one ``INSERT … SELECT … ON CONFLICT (advisory_id, item_id) DO NOTHING
   RETURNING id`` for the matched pairs without a flag;
3. *resolve* — one ``SELECT`` of the scope's unresolved flags that no longer match, with the
   reason, then one ``UPDATE`` of them;
4. one ``INSERT`` of the flags' history events (created, reopened, resolved; no actor: the
   matcher did it) from the ids the statements returned.

Steps 1 and 3 are skipped when the scope has no flag yet (a newly published advisory).
People's decisions are kept while the item still matches: an acknowledged, mitigated,
risk-accepted or false-positive flag keeps its status; only a resolved one is reopened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper

from advisories.choices import AdvisoryStatus
from exposure.choices import FlagEventKind, FlagStatus, ResolutionReason
from exposure.engine import dialect
from exposure.engine.scope import Scope
from exposure.engine.sql import Sql, compose, execute, literal, param
from exposure.engine.statements import (
    CONFIDENCE_SQL,
    FLAG_SOURCES,
    LABEL_SQL,
    due_date_sql,
    final_cte,
    priority_sql,
    sla_days_sql,
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
    organization_item_count: int
    organization_possible_count: int


def match_scope(scope: Scope, *, now: datetime) -> MatchCounts:
    """Bring the scope's flags in line with what its advisories match; return the counts.

    Runs in the caller's transaction (see ``engine.locks.matching_transaction``).
    """
    plan = plan_targets(scope)
    cte = final_cte(scope, plan)
    counts = MatchCounts()
    with connection.cursor() as cursor:
        counts.items_considered = _count_items(cursor, scope)
        flags_exist = _flags_exist(cursor, scope)
        events: list[tuple[int, str, str, str, str]] = []
        if flags_exist and plan.has_inclusions:
            reopened, updated = _refresh(cursor, cte, now)
            counts.reopened, counts.updated = len(reopened), updated
            events += [
                (pk, FlagEventKind.REOPENED, FlagStatus.RESOLVED, FlagStatus.OPEN, "")
                for pk in reopened
            ]
        if plan.has_inclusions:
            created = _create(cursor, cte, now)
            counts.created = len(created)
            events += [(pk, FlagEventKind.CREATED, "", FlagStatus.OPEN, "") for pk in created]
        if flags_exist:
            stale = _stale(cursor, scope, cte)
            _resolve(cursor, stale, now)
            counts.resolved = len(stale)
            labels = dict(ResolutionReason.choices)
            events += [
                (pk, FlagEventKind.RESOLVED, status, FlagStatus.RESOLVED, str(labels[reason]))
                for pk, status, reason in stale
            ]
        _record_events(cursor, events, now)
    return counts


def preview_scope(scope: Scope, *, samples: int) -> list[PreviewRow]:
    """What the scope's advisories would flag, without writing: up to ``samples`` items per
    organization (by label), each row carrying its organization's totals."""
    plan = plan_targets(scope)
    if not plan.has_inclusions:
        return []
    statement = compose(
        "{cte}, preview AS (SELECT i.organization_id, o.name AS organization_name,"
        " i.id AS item_id, {label} AS label, {confidence} AS confidence,"
        " {priority} AS priority, fl.possible,"
        " ROW_NUMBER() OVER (PARTITION BY i.organization_id ORDER BY {label}, i.id) AS position,"
        " COUNT(*) OVER (PARTITION BY i.organization_id) AS item_count,"
        " SUM(fl.possible) OVER (PARTITION BY i.organization_id) AS possible_count {sources})"
        " SELECT organization_id, organization_name, item_id, label, confidence, priority,"
        " item_count, possible_count FROM preview WHERE position <= {samples}"
        " ORDER BY item_count DESC, organization_name, organization_id, position",
        cte=final_cte(scope, plan),
        label=LABEL_SQL,
        confidence=CONFIDENCE_SQL,
        priority=priority_sql(),
        sources=FLAG_SOURCES,
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
                organization_item_count=int(row[6]),
                organization_possible_count=int(row[7]),
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


def _flags_exist(cursor: CursorWrapper, scope: Scope) -> bool:
    execute(
        cursor,
        compose("SELECT 1 FROM exposure_flag f WHERE {flags} LIMIT 1", flags=scope.flag_filter()),
    )
    return cursor.fetchone() is not None


_RESOLVED = literal(FlagStatus.RESOLVED)
_OPEN = literal(FlagStatus.OPEN)


def _refresh(cursor: CursorWrapper, cte: Sql, now: datetime) -> tuple[list[int], int]:
    """Reopen resolved flags that match again and update values that changed; return the
    reopened ids and the number of other flags updated."""
    statement = compose(
        "{cte}, desired AS (SELECT fl.advisory_id, fl.item_id, fl.target_id,"
        " {confidence} AS confidence, {priority} AS priority,"
        " a.action_deadline AS deadline, {sla} AS sla_days, {label} AS label {sources})"
        " UPDATE exposure_flag SET"
        " status = CASE WHEN exposure_flag.status = {resolved} THEN {open}"
        " ELSE exposure_flag.status END,"
        " resolution_reason = CASE WHEN exposure_flag.status = {resolved} THEN ''"
        " ELSE exposure_flag.resolution_reason END,"
        " resolved_at = CASE WHEN exposure_flag.status = {resolved} THEN NULL"
        " ELSE exposure_flag.resolved_at END,"
        " status_changed_at = CASE WHEN exposure_flag.status = {resolved} THEN {now}"
        " ELSE exposure_flag.status_changed_at END,"
        " confidence = d.confidence, priority = d.priority, due_date = {due},"
        " matched_target_id = d.target_id, item_label = d.label,"
        " last_matched_at = {now}, updated_at = {now}"
        " FROM desired d"
        " WHERE exposure_flag.advisory_id = d.advisory_id AND exposure_flag.item_id = d.item_id"
        " AND (exposure_flag.status = {resolved} OR exposure_flag.confidence <> d.confidence"
        " OR exposure_flag.priority <> d.priority"
        " OR exposure_flag.due_date IS DISTINCT FROM {due}"
        " OR exposure_flag.matched_target_id IS DISTINCT FROM d.target_id"
        " OR exposure_flag.item_label <> d.label)"
        " RETURNING exposure_flag.id,"
        " CASE WHEN exposure_flag.status_changed_at = {now} THEN 1 ELSE 0 END",
        cte=cte,
        confidence=CONFIDENCE_SQL,
        priority=priority_sql(),
        sla=sla_days_sql(),
        label=LABEL_SQL,
        sources=FLAG_SOURCES,
        resolved=_RESOLVED,
        open=_OPEN,
        due=due_date_sql(
            "exposure_flag.first_seen_at", deadline_sql="d.deadline", days_sql="d.sla_days"
        ),
        now=dialect.timestamp_param(now),
    )
    execute(cursor, statement)
    rows = cursor.fetchall()
    reopened = [pk for pk, was_reopened in rows if was_reopened]
    return reopened, len(rows) - len(reopened)


def _create(cursor: CursorWrapper, cte: Sql, now: datetime) -> list[int]:
    """Insert a flag for every matched pair that has none; return the new ids."""
    first_seen = dialect.timestamp_param(now)
    statement = compose(
        "{cte} INSERT INTO exposure_flag (advisory_id, item_id, organization_id, item_label,"
        " matched_target_id, status, confidence, priority, due_date, status_reason,"
        " resolution_reason, first_seen_at, last_matched_at, status_changed_at, updated_at)"
        " SELECT fl.advisory_id, fl.item_id, i.organization_id, {label}, fl.target_id,"
        " {open}, {confidence}, {priority}, {due}, '', '', {now}, {now}, {now}, {now}"
        " {sources} WHERE NOT EXISTS (SELECT 1 FROM exposure_flag x"
        " WHERE x.advisory_id = fl.advisory_id AND x.item_id = fl.item_id)"
        # A concurrent run may have inserted the pair since; the unique constraint decides.
        " ON CONFLICT (advisory_id, item_id) DO NOTHING RETURNING id",
        cte=cte,
        label=LABEL_SQL,
        open=_OPEN,
        confidence=CONFIDENCE_SQL,
        priority=priority_sql(),
        due=compose(due_date_sql("{first_seen}"), first_seen=first_seen),
        now=first_seen,
        sources=FLAG_SOURCES,
    )
    execute(cursor, statement)
    return [row[0] for row in cursor.fetchall()]


# Why a flag no longer matches, most specific first. "version_not_affected" when the item is
# still what a versioned target of the advisory names (its product, CPE or purl) — so it is
# the version, or a versioned exclusion, that now keeps it out.
_REASON_SQL = compose(
    "CASE WHEN f.item_id IS NULL THEN {item_removed}"
    " WHEN a.status = {withdrawn} THEN {advisory_withdrawn}"
    " WHEN EXISTS (SELECT 1 FROM advisories_affectedtarget t2"
    " JOIN orgs_inventoryitem i2 ON i2.id = f.item_id"
    " LEFT JOIN vendors_product p2 ON p2.id = i2.product_id"
    " WHERE t2.advisory_id = f.advisory_id AND NOT t2.needs_review AND ("
    "(t2.kind = 'product_range' AND t2.product_id = i2.product_id)"
    " OR (t2.kind = 'cpe' AND t2.cpe_vendor <> '' AND ("
    "(t2.cpe_vendor = i2.cpe_vendor AND t2.cpe_product = i2.cpe_product)"
    " OR (t2.cpe_vendor = p2.cpe_vendor AND t2.cpe_product = p2.cpe_product)))"
    " OR (t2.kind = 'purl' AND t2.purl_type <> '' AND ("
    "(t2.purl_type = i2.purl_type AND t2.purl_namespace = i2.purl_namespace"
    " AND t2.purl_name = i2.purl_name)"
    " OR (t2.purl_type = p2.purl_type AND t2.purl_namespace = p2.purl_namespace"
    " AND t2.purl_name = p2.purl_name)))))"
    " THEN {version_not_affected} ELSE {no_longer_matches} END",
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
    if not stale:
        return
    rows = dialect.json_rows(
        [(pk, reason) for pk, _status, reason in stale], [("id", "bigint"), ("reason", "text")]
    )
    execute(
        cursor,
        compose(
            "UPDATE exposure_flag SET status = {resolved}, resolution_reason = r.reason,"
            " resolved_at = {now}, status_changed_at = {now}, updated_at = {now}"
            " FROM ({rows}) AS r WHERE exposure_flag.id = r.id",
            resolved=_RESOLVED,
            rows=rows,
            now=dialect.timestamp_param(now),
        ),
    )


def _record_events(
    cursor: CursorWrapper, events: Sequence[tuple[int, str, str, str, str]], now: datetime
) -> None:
    """Write the history of every flag the run created, reopened or resolved, in one insert."""
    if not events:
        return
    rows = dialect.json_rows(
        [(pk, str(kind), str(old), str(new), note) for pk, kind, old, new, note in events],
        [
            ("flag_id", "bigint"),
            ("kind", "text"),
            ("from_status", "text"),
            ("to_status", "text"),
            ("note", "text"),
        ],
    )
    execute(
        cursor,
        compose(
            "INSERT INTO exposure_flagevent"
            " (flag_id, actor_id, kind, from_status, to_status, note, data, created_at)"
            " SELECT r.flag_id, NULL, r.kind, r.from_status, r.to_status, r.note, {data},"
            " {now} FROM ({rows}) AS r",
            data=dialect.empty_json(),
            rows=rows,
            now=dialect.timestamp_param(now),
        ),
    )
