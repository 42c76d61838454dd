"""The shapes the demo data is written in.

The data modules describe the demo world as plain, frozen values; the builder turns them into
rows. Keeping the two apart means the facts can be read (and reviewed) without reading any
ORM code, and the builder can be tested against the data rather than against literals.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class VendorSpec:
    """A company in the catalogue; ``parent`` is the slug of the company that owns it."""

    slug: str
    name: str
    country: str
    cpe_vendor: str = ""
    parent: str = ""
    website: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class ProductSpec:
    """A product of the vendor with slug ``vendor``."""

    vendor: str
    slug: str
    name: str
    category: str
    cpe_vendor: str = ""
    cpe_product: str = ""
    purl_type: str = ""
    purl_namespace: str = ""
    purl_name: str = ""
    deep_system_access: bool = False
    permanent_cloud_connection: bool = False
    vendor_pushed_updates: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """Someone who publishes advisories."""

    slug: str
    name: str
    kind: str
    country: str = ""
    website: str = ""
    description: str = ""


@dataclass(frozen=True)
class TargetSpec:
    """One rule of what an advisory covers; vendors and products are named by slug.

    ``product`` is ``"<vendor slug>/<product slug>"`` because product slugs are unique only
    per vendor.
    """

    kind: str
    vendor: str = ""
    product: str = ""
    include_subsidiaries: bool = False
    is_exclusion: bool = False
    version_range: str = ""
    cpe: str = ""
    version_start_including: str = ""
    version_start_excluding: str = ""
    version_end_including: str = ""
    version_end_excluding: str = ""
    purl: str = ""
    country: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReferenceSpec:
    url: str
    summary: str
    is_self: bool = False


@dataclass(frozen=True)
class AdvisorySpec:
    """An advisory as its source issued it, summarised in our own words."""

    source: str
    identifier: str
    title: str
    summary: str
    kind: str
    severity: str
    issued_on: datetime.date | None
    recommended_action: str
    targets: tuple[TargetSpec, ...]
    references: tuple[ReferenceSpec, ...] = ()
    action_details: str = ""
    action_deadline: datetime.date | None = None
    audience_sectors: tuple[str, ...] = ()
    audience_tiers: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()
    cvss_score: Decimal | None = None
    cvss_vector: str = ""
    known_exploited: bool = False
    publish: bool = True


@dataclass(frozen=True)
class OrganizationSpec:
    """A demo tenant and the recipe its inventory is generated from.

    ``fixed`` items are always present (they carry the stories the demo tells: Kaspersky still
    installed, a vulnerable log4j, a camera system on the covered list); ``pools`` are drawn
    from, by weight, until the organization has ``item_count`` items.
    """

    slug: str
    name: str
    sector: str
    country: str
    criticality_tier: str
    item_count: int
    sites: tuple[str, ...]
    pools: tuple[tuple[str, int], ...]
    fixed: tuple[tuple[str, str], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Offering:
    """How something appears in inventories: the names people enter for it, and its versions.

    Each generated item picks one of the spellings in ``vendor_names`` and ``product_names``.
    ``cpe`` is a template with ``{version}`` and ``purl`` a package URL without a version; both
    are filled in only for items that have a version. An empty string among ``versions``
    produces items with no version, as real inventories have. ``quantity`` is the inclusive
    range of how many units one item row stands for.
    """

    vendor_names: tuple[str, ...]
    product_names: tuple[str, ...]
    versions: tuple[str, ...]
    cpe: str = ""
    purl: str = ""
    quantity: tuple[int, int] = (1, 1)
    environments: tuple[str, ...] = ("production",)
    criticalities: tuple[str, ...] = ("medium",)


@dataclass(frozen=True)
class LoginSpec:
    """A demo account: who it is, its fixed password, and what the role may do."""

    username: str
    password: str
    can: str
    first_name: str = ""
    last_name: str = ""
    is_superuser: bool = False
    is_staff: bool = False
    is_advisory_editor: bool = False
    is_global_analyst: bool = False
    memberships: tuple[tuple[str, str], ...] = field(default=())
