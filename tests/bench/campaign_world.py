"""The campaign benchmark's world: a replacement campaign over 1,000 organizations and
200,000 affected items, in a database of its own (``vendorwatch_bench_campaign``).

It is kept apart from the API benchmark's database (400 organizations, whose pages and
endpoints are measured on that shape): a campaign of this size would change every other
page's figures, and that database is rebuilt when its row counts differ. Built once (under a
minute at full size), reused while its shape (``DATA_VERSION``, the counts) is the same.

Shape: each organization runs ``items / organizations`` items of the warned-against vendor's
products and a tenth as many of another vendor's; a published vendor warning that asks to
replace the vendor (issued 40 days ago, so its first milestone has passed) flags every one of
the former. The campaign is opened through its service a week ago (its services writing "now"
as that day); since then a tenth of the items were replaced (their flags resolved as the
matcher resolves a removed item) and the progress recorded each day, and a quarter of the
organizations attested the first milestone (half of those accepted; the rest are late), so
that the dashboard, the burn-down and a report for a past date read a real history.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any
from unittest import mock

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/vendorwatch_bench_campaign"
ORGANIZATIONS = 1000
ITEMS = 200_000
DATA_VERSION = 2
OPENED_DAYS_AGO = 7
# The warning is older than its first milestone (30 days): organizations that have not had
# their attestation accepted are late, and the dashboard sorts them first.
ISSUED_DAYS_AGO = 40


@dataclass
class CampaignWorld:
    campaign_id: int
    organizations: int
    affected_items: int


def campaign_world_build(*, organizations: int, items: int, rebuild: bool) -> CampaignWorld:
    """Build the campaign's world, or reuse it when it is there at this size."""
    from campaigns.models import Campaign

    present = _data_version() == (DATA_VERSION, organizations, items)
    if rebuild or not present:
        started = time.monotonic()
        print(
            f"Building a campaign over {organizations:,} organizations and {items:,} "
            "affected items …",
            flush=True,
        )
        _truncate()
        advisory_id = _catalogue_build(organizations)
        _items_and_flags_build(advisory_id, organizations, items)
        _campaign_build(advisory_id, organizations)
        _data_version_write(organizations, items)
        print(f"Built in {time.monotonic() - started:.0f} s.", flush=True)
    campaign = Campaign.objects.get()
    return CampaignWorld(
        campaign_id=campaign.pk,
        organizations=campaign.plans.count(),
        affected_items=sum(campaign.plans.values_list("items_at_start", flat=True)),
    )


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'django_migrations'"
        )
        tables = cursor.fetchone()[0]
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _catalogue_build(organizations: int) -> int:
    from django.utils import timezone

    from advisories.choices import (
        AdvisoryKind,
        AdvisoryStatus,
        RecommendedAction,
        Severity,
        TargetKind,
    )
    from advisories.models import Advisory, AffectedTarget, Source
    from orgs.models import Organization
    from vendors.models import Product, Vendor

    warned = Vendor.objects.create(name="Bench Warned Vendor", slug="bench-warned", country="RU")
    other = Vendor.objects.create(name="Bench Other Vendor", slug="bench-other")
    for vendor in (warned, other):
        for n in range(5):
            Product.objects.create(vendor=vendor, name=f"Endpoint {n}", slug=f"endpoint-{n}")
    sectors = ["energy", "health", "finance", "transport", "water", "other"]
    Organization.objects.bulk_create(
        Organization(
            name=f"Bench Operator {n:04d}",
            slug=f"bench-operator-{n:04d}",
            sector=sectors[n % len(sectors)],
        )
        for n in range(organizations)
    )
    source = Source.objects.create(name="Bench Federal Office", slug="bench-federal-office")
    issued = timezone.now() - datetime.timedelta(days=ISSUED_DAYS_AGO)
    advisory = Advisory.objects.create(
        source=source,
        identifier="BENCH-WARNING-2022-0315",
        title="Replace the products of Bench Warned Vendor",
        kind=AdvisoryKind.VENDOR_WARNING,
        severity=Severity.HIGH,
        status=AdvisoryStatus.PUBLISHED,
        recommended_action=RecommendedAction.REPLACE,
        published_at=issued,
        issued_on=issued.date(),
    )
    AffectedTarget.objects.create(advisory=advisory, kind=TargetKind.VENDOR, vendor=warned)
    return int(advisory.pk)


