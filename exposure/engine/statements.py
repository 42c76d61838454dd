"""The SQL of a run: which (advisory, item) pairs match, and the values of their flags.

``final_cte`` builds ``WITH RECURSIVE … final AS (…)``: one row per (advisory, item) pair the
scope's advisories match, with the target that matched (the lowest confirmed one), whether the
match is only *possible*, and every value its flag needs (organization, the item's product
and vendor, label, priority, deadline and SLA days). Callers append the statement that uses
it (the upsert, the refresh, the resolution, a preview). Only the branches for target kinds
present in the scope are emitted, so that matching one vendor advisory is a small statement.

Shape, for the planner's sake: subsidiaries and jurisdictions are walked down the ownership
chain from the scope's own targets (a recursive CTE seeded by them). Each inclusion hit
carries the columns of its item that the flag needs (``ITEM_COLUMNS``), read by the scan
that found it, so the item table is never joined back: over a whole inventory that join
scanned and hashed every item once more. The organization's, advisory's and product's rows
are joined to the hits *before* several hits of one pair are collapsed, so that those joins
are planned on real row estimates (hash joins for large advisories); nothing is joined after
the collapse, whose size the planner cannot estimate. The same join keeps a restricted (TLP)
advisory's hits to the organizations that may read it (``orgs.scoping.advisory_reach_sql``).

Each hit carries its *reason*: empty for a confirmed match, else why it is only possible - the
target's caveat (``CAVEAT_SQL``), "version unknown", or both. A pair is confirmed when any of
its hits is; otherwise its reason is the least of its hits' reasons, and the flag keeps it
(``possible_reason``).

Version ranges are compiled into ``TargetInterval`` rows of bytewise-sortable keys; an item is
inside an interval when its ``version_key`` lies between the bounds. The comparison is
written twice: as a plain ``BETWEEN``-style range (``COALESCE(lower, '')`` … ``COALESCE(upper,
'~')``, '~' sorting after every key character), and exactly, with the inclusive flags. Items
without a usable version are found by the same pass (one per way a ranged target reaches
items: the product's items through the ``(product_id, version_key)`` index for a few
targets, one scan of the table for many), and are only *possible* unless one of the target's
intervals holds every version.

CPE targets compare the part (application, operating system, hardware) as NISTIR 7696 does
(``vendors.matching.cpe.part_fit``): an item is compared by the part its own CPE name gives,
else by its catalogue product's; an item of another part is no match, one whose part nobody
knows only a *possible* one.
"""

from __future__ import annotations

from advisories.exploitation import EPSS_BANDS
from exposure.choices import CPE_ATTRIBUTE_UNKNOWN, VERSION_UNKNOWN
from exposure.engine import dialect
from exposure.engine.scope import Scope
from exposure.engine.sql import Sql, compose, conjunction, literal
from exposure.engine.targets import CAVEAT_SQL, Branch, TargetPlan
from orgs.scoping import advisory_reach_sql, json_codes_have_sql

# Priority points: see the package docstring (exposure/engine/__init__.py) for the formula.
SEVERITY_POINTS = {"critical": 45, "high": 35, "medium": 22, "low": 10, "none": 0}
KNOWN_EXPLOITED_POINTS = 5
PRIORITY_MAX = 100
AUDIENCE_SECTOR_POINTS = 10
AUDIENCE_TIER_POINTS = 10
CRITICALITY_POINTS = {"critical": 15, "high": 10, "medium": 5, "low": 0}
RISK_TRAIT_POINTS = 5
RISK_TRAITS = ("deep_system_access", "permanent_cloud_connection", "vendor_pushed_updates")
SLA_COLUMNS = {
    "critical": "sla_critical_days",
    "high": "sla_high_days",
    "medium": "sla_medium_days",
    "low": "sla_low_days",
}

_TARGET_FROM = "FROM advisories_affectedtarget t JOIN advisories_advisory a ON a.id = t.advisory_id"


def _reason_sql(reason: str) -> str:
    """A reason to be only possible (one of our constants), followed by the target's caveat."""
    text = reason.replace("'", "''")
    return f"('{text}' || CASE WHEN {CAVEAT_SQL} <> '' THEN '; ' || {CAVEAT_SQL} ELSE '' END)"


