"""Advisories as PostgreSQL renders them (``config/api_json.py``) say exactly what DRF says.

The detail is read three ways and compared: rendered by the database (the plain request), built
by our serializers in Python (asked for with ``indent``, which only the Python path honours) and
by DRF's own serializer code. The advisories hold what a renderer could get wrong: targets of
several kinds in an order other than their ids', a country, CVE ids and references written out
of order, decimals, JSON lists, NULLs, date-times with and without microseconds, and odd text;
and a second advisory with targets of its own, which must not leak into the first one's. The
advisory list is rendered the same way, page by page.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import BasePermission

from advisories.api.serializers import (
    AdvisoryDetailSerializer,
    AdvisorySerializer,
    AffectedTargetSerializer,
)
from advisories.api.views import AdvisoryViewSet
from advisories.choices import AdvisoryStatus, TargetKind
from advisories.models import Advisory, AdvisoryCve, AdvisoryReference, AffectedTarget
from api.serializers import FastRepresentationMixin, StrictModelSerializer
from config.api_json import json_plan, related_rows
from config.api_values import _Bound, _rendering
from tests.api.factories import FlagFactory
from tests.api.test_json_lists import ODD_TEXT, _statement
from tests.api.test_json_lists import _three_ways as _three_list_ways
from tests.api.test_representation import _drf_representation
from tests.factories import (
    AdvisoryFactory,
    AffectedTargetFactory,
    InventoryItemFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

INDENTED = "application/json; indent=2"


def _url(advisory):
    return f"/api/v1/advisories/{advisory.pk}/"


def _three_ways(client, url, monkeypatch):
    """The body as the database renders it, as our serializers build it, and as DRF does."""
    with CaptureQueriesContext(connection) as queries:
        database = client.get(url)
    assert database.status_code == 200, database.content
    statements = [_statement(query) for query in queries]
    assert any("row_to_json" in sql for sql in statements), "not rendered by PostgreSQL"
    assert not any(sql.startswith('SELECT "advisories_affectedtarget"') for sql in statements), (
        "targets read by the ORM as well"
    )
    python = client.get(url, HTTP_ACCEPT=INDENTED)
    assert python.status_code == 200
    assert b"\n  " in python.content, "the Python path would have indented"
    with monkeypatch.context() as patched:
        patched.setattr(FastRepresentationMixin, "to_representation", _drf_representation)
        drf = client.get(url, HTTP_ACCEPT=INDENTED)
    assert drf.status_code == 200
    return json.loads(database.content), python.json(), drf.json()


@pytest.fixture
def advisory(tenants):
    exact = timezone.now().replace(microsecond=0)
    advisory = PublishedAdvisoryFactory(
        title=ODD_TEXT,
        summary="",
        cvss_score=Decimal("10.0"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        action_deadline=datetime.date(2026, 12, 31),
        issued_on=datetime.date(2026, 11, 2),
        audience_sectors=["energy", "health"],
        audience_tiers=["critical_infrastructure"],
        known_exploited=True,
        published_at=exact,
    )
    vendor = VendorFactory()
    product = ProductFactory(vendor=vendor)
    # An exclusion written first: the targets come inclusions first, then by id.
    AffectedTargetFactory(
        advisory=advisory,
        kind=TargetKind.PRODUCT_RANGE,
        vendor=None,
        product=product,
        version_range="vers:generic/>=1.0|<2.0",
        is_exclusion=True,
        note=ODD_TEXT,
    )
    AffectedTargetFactory(advisory=advisory, vendor=vendor, include_subsidiaries=True)
    AffectedTargetFactory(
        advisory=advisory, kind=TargetKind.JURISDICTION, vendor=None, country="RU"
    )
    for cve in ("CVE-2024-3400", "CVE-2021-44228", "CVE-2023-4966"):
        AdvisoryCve.objects.create(advisory=advisory, cve_id=cve)
    AdvisoryReference.objects.create(
        advisory=advisory, url="https://example.org/b?x=1&y=ü", summary=ODD_TEXT
    )
    AdvisoryReference.objects.create(advisory=advisory, url="https://example.org/a")
    # Another advisory with targets, CVE ids and references of its own.
    other = PublishedAdvisoryFactory(cvss_score=Decimal("7.5"))
    AffectedTargetFactory(advisory=other)
    AdvisoryCve.objects.create(advisory=other, cve_id="CVE-2020-0001")
    AdvisoryReference.objects.create(advisory=other, url="https://example.org/other")
    # Flags of it in both organizations: the counts are of those the caller may see.
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_a), advisory=advisory)
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_b), advisory=advisory)
    return advisory


def test_the_detail_rendered_by_the_database_is_what_drf_renders(
    tenants, api, advisory, monkeypatch
):
    database, python, drf = _three_ways(api.session(tenants.owner), _url(advisory), monkeypatch)
    assert database == python == drf
    assert list(database) == list(drf), "the fields in another order"
    assert [target["kind"] for target in database["targets"]] == [
        TargetKind.VENDOR,
        TargetKind.JURISDICTION,
        TargetKind.PRODUCT_RANGE,
    ]
    assert database["targets"][1]["country"] == "RU"
    assert database["targets"][0]["country"] == ""
    assert database["cve_ids"] == ["CVE-2021-44228", "CVE-2023-4966", "CVE-2024-3400"]
    assert [reference["url"] for reference in database["references"]] == [
        "https://example.org/b?x=1&y=ü",
        "https://example.org/a",
    ]
    assert database["title"] == ODD_TEXT
    assert database["cvss_score"] == 10.0
    assert database["audience_sectors"] == ["energy", "health"]
    assert database["flag_counts"]["active"] == 1, "counted another organization's flag"


def test_an_advisory_without_targets_cve_ids_or_references(tenants, api, monkeypatch):
    bare = PublishedAdvisoryFactory(
        published_at=timezone.now().replace(microsecond=123), cvss_score=None
    )
    bare.withdrawn_at = bare.published_at.replace(microsecond=0)
    bare.status = AdvisoryStatus.WITHDRAWN
    bare.withdrawn_reason = "Entered twice."
    bare.save()
    database, python, drf = _three_ways(api.session(tenants.viewer), _url(bare), monkeypatch)
    assert database == python == drf
    assert database["targets"] == database["cve_ids"] == database["references"] == []
    assert database["cvss_score"] is None
    assert database["published_at"].endswith(".000123Z")
    assert database["withdrawn_at"].endswith("Z") and "." not in database["withdrawn_at"]
    assert database["flag_counts"] == {
        "organizations": 0,
        "items": 0,
        "active": 0,
        "overdue": 0,
        "closed": 0,
    }


def test_a_draft_is_rendered_for_an_editor_and_missing_for_anyone_else(tenants, api, monkeypatch):
    draft = AdvisoryFactory(title="Not yet")
    AffectedTargetFactory(advisory=draft)
    editor = UserFactory(is_advisory_editor=True)
    database, python, drf = _three_ways(api.session(editor), _url(draft), monkeypatch)
    assert database == python == drf
    assert database["status"] == AdvisoryStatus.DRAFT
    for client in (api.session(tenants.viewer), api.token(tenants.owner)):
        hidden = client.get(_url(draft))
        missing = client.get("/api/v1/advisories/999999999/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    # An id no bigint holds is missing too, not an error.
    assert api.session(editor).get("/api/v1/advisories/99999999999999999999/").status_code == 404


def test_a_query_string_takes_the_python_path_with_its_filters(tenants, api, advisory):
    client = api.session(tenants.owner)
    with CaptureQueriesContext(connection) as queries:
        filtered = client.get(_url(advisory), {"status": AdvisoryStatus.PUBLISHED})
    assert filtered.status_code == 200
    assert not any("row_to_json" in _statement(query) for query in queries)
    assert filtered.json() == client.get(_url(advisory)).json()
    # As DRF's detail views do, the list's filters apply: one the advisory fails is a 404.
    assert client.get(_url(advisory), {"status": AdvisoryStatus.WITHDRAWN}).status_code == 404


class _NoObjects(BasePermission):
    def has_object_permission(self, request, view, obj):
        return False


def test_a_permission_on_objects_is_still_checked(tenants, api, advisory, monkeypatch):
    """The rendered detail builds no model object; a viewset whose permissions check objects
    takes the path that does."""
    classes = (*AdvisoryViewSet.permission_classes, _NoObjects)
    monkeypatch.setattr(AdvisoryViewSet, "permission_classes", classes)
    assert api.session(tenants.owner).get(_url(advisory)).status_code == 403


def test_the_detail_is_the_list_serializer_and_then_the_flag_counts():
    """The rendered detail appends ``flag_counts`` to the JSON of AdvisorySerializer."""
    detail = list(AdvisoryDetailSerializer().fields)
    assert detail == [*AdvisorySerializer().fields, "flag_counts"]
    assert json_plan(AdvisorySerializer) is not None


class _TextDecimalSerializer(StrictModelSerializer[Advisory]):
    cvss_score = serializers.DecimalField(max_digits=3, decimal_places=1, coerce_to_string=True)

    class Meta:
        model = Advisory
        fields = ["id", "cvss_score"]


def _bound():
    return _Bound(url_templates={}, zone=datetime.UTC)


def test_a_decimal_coerced_to_text_is_rendered_as_drf_renders_it():
    advisory = PublishedAdvisoryFactory(cvss_score=Decimal("7.0"))
    plan = json_plan(_TextDecimalSerializer)
    assert plan is not None
    rendered = plan.fetch_object(Advisory.objects.filter(pk=advisory.pk), bound=_bound())
    assert json.loads(rendered) == dict(_TextDecimalSerializer(advisory).data)
    assert json.loads(rendered)["cvss_score"] == "7.0"


def _advisory_with_targets(target_serializer):
    """An advisory serializer showing its targets as ``target_serializer`` does, in SQL."""

    class AdvisoryWithTargets(StrictModelSerializer[Advisory]):
        targets = target_serializer(many=True)
        json_sql = {"targets": related_rows(target_serializer, "advisory")}

        class Meta:
            model = Advisory
            fields = ["id", "targets"]

    return AdvisoryWithTargets


def test_related_rows_refuse_a_serializer_that_joins_the_outer_table():
    class TargetWithAdvisoryTitle(StrictModelSerializer[AffectedTarget]):
        advisory_title = serializers.CharField(source="advisory.title")

        class Meta:
            model = AffectedTarget
            fields = ["id", "advisory_title"]

    assert json_plan(TargetWithAdvisoryTitle) is not None
    assert json_plan(_advisory_with_targets(TargetWithAdvisoryTitle)) is None

    with_targets = _advisory_with_targets(AffectedTargetSerializer)
    plan = json_plan(with_targets)
    assert plan is not None
    advisory = PublishedAdvisoryFactory()
    AffectedTargetFactory(advisory=advisory)
    AffectedTargetFactory(advisory=PublishedAdvisoryFactory())
    rendered = plan.fetch_object(Advisory.objects.filter(pk=advisory.pk), bound=_bound())
    assert json.loads(rendered) == json.loads(json.dumps(with_targets(advisory).data))
    assert len(json.loads(rendered)["targets"]) == 1


def test_the_advisory_list_rendered_by_the_database_is_what_drf_renders(
    tenants, api, advisory, monkeypatch
):
    AdvisoryFactory(title="A draft")
    editor = UserFactory(is_advisory_editor=True)
    for user, shown in ((editor, 3), (tenants.viewer, 2)):
        database, python, drf = _three_list_ways(
            api.session(user), "/api/v1/advisories/", {}, monkeypatch
        )
        assert database == python == drf
        assert len(database["results"]) == shown
        rendered = next(row for row in database["results"] if row["id"] == advisory.pk)
        assert len(rendered["targets"]) == 3
        assert rendered["cve_ids"][0] == "CVE-2021-44228"


def test_advisory_pages_walk_as_the_python_path_does(tenants, api, monkeypatch):
    """Keyset pages over the list's ordering, whose dates may be missing (nulls last)."""
    day = datetime.date(2026, 11, 2)
    for issued_on in (day, None, day, None, day - datetime.timedelta(days=1)):
        advisory = PublishedAdvisoryFactory(issued_on=issued_on)
        AffectedTargetFactory(advisory=advisory)
    client = api.session(tenants.viewer)
    seen = []
    url, params = "/api/v1/advisories/", {"page_size": 2}
    while url:
        page, python, drf = _three_list_ways(client, url, params, monkeypatch)
        assert page == python == drf
        seen.extend(row["id"] for row in page["results"])
        url, params = page["next"], {}
    assert len(seen) == len(set(seen)) == 5
    back, python, drf = _three_list_ways(client, page["previous"], {}, monkeypatch)
    assert back == python == drf
    assert [row["id"] for row in back["results"]] == seen[-3:-1]


def test_a_decimal_longer_than_a_float_holds_stays_in_python():
    """DRF writes a decimal it does not coerce to text as a float, which rounds a number of
    more than 15 digits; the database would write it exactly, so it does not render it."""

    def rendering(digits, coerce):
        drf_field = serializers.DecimalField(
            max_digits=digits, decimal_places=2, coerce_to_string=coerce
        )
        return _rendering(drf_field, models.DecimalField(max_digits=digits, decimal_places=2))

    assert rendering(15, coerce=False) == "number"
    assert rendering(16, coerce=False) == "other"
    assert rendering(16, coerce=True) == "decimal"
