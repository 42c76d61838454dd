"""What one run matches: a set of advisories against a set of inventory items.

A run computes the flags that *should* exist for every (advisory, item) pair inside its scope
and reconciles the flags that *do* exist inside the same scope, so the scope's filters are
written three times: on targets (alias ``t`` joined to its advisory ``a``), on items (``i``)
and on flags (``f``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from advisories.choices import AdvisoryStatus
from exposure.engine import dialect
from exposure.engine.sql import Sql, compose, conjunction


@dataclass(frozen=True)
class Scope:
    """The advisories and items a run covers; ``None`` means "all of them".

    ``pending_until`` narrows the items to those whose ``match_requested_at`` is set and not
    later than that time (an organization's changed items). A preview is scoped to the
    organizations its user may see by ``organization_ids``. ``include_unpublished`` lets a
    preview match a draft; real runs only ever flag published advisories. ``items_first``
    (a chunk that is one of several) has vendor-level targets read the scope's items once,
    by organization, before joining them to products: the scope is the same, only the
    statement's shape differs.
    """

    advisory_ids: tuple[int, ...] | None = None
    organization_ids: tuple[int, ...] | None = None
    product_ids: tuple[int, ...] | None = None
    pending_until: datetime | None = None
    include_unpublished: bool = False
    items_first: bool = False

    def target_filter(self) -> Sql:
        """Conditions on ``t`` (a target) and ``a`` (its advisory)."""
        conditions = [Sql("NOT t.needs_review")]
        if not self.include_unpublished:
            conditions.append(Sql("a.status = %s", [AdvisoryStatus.PUBLISHED.value]))
        if self.advisory_ids is not None:
            conditions.append(dialect.in_ids("t.advisory_id", self.advisory_ids))
        return conjunction(conditions)

    def item_filter(self, alias: str = "i") -> Sql:
        """Conditions on an inventory item aliased ``alias``."""
        conditions: list[Sql] = []
        if self.organization_ids is not None:
            conditions.append(dialect.in_ids(f"{alias}.organization_id", self.organization_ids))
        if self.product_ids is not None:
            conditions.append(dialect.in_ids(f"{alias}.product_id", self.product_ids))
        if self.pending_until is not None:
            conditions.append(
                compose(
                    f"{alias}.match_requested_at IS NOT NULL"
                    f" AND {alias}.match_requested_at <= {{until}}",
                    until=dialect.timestamp_param(self.pending_until),
                )
            )
        return conjunction(conditions)

    def flag_filter(self) -> Sql:
        """Conditions on ``f`` (a flag): the flags this scope is responsible for.

        A flag whose item was deleted (``item_id`` NULL) belongs to every scope that covers its
        advisory and organization, so that the next run there resolves it.
        """
        conditions: list[Sql] = []
        if self.advisory_ids is not None:
            conditions.append(dialect.in_ids("f.advisory_id", self.advisory_ids))
        if self.organization_ids is not None:
            conditions.append(dialect.in_ids("f.organization_id", self.organization_ids))
        if self.product_ids is not None or self.pending_until is not None:
            conditions.append(
                compose(
                    "f.item_id IS NULL OR f.item_id IN"
                    " (SELECT fi.id FROM orgs_inventoryitem fi WHERE {items})",
                    items=self.item_filter("fi"),
                )
            )
        return conjunction(conditions)