# The reasons of a hit on an item without a usable version, and on one whose CPE part the
# target names but nobody knows.
_VERSION_UNKNOWN_SQL = _reason_sql(VERSION_UNKNOWN)
_ATTRIBUTE_UNKNOWN_SQL = _reason_sql(CPE_ATTRIBUTE_UNKNOWN)
_VENDOR_NAMES = (
    "(SELECT v0.id AS vendor_id, v0.normalized_name AS name FROM vendors_vendor v0"
    " UNION ALL SELECT va.vendor_id, va.normalized_name FROM vendors_vendoralias va)"
)
# Each vendor-level target reaches items three ways: through their catalogue product, and,
# for items no product was resolved for, through the vendor's names and its CPE vendor.
_VENDOR_TO_ITEMS = (
    (
        "JOIN vendors_product p ON p.vendor_id = {vendor} JOIN {source} i ON i.product_id = p.id",
        "1 = 1",
    ),
    (
        f"JOIN {_VENDOR_NAMES} vn ON vn.vendor_id = {{vendor}}"
        " JOIN {source} i ON i.normalized_vendor = vn.name AND i.product_id IS NULL",
        "1 = 1",
    ),
    (
        "JOIN vendors_vendor cv ON cv.id = {vendor}"
        " JOIN {source} i ON i.cpe_vendor = cv.cpe_vendor AND i.product_id IS NULL",
        "cv.cpe_vendor <> ''",
    ),
)
# Vendor-level targets reach vendors directly (a vendor target) or through the
# ``target_vendors`` walk (subsidiaries, jurisdictions), which already applied the scope's
# target conditions.
_DIRECT_VENDOR = (
    f"SELECT t.advisory_id, i.id, t.id, {CAVEAT_SQL}{{columns}} {{target_from}} {{to_items}}"
    " WHERE t.kind = 'vendor' AND NOT t.include_subsidiaries AND {item_condition}"
    " AND {targets} AND {items}"
)
_WALKED_VENDOR = (
    "SELECT tv.advisory_id, i.id, tv.target_id, tv.caveat{columns} FROM target_vendors tv"
    " {to_items}"
    " WHERE tv.is_exclusion = {exclusion} AND {item_condition} AND {items}"
)


def item_cpe_part(item: str, product: str) -> str:
    """The CPE part item ``item`` is compared by: the part its own CPE name gives, else its
    catalogue product's (``product`` is the item's product, NULL without one); '' when
    neither says."""
    return f"COALESCE(NULLIF({item}.cpe_part, ''), {product}.cpe_part, '')"


def cpe_part_fits(target: str, part: str) -> str:
    """Whether target ``target``'s CPE part lets an item of part ``part`` through: the rule
    of ``vendors.matching.cpe.part_fit`` (not FAILS), '' standing for ANY on both sides."""
    return f"({target}.cpe_part = '' OR {part} = '' OR {part} = {target}.cpe_part)"


def cpe_part_undecided(target: str, part: str) -> str:
    """Whether it does so only possibly: the target names a part, the item's is unknown."""
    return f"({target}.cpe_part <> '' AND {part} = '')"


