"""The set-based matching engine: advisories' targets turned into SQL over inventory items.

A *run* covers a :class:`~exposure.engine.scope.Scope` — some advisories against some items —
and makes the flags inside it exactly what the advisories match, in a fixed number of
statements whatever the number of items (``engine.apply``). Re-running it changes nothing.

What matches (``engine.statements``; ``engine.targets`` for the shapes SQL cannot decide):

* **vendor** — items of the vendor's products; with ``include_subsidiaries``, of every
  company below it in the ownership chain too. Items no product was resolved for still match
  when their vendor name (or an alias) or their CPE vendor is the vendor's;
* **jurisdiction** — the same, for every vendor headquartered in the country or owned, at
  any depth, by a company that is;
* **product** — the product's items, any version;
* **product + range**, **CPE**, **purl** — the product's (CPE vendor:product's, purl
  type/namespace/name's, via the item's own identifier or its catalogue product's) items
  whose version key lies in one of the target's compiled intervals. An item with no usable
  version matches a range that is not "all versions" only as ``possible``. A CPE target's
  part (application, operating system, hardware) must fit the item's — its own CPE name's,
  else its product's — as NISTIR 7696 compares them; an unknown part is only ``possible``;
* **exclusions** win over inclusions; an exclusion that cannot be decided for an item (no
  version) leaves its match ``possible``;
* targets marked ``needs_review`` match nothing; only published advisories flag (previews
  of drafts use ``include_unpublished``).

Priority, 0–100, computed in the statement (``statements.priority_sql``)::

    severity              critical 45, high 35, medium 22, low 10, none 0
  + known exploited       5 (marked by hand, or one of its CVEs is in CISA's KEV catalog)
  + EPSS                  10 when its highest EPSS score is at least 0.5, 5 when at least 0.1
  + audience sector       10 when the organization's sector is in the advisory's sectors
  + audience tier         10 when its criticality tier is in the advisory's tiers
  + item criticality      critical 15, high 10, medium 5, low 0
  + product risk traits   5 each: deep system access, permanent cloud connection,
                          vendor-pushed updates (0 for an unresolved item)

so a critical, exploited advisory aimed at the organization, on a critical item of a product
with all three traits, scores exactly 100 without EPSS; the sum is capped at 100. The due date
is the advisory's action deadline, else the KEV due date of its CVEs, else the date the flag
was first seen plus the organization's SLA days for the severity (no due date for severity
"none").
"""

from exposure.engine.apply import (
    MatchCounts,
    PreviewRow,
    count_hits,
    match_scope,
    preview_scope,
    statistics_after_run,
)
from exposure.engine.locks import MatchingBusy, matching_locks, matching_transaction
from exposure.engine.scope import Scope

__all__ = [
    "MatchCounts",
    "MatchingBusy",
    "PreviewRow",
    "Scope",
    "count_hits",
    "match_scope",
    "matching_locks",
    "matching_transaction",
    "preview_scope",
    "statistics_after_run",
]
