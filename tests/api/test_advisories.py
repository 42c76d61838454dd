"""Advisories over the API: drafts for editors only, nested targets, publish and withdraw."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisories.choices import AdvisoryStatus
from advisories.models import Advisory
from audit.models import AuditEntry
from exposure.choices import FlagStatus
from exposure.models import Flag
from exposure.selectors import advisory_flag_impact
from orgs.choices import Role
from tests.api.base import CreateTests, ListTests, RetrieveTests
from tests.api.factories import FlagFactory
from tests.factories import (
    AdvisoryFactory,
    AffectedTargetFactory,
    InventoryItemFactory,
    MembershipFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


class TestAdvisories(ListTests, RetrieveTests, CreateTests):
    basename = "advisory"
    model = Advisory
    writer = "editor"

    def make(self, tenants, organization):
        return PublishedAdvisoryFactory()

    def create_data(self, tenants):
        return {
            "source": SourceFactory().pk,
            "identifier": "BSI-2022-0001",
            "title": "Replace Kaspersky anti-virus products",
            "kind": "vendor_warning",
            "severity": "high",
            "targets": [{"kind": "vendor", "vendor": VendorFactory().pk}],
        }


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", is_advisory_editor=True)


def test_drafts_are_hidden_from_members_like_missing_advisories(tenants, api):
    draft = AdvisoryFactory()
    published = PublishedAdvisoryFactory()
    client = api.session(tenants.owner)
    ids = {row["id"] for row in client.get("/api/v1/advisories/").json()["results"]}
    assert ids == {published.pk}
    assert client.get(f"/api/v1/advisories/{draft.pk}/").status_code == 404


def test_editors_see_drafts(api, editor):
    draft = AdvisoryFactory()
    assert api.session(editor).get(f"/api/v1/advisories/{draft.pk}/").status_code == 200


def test_an_advisory_comes_with_its_targets_cves_and_references(tenants, api):
    advisory = PublishedAdvisoryFactory()
    target = AffectedTargetFactory(advisory=advisory)
    advisory.cves.create(cve_id="CVE-2024-3400")
    advisory.references.create(url="https://example.org/a", summary="Issuer")
    body = api.session(tenants.viewer).get(f"/api/v1/advisories/{advisory.pk}/").json()
    assert [t["id"] for t in body["targets"]] == [target.pk]
    assert body["cve_ids"] == ["CVE-2024-3400"]
    assert body["references"] == [
        {"url": "https://example.org/a", "summary": "Issuer", "category": "external"}
    ]


def test_creating_compiles_ranges_and_flags_unparseable_ones_for_review(api, editor):
    product = ProductFactory()
    response = api.session(editor).post(
        "/api/v1/advisories/",
        {
            "source": SourceFactory().pk,
            "identifier": "VW-1",
            "title": "Update it",
            "kind": "vulnerability",
            "cve_ids": ["cve-2024-3400"],
            "targets": [
                {"kind": "product_range", "product": product.pk, "version_range": "< 2.0"},
                {"kind": "product_range", "product": product.pk, "version_range": "newer ones"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["cve_ids"] == ["CVE-2024-3400"]
    assert [t["needs_review"] for t in body["targets"]] == [False, True]
    assert AuditEntry.objects.filter(action="advisory.create", actor_id=editor.pk).exists()


def test_each_target_says_how_it_was_read_and_takes_a_caveat(api, editor):
    product = ProductFactory()
    response = api.session(editor).post(
        "/api/v1/advisories/",
        {
            "source": SourceFactory().pk,
            "identifier": "VW-2",
            "title": "Update the gateway",
            "kind": "vulnerability",
            "targets": [
                {
                    "kind": "product_range",
                    "product": product.pk,
                    "version_range": "<V4.12_installed_on_XY200_devices",
                },
                {"kind": "product", "product": product.pk, "caveat": "only with VPN enabled"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    ranged, whole = response.json()["targets"]
    assert (ranged["range_caveat"], ranged["caveat"], ranged["read_as"]) == (
        "installed on XY200 devices",
        "",
        "< 4.12 — condition: installed on XY200 devices",
    )
    assert (whole["caveat"], whole["read_as"]) == (
        "only with VPN enabled",
        "all versions — condition: only with VPN enabled",
    )
    # What the detail shows is what was stored, and a client cannot write how it reads.
    detail = api.session(editor).get(response.json()["url"]).json()
    assert detail["targets"] == response.json()["targets"]
    edited = api.session(editor).patch(
        response.json()["url"],
        {"targets": [{"kind": "product", "product": product.pk, "read_as": "anything"}]},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert [t["read_as"] for t in edited.json()["targets"]] == ["all versions"]


def test_the_detail_and_the_list_do_not_load_the_imported_source_document(tenants, api):
    """The document an advisory was imported from is kept, not shown: the detail reads around
    it (a CSAF file can be hundreds of kilobytes, parsed on every request otherwise)."""
    advisory = PublishedAdvisoryFactory(raw_document={"document": {"title": "x" * 100_000}})
    client = api.session(tenants.viewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/advisories/{advisory.pk}/")
        assert client.get("/api/v1/advisories/").json()["results"][0]["id"] == advisory.pk
    assert response.status_code == 200
    assert response.json()["title"] == advisory.title
    assert "raw_document" not in response.json()
    advisory_queries = [q["sql"] for q in queries if 'FROM "advisories_advisory"' in q["sql"]]
    assert advisory_queries, "the advisory was not read"
    assert not [sql for sql in advisory_queries if "raw_document" in sql]
    advisory.refresh_from_db()
    assert advisory.raw_document["document"]["title"] == "x" * 100_000


def test_an_invalid_target_is_refused_naming_it(api, editor):
    response = api.session(editor).post(
        "/api/v1/advisories/",
        {
            "source": SourceFactory().pk,
            "identifier": "VW-2",
            "title": "t",
            "kind": "vulnerability",
            "targets": [{"kind": "vendor", "vendor": VendorFactory().pk}, {"kind": "vendor"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "targets": {"1": {"vendor": ["A target of kind 'Vendor (all products)' needs this."]}}
    }
    assert not Advisory.objects.exists()


def test_publish_then_withdraw(api, editor):
    advisory = AdvisoryFactory()
    client = api.session(editor)
    # Without targets it flags nothing: publishing says so explicitly.
    refused = client.post(f"/api/v1/advisories/{advisory.pk}/publish/")
    assert refused.status_code == 400
    assert "send true to publish it as informational" in refused.json()["matches_nothing"][0]
    assert Advisory.objects.get(pk=advisory.pk).status == AdvisoryStatus.DRAFT
    published = client.post(
        f"/api/v1/advisories/{advisory.pk}/publish/", {"matches_nothing": True}, format="json"
    )
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    again = client.post(f"/api/v1/advisories/{advisory.pk}/publish/")
    assert again.status_code == 409
    no_reason = client.post(f"/api/v1/advisories/{advisory.pk}/withdraw/", {})
    assert no_reason.status_code == 400
    withdrawn = client.post(f"/api/v1/advisories/{advisory.pk}/withdraw/", {"reason": "Wrong."})
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawn_reason"] == "Wrong."
    revisions = client.get(f"/api/v1/advisories/{advisory.pk}/revisions/").json()["results"]
    assert [r["summary"] for r in revisions] == ["Withdrawn: Wrong.", "Published."]


def test_members_cannot_publish(tenants, api):
    advisory = AdvisoryFactory()
    PublishedAdvisoryFactory()
    response = api.session(tenants.owner).post(f"/api/v1/advisories/{advisory.pk}/publish/")
    assert response.status_code in (403, 404)
    assert Advisory.objects.get(pk=advisory.pk).status == AdvisoryStatus.DRAFT


def test_advisory_filters(tenants, api):
    vendor = VendorFactory()
    wanted = PublishedAdvisoryFactory(severity="critical", kind="prohibition")
    AffectedTargetFactory(advisory=wanted, vendor=vendor)
    wanted.cves.create(cve_id="CVE-2022-0001")
    PublishedAdvisoryFactory(severity="critical", kind="prohibition")
    PublishedAdvisoryFactory(severity="low")
    client = api.session(tenants.viewer)
    for query in (
        {"vendor": vendor.pk},
        {"cve": "cve-2022-0001"},
        {"q": "CVE-2022-0001"},
        {"severity": "critical", "kind": "prohibition", "vendor": vendor.pk},
    ):
        ids = [row["id"] for row in client.get("/api/v1/advisories/", query).json()["results"]]
        assert ids == [wanted.pk], query


def test_editing_a_published_advisory_replaces_its_targets_and_records_a_revision(api, editor):
    advisory = PublishedAdvisoryFactory()
    AffectedTargetFactory(advisory=advisory)
    vendor = VendorFactory()
    response = api.session(editor).patch(
        f"/api/v1/advisories/{advisory.pk}/",
        {"severity": "critical", "targets": [{"kind": "vendor", "vendor": vendor.pk}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["severity"] == "critical"
    assert [t["vendor"] for t in response.json()["targets"]] == [vendor.pk]
    assert advisory.revisions.filter(summary__startswith="Changed").exists()
    assert AuditEntry.objects.filter(action="advisory.update").exists()


def test_an_edited_target_without_a_kind_is_refused(api, editor):
    advisory = AdvisoryFactory()
    vendor = VendorFactory()
    response = api.session(editor).patch(
        f"/api/v1/advisories/{advisory.pk}/", {"targets": [{"vendor": vendor.pk}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"targets": {"0": {"kind": ["This field is required."]}}}


def test_cve_ids_are_set_when_the_advisory_is_created(api, editor):
    advisory = AdvisoryFactory()
    response = api.session(editor).patch(
        f"/api/v1/advisories/{advisory.pk}/", {"cve_ids": ["CVE-2024-1"]}, format="json"
    )
    assert response.status_code == 400
    assert "cve_ids" in response.json()


def test_members_cannot_edit_advisories(tenants, api):
    advisory = PublishedAdvisoryFactory(title="Original")
    response = api.session(tenants.owner).patch(
        f"/api/v1/advisories/{advisory.pk}/", {"title": "Forged"}
    )
    assert response.status_code == 403
    assert Advisory.objects.get(pk=advisory.pk).title == "Original"


def test_impact_preview_of_a_draft_counts_the_items_it_would_flag(tenants, api, editor):
    product = ProductFactory()
    InventoryItemFactory(organization=tenants.org_a, product=product, version="")
    InventoryItemFactory(organization=tenants.org_b, product=product)
    draft = AdvisoryFactory()
    AffectedTargetFactory(advisory=draft, vendor=product.vendor)
    body = api.session(editor).get(f"/api/v1/advisories/{draft.pk}/impact/").json()
    assert (body["organization_count"], body["item_count"]) == (2, 2)
    assert Flag.objects.count() == 0


def test_impact_samples_name_the_asset_as_the_editors_preview_does(tenants, api, editor):
    """Two installs of one product in one organization read alike by their label; the asset
    (reference, host, site, environment, criticality, quantity) tells them apart."""
    product = ProductFactory()
    hosts = {"fw-core-01": "Leitwarte", "fw-dmz-02": "Verwaltung"}
    for host, site in hosts.items():
        InventoryItemFactory(
            organization=tenants.org_a,
            product=product,
            external_ref=f"CMDB-{host}",
            hostname=host,
            site=site,
            environment="staging",
            criticality="critical",
            quantity=3,
        )
    draft = AdvisoryFactory()
    AffectedTargetFactory(advisory=draft, vendor=product.vendor)
    body = api.session(editor).get(f"/api/v1/advisories/{draft.pk}/impact/").json()
    [organization] = body["organizations"]
    assert sorted(
        (sample["asset"] for sample in organization["sample_items"]),
        key=lambda asset: asset["hostname"],
    ) == [
        {
            "external_ref": f"CMDB-{host}",
            "hostname": host,
            "site": site,
            "environment": "staging",
            "criticality": "critical",
            "quantity": 3,
        }
        for host, site in hosts.items()
    ]


@pytest.fixture
def advisory_of_both(tenants):
    """A published advisory against a product both organizations run."""
    product = ProductFactory()
    InventoryItemFactory(organization=tenants.org_a, product=product)
    InventoryItemFactory(organization=tenants.org_b, product=product)
    advisory = PublishedAdvisoryFactory()
    AffectedTargetFactory(advisory=advisory, vendor=product.vendor)
    return advisory


def test_impact_is_limited_to_the_organizations_a_user_sees(tenants, api, advisory_of_both):
    url = f"/api/v1/advisories/{advisory_of_both.pk}/impact/"
    body = api.session(tenants.outsider).get(url).json()
    assert [row["organization_id"] for row in body["organizations"]] == [tenants.org_b.pk]


def test_impact_through_a_token_is_limited_to_what_the_token_sees(tenants, api, advisory_of_both):
    # The view hands the preview the organization ids the request fetched: a session and a
    # personal token show both organizations of a user of both, an organization token of B
    # only B.
    advisory = advisory_of_both
    MembershipFactory(user=tenants.owner, organization=tenants.org_b, role=Role.ADMIN)
    url = f"/api/v1/advisories/{advisory.pk}/impact/"

    def shown(client):
        return [row["organization_id"] for row in client.get(url).json()["organizations"]]

    both = {tenants.org_a.pk, tenants.org_b.pk}
    assert set(shown(api.session(tenants.owner))) == both
    assert set(shown(api.token(tenants.owner))) == both
    assert shown(api.token(tenants.owner, organization=tenants.org_b)) == [tenants.org_b.pk]


def test_impact_samples_are_bounded(tenants, api):
    advisory = PublishedAdvisoryFactory()
    client = api.session(tenants.viewer)
    url = f"/api/v1/advisories/{advisory.pk}/impact/"
    assert client.get(url, {"samples": 2}).status_code == 200
    response = client.get(url, {"samples": 500})
    assert response.status_code == 400
    assert "samples" in response.json()


def test_date_time_filters_take_any_iso_8601_offset(tenants, api):
    """PostgreSQL reads offsets only up to ±15:59; the filter compares in UTC instead."""
    advisory = PublishedAdvisoryFactory()
    client = api.session(tenants.viewer)
    response = client.get("/api/v1/advisories/", {"published_before": "2999-01-01T00:00:00-18:10"})
    assert [row["id"] for row in response.json()["results"]] == [advisory.pk]
    too_early = client.get("/api/v1/advisories/", {"published_after": "0001-01-01T00:00:00+10:00"})
    assert too_early.status_code == 400
    assert too_early.json() == {"published": ["This date-time is out of range."]}


@pytest.fixture
def flagged_advisory(tenants):
    """A published advisory with flags in both organizations: in A two active (one overdue)
    and one closed, in B one active."""
    advisory = PublishedAdvisoryFactory()
    today = timezone.localdate()
    a_items = [InventoryItemFactory(organization=tenants.org_a) for _ in range(3)]
    FlagFactory(advisory=advisory, item=a_items[0], due_date=today - datetime.timedelta(days=1))
    FlagFactory(advisory=advisory, item=a_items[1], status=FlagStatus.ACKNOWLEDGED)
    FlagFactory(
        advisory=advisory, item=a_items[2], status=FlagStatus.RESOLVED, resolution_reason="x"
    )
    FlagFactory(advisory=advisory, item=InventoryItemFactory(organization=tenants.org_b))
    # Another advisory's flag in A counts for that one only.
    FlagFactory(item=a_items[0])
    return advisory


def _flag_counts(client, advisory):
    response = client.get(f"/api/v1/advisories/{advisory.pk}/")
    assert response.status_code == 200
    return response.json()["flag_counts"]


def test_the_detail_counts_the_advisory_s_flags_in_the_user_s_organizations(
    tenants, api, flagged_advisory
):
    counts = _flag_counts(api.session(tenants.viewer), flagged_advisory)
    assert counts == {"organizations": 1, "items": 2, "active": 2, "overdue": 1, "closed": 1}
    counts = _flag_counts(api.session(tenants.outsider), flagged_advisory)
    assert counts == {"organizations": 1, "items": 1, "active": 1, "overdue": 0, "closed": 0}


def test_flag_counts_follow_what_the_session_or_token_sees(tenants, api, flagged_advisory):
    # A member of both sees both through a session or personal token, only B through an
    # organization token of B; a global analyst sees every organization, a user of none none.
    MembershipFactory(user=tenants.owner, organization=tenants.org_b, role=Role.ADMIN)
    both = {"organizations": 2, "items": 3, "active": 3, "overdue": 1, "closed": 1}
    only_b = {"organizations": 1, "items": 1, "active": 1, "overdue": 0, "closed": 0}
    none = {"organizations": 0, "items": 0, "active": 0, "overdue": 0, "closed": 0}
    assert _flag_counts(api.session(tenants.owner), flagged_advisory) == both
    assert _flag_counts(api.token(tenants.owner), flagged_advisory) == both
    token_b = api.token(tenants.owner, organization=tenants.org_b)
    assert _flag_counts(token_b, flagged_advisory) == only_b
    global_analyst = UserFactory(is_global_analyst=True)
    assert _flag_counts(api.session(global_analyst), flagged_advisory) == both
    assert _flag_counts(api.session(UserFactory()), flagged_advisory) == none


def test_flag_counts_are_the_totals_of_the_advisory_page(tenants, api, flagged_advisory):
    for user in (tenants.viewer, tenants.outsider):
        page = advisory_flag_impact(
            advisory=flagged_advisory, user=user, today=timezone.localdate()
        )
        counts = _flag_counts(api.session(user), flagged_advisory)
        assert (counts["organizations"], counts["items"], counts["active"]) == (
            page.organizations,
            page.items,
            page.active,
        )
        assert counts["closed"] == sum(row.closed for row in page.rows)
        assert counts["overdue"] == sum(row.overdue for row in page.rows)


def test_only_the_detail_carries_flag_counts(tenants, api, flagged_advisory):
    client = api.session(tenants.viewer)
    rows = client.get("/api/v1/advisories/").json()["results"]
    assert flagged_advisory.pk in {row["id"] for row in rows}
    assert all("flag_counts" not in row for row in rows)


def test_ordering_by_severity_rank_descending_puts_critical_first(api, tenants):
    """Sorting by the label would read Critical, High, Low, Medium; the rank is the severity's
    order, and keyset pages follow it."""
    for n, severity in enumerate(["medium", "critical", "low", "high", "none", "critical"]):
        PublishedAdvisoryFactory(identifier=f"SEV-{n}", severity=severity)
    client = api.session(tenants.owner)
    response = client.get("/api/v1/advisories/", {"ordering": "-severity_rank", "page_size": 4})
    assert response.status_code == 200, response.json()
    first = [row["severity"] for row in response.json()["results"]]
    rest = [row["severity"] for row in client.get(response.json()["next"]).json()["results"]]
    assert first + rest == ["critical", "critical", "high", "medium", "low", "none"]
