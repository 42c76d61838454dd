"""Turn the demo data into rows, idempotently.

Every object is looked up by its natural key (a slug, a source and identifier, a username, an
organization and external reference). What is missing is created; what exists is left exactly
as it is, because someone may have edited it while exploring the demo, and a re-run must not
undo that or touch ``updated_at``. Everything happens in one transaction, so a failed run
leaves nothing half-loaded; the matcher's after-commit work therefore sees the whole world.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from advisories.choices import ReferenceCategory
from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AffectedTarget,
    Source,
)
from advisories.services import advisory_publish, advisory_revision_add, target_compile
from demo.advisories import ADVISORIES, SOURCES
from demo.catalogue import PRODUCTS, VENDORS
from demo.organizations import LOGINS, OFFERINGS, ORGANIZATIONS
from demo.specs import AdvisorySpec, OrganizationSpec, TargetSpec
from orgs.choices import ItemSource
from orgs.models import InventoryItem, Membership, Organization, User
from vendors.match_requests import MATCH_ORGANIZATION, matching_request_on_commit
from vendors.matching.names import normalize_name
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

ITEM_BATCH_SIZE = 500
# Apps whose models the advisory editor curates in the Django admin.
EDITOR_APPS = ("vendors", "advisories")

# Created-object counters, in the order the summary prints them.
COUNTED = (
    "vendors",
    "vendor aliases",
    "products",
    "product aliases",
    "sources",
    "users",
    "organizations",
    "memberships",
    "inventory items",
    "advisories",
    "targets",
    "advisories published",
)


def _vendor_key(name: str) -> str:
    """A vendor or vendor-alias name as ``Vendor.save`` and ``VendorAlias.save`` store it."""
    return normalize_name(name)


def _product_key(name: str) -> str:
    """A product or product-alias name as ``Product.save`` and ``ProductAlias.save`` store it."""
    return normalize_name(name, legal_forms=False)


@dataclass(frozen=True)
class DemoResult:
    """What one run created; all zero when the demo was already loaded."""

    created: Counter[str]

    @property
    def nothing_created(self) -> bool:
        return not any(self.created.values())


def demo_load() -> DemoResult:
    """Create whatever part of the demo world is missing, in one transaction."""
    created: Counter[str] = Counter()
    with transaction.atomic():
        vendors = _vendors_ensure(created)
        products = _products_ensure(vendors, created)
        sources = _sources_ensure(created)
        users = _users_ensure(created)
        organizations = _organizations_ensure(created)
        _memberships_ensure(users, organizations, created)
        resolver = _CatalogueResolver.load()
        for spec in ORGANIZATIONS:
            _inventory_ensure(organizations[spec.slug], spec, resolver, created)
        # Advisories last: publishing hands them to the matcher, which should find the
        # inventories of this same run once the transaction commits.
        for advisory_spec in ADVISORIES:
            _advisory_ensure(
                advisory_spec, sources, vendors, products, users.get("editor"), created
            )
    return DemoResult(created=created)


# --- Catalogue ---------------------------------------------------------------------------------


def _vendors_ensure(created: Counter[str]) -> dict[str, Vendor]:
    """Vendors by demo slug; a vendor someone already entered under the same name is reused."""
    by_slug = {v.slug: v for v in Vendor.objects.filter(slug__in=[s.slug for s in VENDORS])}
    by_name = {
        v.normalized_name: v
        for v in Vendor.objects.filter(normalized_name__in=[_vendor_key(s.name) for s in VENDORS])
    }
    vendors: dict[str, Vendor] = {}
    # Parents come before their subsidiaries in VENDORS, so a parent is always known here.
    for spec in VENDORS:
        vendor = by_slug.get(spec.slug) or by_name.get(_vendor_key(spec.name))
        if vendor is None:
            vendor = Vendor(
                name=spec.name,
                slug=spec.slug,
                country=spec.country,
                parent=vendors[spec.parent] if spec.parent else None,
                cpe_vendor=spec.cpe_vendor,
                website=spec.website,
                description=spec.description,
            )
            vendor.save()
            created["vendors"] += 1
        vendors[spec.slug] = vendor

    # Alias names are unique across all vendors: one that exists already, whoever it points
    # to, is left alone.
    taken = set(VendorAlias.objects.values_list("normalized_name", flat=True))
    for spec in VENDORS:
        for alias in spec.aliases:
            key = _vendor_key(alias)
            if key not in taken:
                VendorAlias(vendor=vendors[spec.slug], name=alias).save()
                taken.add(key)
                created["vendor aliases"] += 1
    return vendors


def _products_ensure(vendors: dict[str, Vendor], created: Counter[str]) -> dict[str, Product]:
    """Products keyed ``"<vendor slug>/<product slug>"``."""
    existing = Product.objects.filter(vendor__in=[v.pk for v in vendors.values()])
    by_slug = {(p.vendor_id, p.slug): p for p in existing}
    by_name = {(p.vendor_id, p.normalized_name): p for p in existing}
    products: dict[str, Product] = {}
    for spec in PRODUCTS:
        vendor = vendors[spec.vendor]
        product = by_slug.get((vendor.pk, spec.slug)) or by_name.get(
            (vendor.pk, _product_key(spec.name))
        )
        if product is None:
            product = Product(
                vendor=vendor,
                name=spec.name,
                slug=spec.slug,
                category=spec.category,
                cpe_vendor=spec.cpe_vendor,
                cpe_product=spec.cpe_product,
                purl_type=spec.purl_type,
                purl_namespace=spec.purl_namespace,
                purl_name=spec.purl_name,
                deep_system_access=spec.deep_system_access,
                permanent_cloud_connection=spec.permanent_cloud_connection,
                vendor_pushed_updates=spec.vendor_pushed_updates,
                description=spec.description,
            )
            product.save()
            created["products"] += 1
        products[f"{spec.vendor}/{spec.slug}"] = product

    taken = set(
        ProductAlias.objects.filter(product__in=[p.pk for p in products.values()]).values_list(
            "product_id", "normalized_name"
        )
    )
    for spec in PRODUCTS:
        product = products[f"{spec.vendor}/{spec.slug}"]
        for alias in spec.aliases:
            key = (product.pk, _product_key(alias))
            if key not in taken:
                ProductAlias(product=product, name=alias).save()
                taken.add(key)
                created["product aliases"] += 1
    return products


# --- Sources, users, organizations ---------------------------------------------------------------


def _sources_ensure(created: Counter[str]) -> dict[str, Source]:
    by_slug = {s.slug: s for s in Source.objects.filter(slug__in=[s.slug for s in SOURCES])}
    by_name = {s.name: s for s in Source.objects.filter(name__in=[s.name for s in SOURCES])}
    sources: dict[str, Source] = {}
    for spec in SOURCES:
        source = by_slug.get(spec.slug) or by_name.get(spec.name)
        if source is None:
            source = Source.objects.create(
                slug=spec.slug,
                name=spec.name,
                kind=spec.kind,
                country=spec.country,
                website=spec.website,
                description=spec.description,
            )
            created["sources"] += 1
        sources[spec.slug] = source
    return sources


def _users_ensure(created: Counter[str]) -> dict[str, User]:
    """The demo logins. Passwords are set only on creation, so a changed one stays changed."""
    existing = {
        u.username: u for u in User.objects.filter(username__in=[s.username for s in LOGINS])
    }
    editor_permissions = list(Permission.objects.filter(content_type__app_label__in=EDITOR_APPS))
    users: dict[str, User] = {}
    for spec in LOGINS:
        user = existing.get(spec.username)
        if user is None:
            user = User(
                username=spec.username,
                email=f"{spec.username}@demo.vendorwatch.example",
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_superuser=spec.is_superuser,
                is_staff=spec.is_staff,
                is_advisory_editor=spec.is_advisory_editor,
                is_global_analyst=spec.is_global_analyst,
            )
            user.set_password(spec.password)
            user.save()
            # is_staff alone opens an empty admin: Django's admin asks for model permissions,
            # and nothing maps the editor role onto them.
            if spec.is_advisory_editor and not spec.is_superuser:
                user.user_permissions.add(*editor_permissions)
            created["users"] += 1
        users[spec.username] = user
    return users


def _organizations_ensure(created: Counter[str]) -> dict[str, Organization]:
    specs = ORGANIZATIONS
    by_slug = {o.slug: o for o in Organization.objects.filter(slug__in=[s.slug for s in specs])}
    by_name = {o.name: o for o in Organization.objects.filter(name__in=[s.name for s in specs])}
    organizations: dict[str, Organization] = {}
    for spec in specs:
        organization = by_slug.get(spec.slug) or by_name.get(spec.name)
        if organization is None:
            organization = Organization.objects.create(
                slug=spec.slug,
                name=spec.name,
                sector=spec.sector,
                country=spec.country,
                criticality_tier=spec.criticality_tier,
                description=spec.description,
            )
            created["organizations"] += 1
        organizations[spec.slug] = organization
    return organizations


def _memberships_ensure(
    users: dict[str, User], organizations: dict[str, Organization], created: Counter[str]
) -> None:
    existing = set(
        Membership.objects.filter(user__in=[u.pk for u in users.values()]).values_list(
            "user_id", "organization_id"
        )
    )
    for spec in LOGINS:
        user = users[spec.username]
        for org_slug, role in spec.memberships:
            organization = organizations[org_slug]
            if (user.pk, organization.pk) not in existing:
                Membership.objects.create(user=user, organization=organization, role=role)
                created["memberships"] += 1


# --- Inventory ---------------------------------------------------------------------------------


class _CatalogueResolver:
    """Find the catalogue product an inventory row's names point to, or nothing.

    Deliberately small and private to the demo: exact normalized names and aliases, and a
    purl's type/namespace/name. The real resolution service belongs to the inventory code;
    this only has to decide the demo's rows the way that service would for exact matches.
    It compares the keys the models derive themselves (``normalized_name`` on the catalogue,
    ``refresh_derived_fields`` on the item), so it cannot drift from their normalization.
    """

    def __init__(self) -> None:
        self.vendor_ids: dict[str, int] = {}
        self.products: dict[tuple[int, str], int] = {}
        # A bare product name (no vendor given) resolves only when exactly one product has it.
        self.bare_products: dict[str, int | None] = {}
        self.purls: dict[tuple[str, str, str], int] = {}

    @classmethod
    def load(cls) -> _CatalogueResolver:
        resolver = cls()
        for vendor_id, name in Vendor.objects.values_list("pk", "normalized_name"):
            resolver.vendor_ids[name] = vendor_id
        for vendor_id, name in VendorAlias.objects.values_list("vendor_id", "normalized_name"):
            resolver.vendor_ids.setdefault(name, vendor_id)
        names = list(Product.objects.values_list("pk", "vendor_id", "normalized_name"))
        names += ProductAlias.objects.values_list(
            "product_id", "product__vendor_id", "normalized_name"
        )
        for product_id, vendor_id, name in names:
            resolver.products.setdefault((vendor_id, name), product_id)
            if resolver.bare_products.setdefault(name, product_id) != product_id:
                resolver.bare_products[name] = None
        purls = Product.objects.exclude(purl_name="").values_list(
            "pk", "purl_type", "purl_namespace", "purl_name"
        )
        for product_id, purl_type, namespace, name in purls:
            resolver.purls[(purl_type, namespace, name)] = product_id
        return resolver

    def resolve(self, item: InventoryItem) -> int | None:
        """The id of the product ``item`` denotes, or ``None`` to leave it unresolved.

        ``item`` must have its derived fields computed.
        """
        if item.purl_name:
            identity = (item.purl_type, item.purl_namespace, item.purl_name)
            if identity in self.purls:
                return self.purls[identity]
        if not item.normalized_vendor:
            return self.bare_products.get(item.normalized_product)
        vendor_id = self.vendor_ids.get(item.normalized_vendor)
        if vendor_id is None:
            return None
        return self.products.get((vendor_id, item.normalized_product))


def organization_items(spec: OrganizationSpec) -> list[InventoryItem]:
    """The organization's demo inventory, unsaved and unresolved; the same on every call.

    A ``random.Random`` seeded with the organization's slug makes the mix look organic while
    staying reproducible; the stable ``external_ref`` is what makes re-runs idempotent.
    """
    rng = random.Random(f"vendorwatch-demo/{spec.slug}")  # noqa: S311 - demo data, not secrets
    picks: list[tuple[str, str | None]] = [(key, version) for key, version in spec.fixed]
    keys = [key for key, _ in spec.pools]
    weights = [weight for _, weight in spec.pools]
    picks += [(key, None) for key in rng.choices(keys, weights, k=spec.item_count - len(picks))]
    items = []
    for index, (key, fixed_version) in enumerate(picks, start=1):
        offering = OFFERINGS[key]
        version = rng.choice(offering.versions) if fixed_version is None else fixed_version
        items.append(
            InventoryItem(
                raw_vendor=rng.choice(offering.vendor_names),
                raw_product=rng.choice(offering.product_names),
                version=version,
                cpe=offering.cpe.format(version=version) if offering.cpe and version else "",
                purl=f"{offering.purl}@{version}" if offering.purl and version else "",
                quantity=rng.randint(*offering.quantity),
                environment=rng.choice(offering.environments),
                criticality=rng.choice(offering.criticalities),
                source=ItemSource.DEMO,
                external_ref=f"demo-{spec.slug}-{index:04d}",
                # Where it runs, so that installs of one product read apart on the flag list.
                site=rng.choice(spec.sites),
                hostname=f"{spec.slug.split('-')[0][:8]}-{key[:10]}-{index:03d}",
            )
        )
    return items


def _inventory_ensure(
    organization: Organization,
    spec: OrganizationSpec,
    resolver: _CatalogueResolver,
    created: Counter[str],
) -> None:
    present = set(
        InventoryItem.objects.filter(
            organization=organization, external_ref__startswith=f"demo-{spec.slug}-"
        ).values_list("external_ref", flat=True)
    )
    missing = [item for item in organization_items(spec) if item.external_ref not in present]
    now = timezone.now()
    for item in missing:
        item.organization = organization
        # New inventory needs matching against whatever is published; the marker is the
        # durable request, cleared by the organization's match requested below.
        item.match_requested_at = now
        # bulk_create skips save(), which is where the derived keys are normally computed.
        item.refresh_derived_fields()
        item.product_id = resolver.resolve(item)
    InventoryItem.objects.bulk_create(missing, batch_size=ITEM_BATCH_SIZE)
    created["inventory items"] += len(missing)
    if missing:
        # After commit: eagerly in the quick-start (so `make run` shows flags at once), by a
        # worker when a broker is configured.
        matching_request_on_commit(MATCH_ORGANIZATION, organization.pk)


# --- Advisories --------------------------------------------------------------------------------


def _advisory_ensure(
    spec: AdvisorySpec,
    sources: dict[str, Source],
    vendors: dict[str, Vendor],
    products: dict[str, Product],
    editor: User | None,
    created: Counter[str],
) -> None:
    """Create the advisory with its CVEs, references and compiled targets; publish it if the
    spec says so. An advisory that exists is not touched, whatever its status."""
    source = sources[spec.source]
    if Advisory.objects.filter(source=source, identifier=spec.identifier).exists():
        return
    advisory = Advisory.objects.create(
        source=source,
        identifier=spec.identifier,
        title=spec.title,
        summary=spec.summary,
        kind=spec.kind,
        severity=spec.severity,
        cvss_score=spec.cvss_score,
        cvss_vector=spec.cvss_vector,
        recommended_action=spec.recommended_action,
        action_details=spec.action_details,
        action_deadline=spec.action_deadline,
        audience_sectors=list(spec.audience_sectors),
        audience_tiers=list(spec.audience_tiers),
        known_exploited=spec.known_exploited,
        issued_on=spec.issued_on,
        created_by=editor,
    )
    created["advisories"] += 1
    AdvisoryCve.objects.bulk_create(AdvisoryCve(advisory=advisory, cve_id=cve) for cve in spec.cves)
    AdvisoryReference.objects.bulk_create(
        AdvisoryReference(
            advisory=advisory,
            url=reference.url,
            summary=reference.summary,
            category=ReferenceCategory.SELF if reference.is_self else ReferenceCategory.EXTERNAL,
        )
        for reference in spec.references
    )
    for target_spec in spec.targets:
        target_compile(target=_target_build(advisory, target_spec, vendors, products))
        created["targets"] += 1
    advisory_revision_add(advisory=advisory, summary="Entered from the demo data.", user=editor)
    if spec.publish:
        advisory_publish(advisory=advisory, user=None)
        created["advisories published"] += 1


def _target_build(
    advisory: Advisory,
    spec: TargetSpec,
    vendors: dict[str, Vendor],
    products: dict[str, Product],
) -> AffectedTarget:
    return AffectedTarget(
        advisory=advisory,
        kind=spec.kind,
        is_exclusion=spec.is_exclusion,
        vendor=vendors[spec.vendor] if spec.vendor else None,
        include_subsidiaries=spec.include_subsidiaries,
        product=products[spec.product] if spec.product else None,
        version_range=spec.version_range,
        cpe=spec.cpe,
        version_start_including=spec.version_start_including,
        version_start_excluding=spec.version_start_excluding,
        version_end_including=spec.version_end_including,
        version_end_excluding=spec.version_end_excluding,
        purl=spec.purl,
        country=spec.country,
        note=spec.note,
    )