def _items_and_flags_build(advisory_id: int, organizations: int, items: int) -> None:
    """Each organization's items of the warned vendor (flagged) and of the other (not)."""
    from django.db import connection

    from exposure.models import Flag
    from orgs.models import InventoryItem
    from tests.bench.bench_api import _insert_select
    from vendors.matching.versions import version_key

    per_organization = items // organizations
    others = max(per_organization // 10, 1)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_campaign_product")
        cursor.execute(
            "CREATE TEMP TABLE bench_campaign_product AS SELECT row_number() OVER "
            "(PARTITION BY v.slug ORDER BY p.id) - 1 AS n, v.slug AS vendor_slug, p.id, "
            "p.vendor_id, v.name AS vendor_name, p.name AS product_name, "
            "v.normalized_name AS vendor_norm, p.normalized_name AS product_norm "
            "FROM vendors_product p JOIN vendors_vendor v ON v.id = p.vendor_id"
        )
        cursor.execute("SELECT min(id) FROM orgs_organization")
        first_org = cursor.fetchone()[0]
    for vendor_slug, count in (("bench-warned", per_organization), ("bench-other", others)):
        _insert_select(
            InventoryItem,
            f"generate_series(0, {organizations * count - 1}) AS i "
            f"JOIN bench_campaign_product p ON p.vendor_slug = '{vendor_slug}' "
            "AND p.n = mod(i, 5)",
            {
                "organization_id": f"{first_org} + i / {count}",
                "product_id": "p.id",
                "raw_vendor": "p.vendor_name",
                "raw_product": "p.product_name",
                "normalized_vendor": "p.vendor_norm",
                "normalized_product": "p.product_norm",
                "version": "'21.3'",
                "version_key": f"'{version_key('21.3')}'",
                "quantity": "1",
                "environment": "'production'",
                "criticality": "(ARRAY['critical', 'high', 'medium', 'low'])[1 + mod(i, 4)]",
                "source": "'csv'",
                "external_ref": f"'{vendor_slug}-' || i",
                "hostname": "'host-' || i",
                "site": "'Site ' || mod(i, 7)",
            },
        )
    _insert_select(
        Flag,
        "orgs_inventoryitem it JOIN vendors_product p ON p.id = it.product_id "
        "JOIN advisories_affectedtarget t ON t.vendor_id = p.vendor_id",
        {
            "advisory_id": "t.advisory_id",
            "matched_target_id": "t.id",
            "item_id": "it.id",
            "organization_id": "it.organization_id",
            "product_id": "it.product_id",
            "vendor_id": "p.vendor_id",
            "item_label": "it.raw_vendor || ' ' || it.raw_product || ' ' || it.version",
            "status": "'open'",
            "priority": "mod(it.id * 37, 101)",
            "first_seen_at": f"now() - interval '{OPENED_DAYS_AGO + 1} days'",
        },
    )


def _as_of(moment: datetime.datetime) -> Any:
    """Services write "now" as ``moment``: the history of a campaign opened days ago."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _campaign_build(advisory_id: int, organizations: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from advisories.models import Advisory
    from campaigns.attestations import attestation_review, attestation_submit
    from campaigns.services import campaign_open, campaign_progress_record
    from exposure.choices import ResolutionReason
    from orgs.choices import Role
    from orgs.models import Membership, User

    now = timezone.now()
    opened = now - datetime.timedelta(days=OPENED_DAYS_AGO)
    analyst = User.objects.create(username="bench-campaign-analyst", is_global_analyst=True)
    with _as_of(opened):
        campaign = campaign_open(advisory=Advisory.objects.get(pk=advisory_id), user=analyst)
    # Replacements over the week, as imports resolve the flags of removed items.
    for day in range(OPENED_DAYS_AGO - 1, 0, -1):
        at = now - datetime.timedelta(days=day)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE exposure_flag SET status = 'resolved', resolution_reason = %s, "
                "resolved_at = %s WHERE advisory_id = %s AND status = 'open' "
                "AND mod(item_id, 60) = %s",
                [ResolutionReason.ITEM_REMOVED, at, advisory_id, day],
            )
        campaign_progress_record(campaign=campaign, now=at)
    # A quarter of the organizations attest "identify"; the analyst accepts every other one.
    identify = campaign.milestones.order_by("position").first()
    assert identify is not None
    admin = User.objects.create(username="bench-campaign-admin")
    plans = campaign.plans.select_related("organization").order_by("organization_id")
    with _as_of(opened + datetime.timedelta(days=2)):
        for n, plan in enumerate(plans[: organizations // 4]):
            Membership.objects.create(user=admin, organization=plan.organization, role=Role.ADMIN)
            attestation = attestation_submit(
                plan=plan, milestone=identify, user=admin, statement=f"Found them all ({n})."
            )
            if n % 2 == 0:
                attestation_review(attestation=attestation, user=analyst, accept=True)


def _data_version() -> tuple[int, int, int] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_campaign_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT data_version, organizations, items FROM bench_campaign_meta")
        row: Any = cursor.fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]


def _data_version_write(organizations: int, items: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_campaign_meta "
            "(data_version int, organizations int, items int)"
        )
        cursor.execute("DELETE FROM bench_campaign_meta")
        cursor.execute(
            "INSERT INTO bench_campaign_meta VALUES (%s, %s, %s)",
            [DATA_VERSION, organizations, items],
        )
    with connection.cursor() as cursor:
        # Freshly inserted tables have no visibility map; a live database has been vacuumed.
        cursor.execute("VACUUM (ANALYZE)")