# How a CPE target reaches items: by the item's own CPE vendor:product, or by its product's.
# Either way the item is compared by the part it has (``item_cpe_part``), its product's in the
# first case joined for the purpose.
_OWN_PART = item_cpe_part("i", "ip")
_PRODUCTS_PART = item_cpe_part("i", "p")
# (join from the target to items, extra condition, what makes a hit only possible besides an
# unknown version, or None) for kinds with version ranges.
_RANGED: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "product_range": (("JOIN orgs_inventoryitem i ON i.product_id = t.product_id", "1 = 1", None),),
    "cpe": (
        (
            "JOIN orgs_inventoryitem i"
            " ON i.cpe_vendor = t.cpe_vendor AND i.cpe_product = t.cpe_product"
            " LEFT JOIN vendors_product ip ON ip.id = i.product_id",
            f"t.cpe_vendor <> '' AND {cpe_part_fits('t', _OWN_PART)}",
            cpe_part_undecided("t", _OWN_PART),
        ),
        (
            "JOIN vendors_product p"
            " ON p.cpe_vendor = t.cpe_vendor AND p.cpe_product = t.cpe_product"
            " JOIN orgs_inventoryitem i ON i.product_id = p.id",
            f"t.cpe_vendor <> '' AND {cpe_part_fits('t', _PRODUCTS_PART)}",
            cpe_part_undecided("t", _PRODUCTS_PART),
        ),
    ),
    "purl": (
        (
            "JOIN orgs_inventoryitem i ON i.purl_type = t.purl_type"
            " AND i.purl_namespace = t.purl_namespace AND i.purl_name = t.purl_name",
            "t.purl_type <> ''",
            None,
        ),
        (
            "JOIN vendors_product p ON p.purl_type = t.purl_type"
            " AND p.purl_namespace = t.purl_namespace AND p.purl_name = t.purl_name"
            " JOIN orgs_inventoryitem i ON i.product_id = p.id",
            "t.purl_type <> ''",
            None,
        ),
    ),
}
# Every vendor each subsidiary or jurisdiction target of the scope reaches: the target's vendor
# (or the vendors headquartered in its country), then, down the ownership chain, every company
# they own. The depth guard stops a loop, which Vendor.clean() prevents, from recursing forever.
_TARGET_VENDORS = (
    "target_vendors (target_id, advisory_id, is_exclusion, caveat, vendor_id, depth) AS ("
    "SELECT t.id, t.advisory_id, t.is_exclusion, {caveat}, t.vendor_id, 0 {target_from}"
    " WHERE t.kind = 'vendor' AND t.include_subsidiaries AND {targets}"
    " UNION ALL SELECT t.id, t.advisory_id, t.is_exclusion, {caveat}, v.id, 0"
    " {target_from} JOIN vendors_vendor v ON v.country = t.country"
    " WHERE t.kind = 'jurisdiction' AND {targets}"
    " UNION ALL SELECT tv.target_id, tv.advisory_id, tv.is_exclusion, tv.caveat, v.id,"
    " tv.depth + 1 FROM target_vendors tv JOIN vendors_vendor v ON v.parent_id = tv.vendor_id"
    " WHERE tv.depth < 32)"
)
_NO_HITS = (
    "SELECT CAST(NULL AS bigint) AS advisory_id, CAST(NULL AS bigint) AS item_id,"
    " CAST(NULL AS bigint) AS target_id, CAST('' AS text) AS reason{columns} WHERE 1 = 0"
)
# The item's columns an inclusion hit carries (see the module docstring), under the names the
# priority and label expressions read them by (``i.criticality``, ``i.raw_vendor``, …).
ITEM_COLUMNS = (
    ("organization_id", "bigint"),
    ("product_id", "bigint"),
    ("criticality", "text"),
    ("raw_vendor", "text"),
    ("raw_product", "text"),
    ("cpe", "text"),
    ("purl", "text"),
    ("version", "text"),
)
_HIT_COLUMNS = "advisory_id, item_id, target_id, reason"


# A chunk of several reads its organizations' items once, by the organization index, before
# joining them to the vendors' products: left to itself PostgreSQL walked each product's items
# through the product index and dropped the other organizations' ones after reading them, so
# each of a jurisdiction advisory's 20 chunks at 10,000,000 items read the advisory's whole
# footprint (18.8 s a chunk; 2.9 s this way). Only vendor-level branches read items so: ranged
# targets are few items of many products, which the organization index already serves.
_SCOPE_ITEMS = "scope_items"
_SCOPE_ITEM_COLUMNS = ", ".join(
    [
        "i.id",
        "i.normalized_vendor",
        "i.cpe_vendor",
        "i.match_requested_at",
        *(f"i.{name}" for name, _type in ITEM_COLUMNS),
    ]
)


_SCOPE_ITEMS_CTE = (
    "scope_items AS MATERIALIZED (SELECT {columns} FROM orgs_inventoryitem i WHERE {items})"
)


def _vendor_items_source(scope: Scope) -> str:
    """Where vendor-level branches read items: the chunk's items, read first, or the table."""
    return _SCOPE_ITEMS if scope.items_first else "orgs_inventoryitem"


def _is_vendor_level(branch: Branch) -> bool:
    """Whether the branch reaches items through vendors (their products, names, CPE vendor)."""
    return branch.kind in ("vendor", "jurisdiction")


def _is_walked(branch: Branch) -> bool:
    """Whether the branch reaches vendors down the ownership chain (``target_vendors``)."""
    return (branch.kind == "vendor" and branch.include_subsidiaries) or (
        branch.kind == "jurisdiction"
    )


