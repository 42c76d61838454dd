"""Resolving inventory items to catalogue products, in one statement for any number of items.

An item names what it runs with raw vendor/product strings, a CPE and/or a purl. The first of
these rules that names exactly one product resolves it; a rule that names several is
ambiguous and resolves nothing (no guessing):

1. its purl's type/namespace/name is a product's;
2. its CPE's vendor:product is a product's;
3. its normalized vendor name is a vendor's name or alias, and its normalized product name is
   the name or an alias of one of that vendor's products (product names keep legal-form
   words: ``normalize_name(..., legal_forms=False)``, as the models store them);
4. it gives no vendor, and its product name or alias is one product's in the whole catalogue.

Items that resolve to nothing keep ``product`` NULL and are listed for reconciliation (see
``orgs.selectors.inventory_unresolved``); they still match CPE and purl targets through their
own identifiers, and vendor-level targets through their vendor name. Resolution is sticky: it
only ever fills an empty ``product``, so a product chosen by hand, or one an alias pointed to,
is never taken away behind the user's back.

Resolving an item marks it for matching (``match_requested_at``) in the same statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from orgs.models import InventoryItem

_RESOLVE_SQL = """
WITH scope (id) AS ({scope}),
vendor_names (vendor_id, name) AS (
    SELECT v.id, v.normalized_name FROM vendors_vendor v
    UNION ALL SELECT va.vendor_id, va.normalized_name FROM vendors_vendoralias va
),
product_names (product_id, vendor_id, name) AS (
    SELECT p.id, p.vendor_id, p.normalized_name FROM vendors_product p
    UNION ALL SELECT pa.product_id, p.vendor_id, pa.normalized_name
    FROM vendors_productalias pa JOIN vendors_product p ON p.id = pa.product_id
),
candidates (item_id, product_id, rank) AS (
    SELECT i.id, p.id, 1 FROM orgs_inventoryitem i
    JOIN vendors_product p ON p.purl_type = i.purl_type
        AND p.purl_namespace = i.purl_namespace AND p.purl_name = i.purl_name
    WHERE i.purl_type <> '' AND i.id IN (SELECT id FROM scope)
    UNION ALL
    SELECT i.id, p.id, 2 FROM orgs_inventoryitem i
    JOIN vendors_product p ON p.cpe_vendor = i.cpe_vendor AND p.cpe_product = i.cpe_product
    WHERE i.cpe_vendor <> '' AND i.id IN (SELECT id FROM scope)
    UNION ALL
    SELECT i.id, pn.product_id, 3 FROM orgs_inventoryitem i
    JOIN vendor_names vn ON vn.name = i.normalized_vendor
    JOIN product_names pn ON pn.vendor_id = vn.vendor_id AND pn.name = i.normalized_product
    WHERE i.normalized_vendor <> '' AND i.normalized_product <> ''
        AND i.id IN (SELECT id FROM scope)
    UNION ALL
    SELECT i.id, pn.product_id, 4 FROM orgs_inventoryitem i
    JOIN product_names pn ON pn.name = i.normalized_product
    WHERE i.normalized_vendor = '' AND i.normalized_product <> ''
        AND i.id IN (SELECT id FROM scope)
),
best (item_id, rank) AS (SELECT item_id, MIN(rank) FROM candidates GROUP BY item_id),
chosen (item_id, product_id) AS (
    SELECT c.item_id, MIN(c.product_id) FROM candidates c
    JOIN best b ON b.item_id = c.item_id AND b.rank = c.rank
    GROUP BY c.item_id HAVING COUNT(DISTINCT c.product_id) = 1
)
UPDATE orgs_inventoryitem
SET product_id = chosen.product_id, match_requested_at = %s, updated_at = %s
FROM chosen
WHERE orgs_inventoryitem.id = chosen.item_id AND orgs_inventoryitem.product_id IS NULL
RETURNING orgs_inventoryitem.id, orgs_inventoryitem.organization_id
"""


def items_resolve(
    *, items: QuerySet[InventoryItem, Any], now: datetime | None = None
) -> list[tuple[int, int]]:
    """Resolve the unresolved items among ``items`` (see the module docstring).

    Returns ``(item id, organization id)`` of every item that got a product; those are marked
    for matching. The caller owns the transaction and enqueues the matching.
    """
    scope_sql, scope_params = (
        items.filter(product=None).order_by().values("pk").query.sql_with_params()
    )
    stamp = connection.ops.adapt_datetimefield_value(now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_RESOLVE_SQL.replace("{scope}", scope_sql), [*scope_params, stamp, stamp])
        return [(int(pk), int(organization_id)) for pk, organization_id in cursor.fetchall()]
