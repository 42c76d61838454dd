"""Each hot list's row builder shows exactly what its serializer shows: the same keys in the
same order (taken from the serializer, so a field added to one and not the other fails here)
and the same values, for rows with NULLs, missing related rows, microseconds, odd text and a
time zone other than UTC."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from advisories.api.serializers import (
    ADVISORY_ROW_COLUMNS,
    AdvisorySerializer,
    advisory_rows,
)
from advisories.models import Advisory, AdvisoryCve, AdvisoryReference, AffectedTarget
from api.renderers import JSONRenderer
from api.rows import RowFormat, row_format
from exposure.api.serializers import FLAG_ROW_COLUMNS, FlagSerializer, flag_row
from exposure.choices import FlagStatus, ResolutionReason
from exposure.models import Flag
from orgs.api.serializers import (
    INVENTORY_ITEM_ROW_COLUMNS,
    InventoryItemSerializer,
    inventory_item_row,
)
from orgs.models import InventoryItem
from tests.api.factories import FlagFactory
from tests.factories import (
    InventoryItemFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

ODD = 'Kühlung "Nord"\\Süd\tline\nbreak \x01 ✓ \u2028 \u2029'
MOMENT = datetime.datetime(2026, 3, 15, 9, 30, 0, 123456, tzinfo=datetime.UTC)


def _request() -> Request:
    return Request(APIRequestFactory().get("/api/v1/", HTTP_HOST="testserver"))


def _as_json(value: object) -> object:
    """What a client reads: the value as the API renders it, with the keys of each object in
    order."""
    return json.loads(JSONRenderer().render(value), object_pairs_hook=list)


def _both(queryset, columns, build, serializer_class, zone="UTC"):
    request = _request()
    with timezone.override(zone):
        rows = build(list(queryset.order_by("pk").values(*columns)), request)
        serialized = serializer_class(
            list(queryset.order_by("pk")), many=True, context={"request": request}
        ).data
    return rows, serialized


@pytest.fixture
def flags(tenants):
    org = tenants.org_a
    FlagFactory(
        item=InventoryItemFactory(organization=org, product=ProductFactory()),
        assignee=tenants.analyst,
        item_label=ODD,
        status_reason=ODD,
        due_date=datetime.date(2026, 4, 1),
        advisory__known_exploited=True,
        advisory__kev_due_date=datetime.date(2026, 3, 31),
        advisory__epss=0.00043,
        advisory__epss_percentile=0.12146,
    )
    FlagFactory(
        item=InventoryItemFactory(organization=org, product=None, raw_product="x"),
        product=None,
        vendor=None,
        status=FlagStatus.RISK_ACCEPTED,
        risk_accepted_until=datetime.date(2027, 1, 1),
        due_date=None,
    )
    gone = FlagFactory(
        item=InventoryItemFactory(organization=org),
        status=FlagStatus.RESOLVED,
        resolution_reason=ResolutionReason.ITEM_REMOVED,
        resolved_at=MOMENT,
    )
    gone.item.delete()
    Flag.objects.update(first_seen_at=MOMENT)
    return Flag.objects.select_related("advisory", "organization", "assignee")


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu"])
def test_a_flag_row_is_the_flag_serializer(flags, zone):
    rows, serialized = _both(
        flags,
        FLAG_ROW_COLUMNS,
        lambda rows, request: [flag_row(r, row_format(request, "api:flag-list")) for r in rows],
        FlagSerializer,
        zone,
    )
    assert len(rows) == 3
    assert [list(row) for row in rows] == [list(FlagSerializer().fields)] * 3
    assert _as_json(rows) == _as_json(serialized)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu"])
def test_an_inventory_item_row_is_the_item_serializer(tenants, zone):
    org = tenants.org_a
    InventoryItemFactory(
        organization=org, product=ProductFactory(name=ODD), notes=ODD, version="1.0 ✓"
    )
    InventoryItemFactory(organization=org, product=None, cpe="", purl="pkg:npm/left-pad@1.0.0")
    items = InventoryItem.objects.select_related("organization", "product__vendor")
    rows, serialized = _both(
        items,
        INVENTORY_ITEM_ROW_COLUMNS,
        lambda rows, request: [
            inventory_item_row(r, row_format(request, "api:inventoryitem-list")) for r in rows
        ],
        InventoryItemSerializer,
        zone,
    )
    assert [list(row) for row in rows] == [list(InventoryItemSerializer().fields)] * 2
    assert _as_json(rows) == _as_json(serialized)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu"])
def test_an_advisory_row_is_the_advisory_serializer(zone):
    vendor = VendorFactory()
    full = PublishedAdvisoryFactory(
        title=ODD,
        cvss_score=Decimal("9.8"),
        action_deadline=datetime.date(2026, 12, 31),
        kev_due_date=datetime.date(2026, 12, 1),
        epss=0.97514,
        epss_percentile=0.99983,
        audience_sectors=["energy", "health"],
        withdrawn_at=None,
    )
    AffectedTarget.objects.create(
        advisory=full, kind="vendor", vendor=vendor, include_subsidiaries=True, note=ODD
    )
    AffectedTarget.objects.create(advisory=full, kind="jurisdiction", country="RU")
    AffectedTarget.objects.create(
        advisory=full,
        kind="product_range",
        product=ProductFactory(),
        version_range="<2",
        is_exclusion=True,
    )
    AdvisoryCve.objects.create(advisory=full, cve_id="CVE-2024-9999")
    AdvisoryCve.objects.create(advisory=full, cve_id="CVE-2021-0001")
    AdvisoryReference.objects.create(advisory=full, url="https://example.org/ä", summary=ODD)
    PublishedAdvisoryFactory(cvss_score=None)  # nothing related at all
    advisories = Advisory.objects.select_related("source").prefetch_related(
        "cves", "references", "targets"
    )
    rows, serialized = _both(
        advisories,
        ADVISORY_ROW_COLUMNS,
        lambda rows, request: advisory_rows(rows, row_format(request, "api:advisory-list")),
        AdvisorySerializer,
        zone,
    )
    shown = [name for name, field in AdvisorySerializer().fields.items() if not field.write_only]
    assert [list(row) for row in rows] == [shown] * 2
    assert [list(t) for t in rows[0]["targets"]] == [
        list(AdvisorySerializer().fields["targets"].child.fields)
    ] * 3
    assert _as_json(rows) == _as_json(serialized)


@pytest.mark.parametrize(
    ("zone", "moment"),
    [
        ("UTC", MOMENT),
        ("Europe/London", MOMENT),  # +00:00 in winter: written Z, as DRF writes it
        ("America/St_Johns", MOMENT.replace(microsecond=0)),  # -02:30 in summer
        # Offsets with seconds (local mean time) ended in 1972; orjson would round them.
        ("Africa/Monrovia", datetime.datetime(1960, 5, 1, 12, 0, 0, 5, tzinfo=datetime.UTC)),
        ("Europe/Amsterdam", datetime.datetime(1930, 1, 1, tzinfo=datetime.UTC)),
    ],
)
def test_a_rendered_row_date_time_is_drfs(zone, moment):
    with timezone.override(zone):
        expected = serializers.DateTimeField().to_representation(moment)
        out = RowFormat(base_url="", zone=timezone.get_current_timezone())
        rendered = JSONRenderer().render({"at": out.date_time(moment)})
    assert rendered == json.dumps({"at": expected}, separators=(",", ":")).encode()


def test_row_urls_follow_a_changed_url_configuration_and_script_prefix(settings):
    # The list's path is reversed once per URL configuration and script prefix, not per
    # request: changing either must still change the rows' URLs.
    from django.urls import set_script_prefix

    request = _request()
    assert row_format(request, "api:flag-list").url(7) == "http://testserver/api/v1/flags/7/"
    settings.ROOT_URLCONF = "tests.api.urls_moved"
    assert row_format(request, "api:flag-list").url(7) == "http://testserver/elsewhere/flags/7/"
    set_script_prefix("/vw/")
    try:
        assert row_format(request, "api:flag-list").url(7) == (
            "http://testserver/vw/elsewhere/flags/7/"
        )
    finally:
        set_script_prefix("/")