def final_cte(scope: Scope, plan: TargetPlan) -> Sql:
    """``WITH RECURSIVE …, final AS (…)`` for the scope; the caller appends its statement."""
    ctes: list[Sql] = []
    if any(_is_walked(branch) for branch in plan.branches):
        ctes.append(
            compose(
                _TARGET_VENDORS,
                target_from=_TARGET_FROM,
                targets=_target_conditions(scope, plan),
                caveat=CAVEAT_SQL,
            )
        )
    if _vendor_items_source(scope) == _SCOPE_ITEMS and any(
        _is_vendor_level(branch) for branch in plan.branches
    ):
        ctes.append(
            compose(
                _SCOPE_ITEMS_CTE,
                columns=_SCOPE_ITEM_COLUMNS,
                items=scope.item_filter(),
            )
        )
    ctes.append(
        compose(
            "inc_hits ({columns}) AS ({hits})",
            columns=", ".join([_HIT_COLUMNS, *(name for name, _type in ITEM_COLUMNS)]),
            hits=_hits(scope, plan, exclusion=False),
        )
    )
    # The hits are aliased ``i``: they carry the item columns the expressions read.
    ctes.append(
        compose(
            "matched AS (SELECT i.advisory_id, i.item_id,"
            " COALESCE(MIN(CASE WHEN i.reason = '' THEN i.target_id END), MIN(i.target_id))"
            " AS target_id, CASE WHEN MIN(i.reason) = '' THEN 0 ELSE 1 END AS possible,"
            " MIN(i.reason) AS reason,"
            " MIN(i.organization_id) AS organization_id, MIN(i.product_id) AS product_id,"
            " MIN(p.vendor_id) AS vendor_id, MIN({label}) AS label,"
            " MIN({priority}) AS priority, MIN({deadline}) AS deadline,"
            " MIN({sla}) AS sla_days"
            " FROM inc_hits i JOIN orgs_organization o ON o.id = i.organization_id"
            " JOIN advisories_advisory a ON a.id = i.advisory_id"
            " LEFT JOIN vendors_product p ON p.id = i.product_id"
            " LEFT JOIN vendors_vendor pv ON pv.id = p.vendor_id"
            " WHERE {reach}"
            " GROUP BY i.advisory_id, i.item_id)",
            reach=Sql(*advisory_reach_sql("a", "o")),
            label=LABEL_SQL,
            priority=priority_sql(),
            deadline=DEADLINE_SQL,
            sla=sla_days_sql(),
        )
    )
    if plan.has_exclusions:
        # Exclusions win: a confirmed exclusion removes the pair, one that cannot be decided
        # (the item has no version, or the exclusion carries a caveat) leaves it possible,
        # with the exclusion's reason when the inclusion had none.
        ctes.append(
            compose(
                "exc_hits ({columns}) AS ({hits})",
                columns=_HIT_COLUMNS,
                hits=_hits(scope, plan, exclusion=True),
            )
        )
        ctes.append(
            Sql(
                "final AS (SELECT m.advisory_id, m.item_id, m.target_id,"
                " CASE WHEN m.possible = 1 OR x.reason IS NOT NULL THEN 1 ELSE 0 END"
                " AS possible, CASE WHEN m.possible = 1 THEN m.reason ELSE COALESCE(x.reason, '')"
                " END AS reason,"
                " m.organization_id, m.product_id, m.vendor_id, m.label, m.priority,"
                " m.deadline, m.sla_days"
                " FROM matched m LEFT JOIN (SELECT advisory_id, item_id,"
                " MIN(reason) AS reason FROM exc_hits GROUP BY advisory_id, item_id) x"
                " ON x.advisory_id = m.advisory_id AND x.item_id = m.item_id"
                " WHERE x.reason IS NULL OR x.reason <> '')"
            )
        )
    else:
        ctes.append(Sql("final AS (SELECT * FROM matched)"))
    return compose("WITH RECURSIVE {ctes} ", ctes=Sql.join(", ", ctes))


def _target_conditions(scope: Scope, plan: TargetPlan) -> Sql:
    """The scope's targets that the SQL decides (not those left to Python)."""
    conditions = [scope.target_filter()]
    if plan.python_target_ids:
        conditions.append(
            compose("NOT ({ids})", ids=dialect.in_ids("t.id", plan.python_target_ids))
        )
    return conjunction(conditions)


def _hits(scope: Scope, plan: TargetPlan, *, exclusion: bool) -> Sql:
    targets = conjunction(
        [_target_conditions(scope, plan), Sql("t.is_exclusion = %s", [exclusion])]
    )
    items = scope.item_filter()
    # Exclusion hits only remove or weaken inclusion hits: they need no item columns.
    columns = "" if exclusion else "".join(f", i.{name}" for name, _type in ITEM_COLUMNS)
    branches: list[Sql] = []
    walked = False
    for branch in sorted(plan.branches, key=lambda b: (b.kind, b.include_subsidiaries)):
        if branch.is_exclusion != exclusion:
            continue
        if _is_walked(branch):
            # One branch serves every walked target kind: target_vendors holds them all.
            if walked:
                continue
            walked = True
        branches.extend(_branch(branch, targets, items, columns, _vendor_items_source(scope)))
    python_hits = [hit for hit in plan.python_hits if hit.is_exclusion == exclusion]
    if python_hits:
        rows = dialect.json_rows(
            [(hit.advisory_id, hit.item_id, hit.target_id, hit.reason) for hit in python_hits],
            [
                ("advisory_id", "bigint"),
                ("item_id", "bigint"),
                ("target_id", "bigint"),
                ("reason", "text"),
            ],
        )
        branches.append(
            compose(
                "SELECT ph.advisory_id, i.id, ph.target_id, ph.reason{columns}"
                " FROM ({rows}) ph JOIN orgs_inventoryitem i ON i.id = ph.item_id",
                columns=columns,
                rows=rows,
            )
        )
    if not branches:
        typed = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in ITEM_COLUMNS)
        return compose(_NO_HITS, columns="" if exclusion else f", {typed}")
    return Sql.join(" UNION ALL ", branches)


_SELECT_ALL_VERSIONS = f"SELECT t.advisory_id, i.id, t.id, {CAVEAT_SQL}{{columns}}"
# A ranged target reaches an item once per interval: a versioned item inside it is confirmed
# (unless the target has a caveat); an item without a usable version is possible, unless the
# interval holds every version (normalized ranges make "all versions" their one interval). A
# range that holds nothing (no interval) thus matches nothing, even an unversioned item. A kind
# may add a reason of its own to be only possible (a CPE target naming a part the item does
# not say).
_SELECT_RANGED = (
    "SELECT t.advisory_id, i.id, t.id, CASE WHEN NOT {confirmed}"
    f" THEN {_VERSION_UNKNOWN_SQL} WHEN {{undecided}} THEN {_ATTRIBUTE_UNKNOWN_SQL}"
    f" ELSE {CAVEAT_SQL} END{{columns}}"
)
_RANGED_CONFIRMED = "(i.version_key IS NOT NULL OR (ti.lower IS NULL AND ti.upper IS NULL))"
_BRANCH = (
    "{select} {target_from} {joins} WHERE t.kind = {kind} AND {condition} AND {targets} AND {items}"
)
_WITHIN_INTERVAL_OR_UNVERSIONED = (
    "(i.version_key IS NULL"
    " OR (i.version_key >= COALESCE(ti.lower, '') AND i.version_key <= COALESCE(ti.upper, '~')"
    " AND (ti.lower IS NULL OR i.version_key > ti.lower OR ti.lower_inclusive)"
    " AND (ti.upper IS NULL OR i.version_key < ti.upper OR ti.upper_inclusive)))"
)


def _branch(branch: Branch, targets: Sql, items: Sql, columns: str, source: str) -> list[Sql]:
    def select(select: str, joins: str, condition: str) -> Sql:
        return compose(
            _BRANCH,
            select=select.replace("{columns}", columns),
            target_from=_TARGET_FROM,
            joins=joins,
            kind=literal(branch.kind),
            condition=condition,
            targets=targets,
            items=items,
        )

    if branch.kind == "product":
        return [
            select(
                _SELECT_ALL_VERSIONS,
                "JOIN orgs_inventoryitem i ON i.product_id = t.product_id",
                "1 = 1",
            )
        ]
    if branch.kind in _RANGED:
        return [
            select(
                _SELECT_RANGED.replace("{confirmed}", _RANGED_CONFIRMED).replace(
                    "{undecided}", "1 = 0" if undecided is None else undecided
                ),
                "JOIN advisories_targetinterval ti ON ti.target_id = t.id " + join,
                f"{condition} AND {_WITHIN_INTERVAL_OR_UNVERSIONED}",
            )
            for join, condition, undecided in _RANGED[branch.kind]
        ]
    if branch.kind == "vendor" and not branch.include_subsidiaries:
        return [
            compose(
                _DIRECT_VENDOR,
                columns=columns,
                target_from=_TARGET_FROM,
                to_items=to_items.replace("{vendor}", "t.vendor_id").replace("{source}", source),
                item_condition=item_condition,
                targets=targets,
                items=items,
            )
            for to_items, item_condition in _VENDOR_TO_ITEMS
        ]
    if not _is_walked(branch):
        # A kind the engine does not know must fail the run, never be skipped silently.
        raise ValueError(f"The matching engine has no rule for targets of kind {branch.kind!r}.")
    return [
        compose(
            _WALKED_VENDOR,
            columns=columns,
            to_items=to_items.replace("{vendor}", "tv.vendor_id").replace("{source}", source),
            exclusion=Sql("%s", [branch.is_exclusion]),
            item_condition=item_condition,
            items=items,
        )
        for to_items, item_condition in _VENDOR_TO_ITEMS
    ]


def priority_sql() -> Sql:
    """The flag priority, 0–100, over ``a`` (advisory), ``o`` (organization), ``i`` (item)
    and ``p`` (the item's product, possibly NULL)."""
    severity = " ".join(f"WHEN '{name}' THEN {points}" for name, points in SEVERITY_POINTS.items())
    criticality = " ".join(
        f"WHEN '{name}' THEN {points}" for name, points in CRITICALITY_POINTS.items()
    )
    traits = " + ".join(
        f"CASE WHEN p.{trait} THEN {RISK_TRAIT_POINTS} ELSE 0 END" for trait in RISK_TRAITS
    )
    epss = " ".join(f"WHEN a.epss >= {floor} THEN {points}" for floor, points in EPSS_BANDS)
    sectors, sector_params = json_codes_have_sql("a.audience_sectors", "o.sector")
    tiers, tier_params = json_codes_have_sql("a.audience_tiers", "o.criticality_tier")
    total = Sql(
        f"(CASE a.severity {severity} ELSE 0 END"
        f" + CASE WHEN a.known_exploited THEN {KNOWN_EXPLOITED_POINTS} ELSE 0 END"
        f" + CASE {epss} ELSE 0 END"
        f" + CASE WHEN {sectors} THEN {AUDIENCE_SECTOR_POINTS} ELSE 0 END"
        f" + CASE WHEN {tiers} THEN {AUDIENCE_TIER_POINTS} ELSE 0 END"
        f" + CASE i.criticality {criticality} ELSE 0 END"
        f" + {traits})",
        [*sector_params, *tier_params],
    )
    # The exploitation signals can take the sum past the top of the scale.
    return compose(
        "{least}({max}, {total})", least=dialect.least(), max=str(PRIORITY_MAX), total=total
    )


def sla_days_sql() -> str:
    """The organization's SLA days for the advisory's severity (NULL for severity 'none')."""
    whens = " ".join(f"WHEN '{name}' THEN o.{column}" for name, column in SLA_COLUMNS.items())
    return f"(CASE a.severity {whens} END)"


# The advisory's own action deadline, else the date CISA's KEV catalog sets for one of its CVEs.
DEADLINE_SQL = "COALESCE(a.action_deadline, a.kev_due_date)"


def due_date_sql(
    first_seen_sql: str, *, deadline_sql: str = DEADLINE_SQL, days_sql: str = ""
) -> str:
    """The advisory's deadline (``DEADLINE_SQL``), else the first-seen date plus the SLA
    days."""
    days = days_sql or sla_days_sql()
    return f"COALESCE({deadline_sql}, {dialect.add_days(first_seen_sql, days)})"


# What the flag calls the item, kept after the item is deleted (like InventoryItem.__str__).
LABEL_SQL = (
    "SUBSTR(TRIM(CASE WHEN i.raw_vendor <> '' OR i.raw_product <> ''"
    " THEN TRIM(i.raw_vendor || ' ' || i.raw_product)"
    " WHEN pv.id IS NOT NULL THEN pv.name || ' ' || p.name"
    " WHEN i.cpe <> '' THEN i.cpe ELSE i.purl END || ' ' || i.version), 1, 500)"
)


def confidence_sql(alias: str) -> str:
    """'possible' or 'confirmed', from the ``possible`` column of ``alias`` (a final row)."""
    return f"CASE WHEN {alias}.possible = 1 THEN 'possible' ELSE 'confirmed' END"
