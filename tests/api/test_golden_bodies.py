"""Every list and detail endpoint answers exactly the recorded body, byte for byte.

The bodies in ``tests/api/golden/`` were recorded over one hostile data set (text in many
scripts, U+2028/U+2029, quotes and backslashes, 5,000-character summaries, NULLs in every
nullable column, decimals, microseconds, a deleted item, a second time zone), as superuser,
as a member, through a token and indented. A change to how the API renders anything shows up
here as a diff to read. When a change is meant (a new field, say), re-record and read the
diff of the files before committing it. Bodies compare as JSON with their keys in order;
whitespace between tokens is not compared.

    GOLDEN_RECORD=1 make test PYTEST_ARGS=tests/api/test_golden_bodies.py
"""

from __future__ import annotations

import datetime
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    FeedRun,
    Source,
    TargetInterval,
)
from audit.models import AuditEntry
from exposure.models import Flag, FlagEvent, MatchRun
from notifications.models import Channel, Delivery
from orgs.models import ApiToken, ImportJob, InventoryItem, Membership, Organization, User
from orgs.tokens import _secret_hash
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("GOLDEN_RECORD") == "1"
TOKEN_SECRET = "golden-secret-golden-secret-golden-secret"
TOKEN = f"vw_g0lden0000ab_{TOKEN_SECRET}"

# Text no serializer should mangle: scripts, a line separator JSON allows but JavaScript did
# not, quotes, a backslash, an emoji outside the BMP, HTML.
HOSTILE = 'Zürich — 東京 \u2028 line\u2029para "quoted" \\ back 🛡️ <b>&amp;</b>'
LONG = ("Ein sehr langer Absatz über Kaspersky. " * 130)[:5000]

T0 = datetime.datetime(2026, 3, 15, 9, 30, 0, 123456, tzinfo=datetime.UTC)


def _at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes, microseconds=minutes * 7)


def _stamp(model: type, pk: int, **fields: object) -> None:
    """Set columns that ``auto_now``/``auto_now_add`` would overwrite on save."""
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def hostile() -> dict[str, object]:
    """The data set: fixed primary keys and timestamps, so the bodies are reproducible."""
    root = User.objects.create(
        pk=90001,
        username="root-golden",
        email="root@example.org",
        is_superuser=True,
        is_staff=True,
        first_name="Jörg",
        last_name=HOSTILE[:50],
    )
    member = User.objects.create(pk=90002, username="anna.müller", email="anna@example.org")
    outsider = User.objects.create(pk=90003, username="outsider", email="out@example.org")
    for user in (root, member, outsider):
        _stamp(User, user.pk, date_joined=_at(0))

    org = Organization.objects.create(
        pk=90011,
        name=f"Stadtwerke {HOSTILE[:40]}",
        slug="stadtwerke-golden",
        sector="energy",
        country="DE",
        criticality_tier="critical_infrastructure",
        description=LONG,
    )
    other = Organization.objects.create(
        pk=90012, name="Klinikum Beta", slug="klinikum-beta-golden", sector="health"
    )
    for pk, minutes in ((org.pk, 1), (other.pk, 2)):
        _stamp(Organization, pk, created_at=_at(minutes), updated_at=_at(minutes + 1))
    m1 = Membership.objects.create(pk=90021, user=member, organization=org, role="analyst")
    m2 = Membership.objects.create(pk=90022, user=outsider, organization=other, role="owner")
    for m in (m1, m2):
        _stamp(Membership, m.pk, created_at=_at(3), updated_at=_at(4))
    ApiToken.objects.create(
        pk=90031,
        user=member,
        organization=None,
        name=HOSTILE[:100],
        prefix="g0lden0000ab",
        secret_hash=_secret_hash(TOKEN_SECRET),
        access="read_write",
        expires_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
    )
    ApiToken.objects.create(
        pk=90032,
        user=member,
        organization=org,
        name="revoked",
        prefix="g0lden0000cd",
        secret_hash=_secret_hash("x"),
        revoked_at=_at(5),
    )
    _stamp(ApiToken, 90031, created_at=_at(5), last_used_at=None)
    _stamp(ApiToken, 90032, created_at=_at(6), last_used_at=None)

    parent = Vendor.objects.create(
        pk=90041,
        name="AO Kaspersky Lab",
        slug="kaspersky-golden",
        country="RU",
        cpe_vendor="kaspersky",
        website="https://www.kaspersky.com/",
        description=HOSTILE,
    )
    child = Vendor.objects.create(
        pk=90042,
        name=f"Kaspersky Labs Ltd {HOSTILE[:20]}",
        slug="kaspersky-uk-golden",
        country="GB",
        parent=parent,
    )
    bare = Vendor.objects.create(pk=90043, name="Ünbekannt", slug="unbekannt-golden")
    for pk in (parent.pk, child.pk, bare.pk):
        _stamp(Vendor, pk, created_at=_at(6), updated_at=_at(7), match_requested_at=None)
    VendorAlias.objects.create(pk=90051, vendor=parent, name="Лаборатория Касперского")
    _stamp(VendorAlias, 90051, created_at=_at(8))
    product = Product.objects.create(
        pk=90061,
        vendor=parent,
        name="Kaspersky Endpoint Security",
        slug="kes-golden",
        category="endpoint_protection",
        cpe_part="a",
        cpe_vendor="kaspersky",
        cpe_product="endpoint_security",
        purl_type="generic",
        purl_namespace="kaspersky",
        purl_name="kes",
        deep_system_access=True,
        permanent_cloud_connection=True,
        vendor_pushed_updates=True,
        website="https://example.org/kes",
        description=LONG,
    )
    plain = Product.objects.create(pk=90062, vendor=bare, name="Plain", slug="plain-golden")
    for pk in (product.pk, plain.pk):
        _stamp(Product, pk, created_at=_at(9), updated_at=_at(10), match_requested_at=None)
    ProductAlias.objects.create(pk=90071, product=product, name="KES \u2028 für Windows")
    _stamp(ProductAlias, 90071, created_at=_at(11))

    source = Source.objects.create(
        pk=90081,
        name=f"BSI {HOSTILE[:30]}",
        slug="bsi-golden",
        kind="national_cert",
        country="DE",
        website="https://www.bsi.bund.de/",
        description=HOSTILE,
    )
    _stamp(Source, source.pk, created_at=_at(12), updated_at=_at(13))
    advisory = Advisory.objects.create(
        pk=90091,
        source=source,
        identifier="BSI-2022-\u00e9-0001",
        title=HOSTILE,
        summary=LONG,
        kind="vendor_warning",
        severity="high",
        cvss_score=Decimal("9.8"),
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        status="published",
        recommended_action="replace",
        action_details=HOSTILE,
        action_deadline=datetime.date(2026, 12, 31),
        audience_sectors=["energy", "health"],
        audience_tiers=["critical_infrastructure"],
        known_exploited=True,
        issued_on=datetime.date(2022, 3, 15),
        published_at=_at(14),
        source_version="2",
        raw_format="csaf-2.0",
        raw_document={"document": {"title": HOSTILE}},
        source_violations=[{"path": "/document/lang", "message": HOSTILE}],
    )
    draft = Advisory.objects.create(
        pk=90092,
        source=source,
        identifier="DRAFT-1",
        title="Entwurf",
        kind="vulnerability",
        severity="none",
        cvss_score=None,
        status="draft",
        nothing_to_match=HOSTILE[:300],
    )
    withdrawn = Advisory.objects.create(
        pk=90093,
        source=source,
        identifier="OLD-1",
        title="Withdrawn",
        kind="prohibition",
        status="withdrawn",
        published_at=_at(15),
        withdrawn_at=_at(16),
        withdrawn_reason=HOSTILE,
        cvss_score=Decimal("0.0"),
    )
    for pk in (advisory.pk, draft.pk, withdrawn.pk):
        _stamp(Advisory, pk, created_at=_at(17), updated_at=_at(18), match_requested_at=None)
    AdvisoryCve.objects.create(pk=90101, advisory=advisory, cve_id="CVE-2022-99999")
    AdvisoryCve.objects.create(pk=90102, advisory=advisory, cve_id="CVE-2021-1234")
    AdvisoryReference.objects.create(
        pk=90111,
        advisory=advisory,
        url="https://example.org/ä?q=1&x=<y>",
        summary=HOSTILE,
        category="self",
    )
    AdvisoryReference.objects.create(pk=90112, advisory=advisory, url="https://example.org/2")
    AdvisoryRevision.objects.create(
        pk=90121,
        advisory=advisory,
        number=1,
        summary=HOSTILE,
        snapshot={"title": HOSTILE},
        created_at=_at(19),
        created_by=root,
    )
    vendor_target = AffectedTarget.objects.create(
        pk=90131,
        advisory=advisory,
        kind="vendor",
        vendor=parent,
        include_subsidiaries=True,
        note=HOSTILE,
    )
    range_target = AffectedTarget.objects.create(
        pk=90132,
        advisory=advisory,
        kind="product_range",
        product=product,
        version_range="vers:generic/>=21.0|<21.3.10",
    )
    TargetInterval.objects.create(
        pk=90141,
        target=range_target,
        lower="010n0221f",
        lower_inclusive=True,
        upper="010n0221n013n0210f",
        upper_inclusive=False,
    )
    AffectedTarget.objects.create(
        pk=90133,
        advisory=advisory,
        kind="cpe",
        is_exclusion=True,
        cpe="cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*",
        cpe_vendor="kaspersky",
        cpe_product="endpoint_security",
        version_start_including="11.0",
    )
    AffectedTarget.objects.create(
        pk=90134,
        advisory=advisory,
        kind="product_range",
        product=plain,
        version_range="so ungefähr alles",
        needs_review=True,
        review_reason="'so ungefähr alles' is not a recognisable version or range",
    )
    AffectedTarget.objects.create(pk=90135, advisory=withdrawn, kind="jurisdiction", country="RU")
    del vendor_target

    items = [
        InventoryItem.objects.create(
            pk=90151,
            organization=org,
            product=product,
            raw_vendor="Kaspersky",
            raw_product="KES",
            normalized_vendor="kaspersky",
            normalized_product="kes",
            version="21.3.10.391",
            version_key="010n0221n013n0210n03391f",
            cpe="cpe:2.3:a:kaspersky:endpoint_security:21.3.10.391:*:*:*:*:*:*:*",
            cpe_vendor="kaspersky",
            cpe_product="endpoint_security",
            quantity=412,
            environment="production",
            criticality="critical",
            source="csv",
            external_ref=f"host-{HOSTILE[:20]}",
            notes=LONG,
        ),
        InventoryItem.objects.create(
            pk=90152,
            organization=org,
            product=None,
            raw_vendor=HOSTILE[:100],
            raw_product="Unbekanntes Produkt",
            normalized_vendor="x",
            normalized_product="y",
            version="",
            version_key=None,
            purl="pkg:npm/%40scope/left-pad@1.0.0",
            purl_type="npm",
            purl_namespace="@scope",
            purl_name="left-pad",
        ),
        InventoryItem.objects.create(
            pk=90153,
            organization=other,
            product=product,
            raw_vendor="Kaspersky",
            raw_product="KES",
            version="11.1",
            version_key="010n0211n011f",
        ),
        InventoryItem.objects.create(
            pk=90154,
            organization=org,
            product=product,
            raw_vendor="Kaspersky",
            raw_product="KES (deleted)",
            version="1",
        ),
    ]
    for item in items:
        _stamp(
            InventoryItem, item.pk, created_at=_at(20), updated_at=_at(21), match_requested_at=None
        )

    flags = [
        Flag.objects.create(
            pk=90161,
            advisory=advisory,
            item=items[0],
            organization=org,
            product=product,
            vendor=parent,
            item_label=f"KES {HOSTILE}",
            matched_target=range_target,
            status="risk_accepted",
            confidence="confirmed",
            priority=100,
            due_date=datetime.date(2026, 12, 31),
            assignee=member,
            status_reason=LONG,
            risk_accepted_until=datetime.date(2027, 6, 30),
        ),
        Flag.objects.create(
            pk=90162,
            advisory=advisory,
            item=items[1],
            organization=org,
            product=None,
            vendor=None,
            item_label="",
            matched_target=None,
            status="open",
            confidence="possible",
            priority=0,
            due_date=None,
        ),
        Flag.objects.create(
            pk=90163,
            advisory=advisory,
            item=items[2],
            organization=other,
            product=product,
            vendor=parent,
            item_label="KES 11.1",
            status="acknowledged",
            priority=57,
            due_date=datetime.date(2026, 4, 1),
        ),
        Flag.objects.create(
            pk=90164,
            advisory=withdrawn,
            item=items[3],
            organization=org,
            product=product,
            vendor=parent,
            item_label="KES (deleted) 1",
            status="resolved",
            resolution_reason="item_removed",
            resolved_at=_at(30),
            priority=12,
        ),
    ]
    for n, flag in enumerate(flags):
        _stamp(
            Flag,
            flag.pk,
            first_seen_at=_at(22 + n),
            last_matched_at=_at(23 + n),
            status_changed_at=_at(24 + n),
            updated_at=_at(25 + n),
        )
    InventoryItem.objects.filter(pk=90154).delete()  # its flag keeps the label, item NULL
    FlagEvent.objects.create(
        pk=90171, flag=flags[0], actor=None, kind="created", to_status="open", data={}
    )
    FlagEvent.objects.create(
        pk=90172,
        flag=flags[0],
        actor=member,
        kind="status_changed",
        from_status="open",
        to_status="risk_accepted",
        note=HOSTILE,
        data={"risk_accepted_until": "2027-06-30"},
    )
    for pk, minutes in ((90171, 31), (90172, 32)):
        _stamp(FlagEvent, pk, created_at=_at(minutes))

    MatchRun.objects.create(
        pk=90181,
        kind="advisory",
        status="succeeded",
        advisory_ids=[advisory.pk],
        started_at=_at(33),
        finished_at=_at(34),
        duration=datetime.timedelta(seconds=1.5),
        items_considered=3,
        flags_created=3,
        error="",
    )
    MatchRun.objects.create(pk=90182, kind="full", status="failed", error=HOSTILE, duration=None)
    for pk in (90181, 90182):
        _stamp(MatchRun, pk, created_at=_at(35))
    FeedRun.objects.create(
        pk=90191,
        source=source,
        feed_kind="kev",
        status="succeeded",
        started_at=_at(36),
        finished_at=_at(37),
        duration_seconds=1.25,
        documents=3,
        imported=1,
        unchanged=1,
        failed=1,
        failures=[{"document": "x", "reason": HOSTILE}],
    )

    job = ImportJob.objects.create(
        pk=90201,
        organization=org,
        created_by=member,
        file_format="csv",
        mode="add",
        filename=f"{HOSTILE[:30]}.csv",
        status="succeeded",
        total_rows=3,
        rows_parsed=3,
        created_count=2,
        unresolved_count=1,
        error_count=1,
        errors=[{"location": "line 3, version", "message": HOSTILE}],
        started_at=_at(38),
        finished_at=_at(39),
    )
    _stamp(ImportJob, job.pk, created_at=_at(38))

    channel = Channel.objects.create(
        pk=90211,
        organization=org,
        name=HOSTILE[:100],
        kind="email",
        mode="digest",
        min_severity="medium",
        advisory_kinds=["vendor_warning"],
        recipients=["soc@example.org", "ciso@example.org"],
        created_by=member,
    )
    _stamp(Channel, channel.pk, created_at=_at(40), updated_at=_at(41))
    delivery = Delivery.objects.create(
        pk=90221,
        organization=org,
        channel=channel,
        kind="digest",
        status="failed",
        item_count=2,
        period_start=_at(42),
        period_end=_at(43),
        attempts=3,
        next_attempt_at=None,
        last_error=HOSTILE,
        response_code=None,
        sent_at=None,
    )
    _stamp(Delivery, delivery.pk, created_at=_at(44))

    # Append-only: the entry is written once, with its time, as the trail's own writer would.
    entry = AuditEntry(
        pk=90231,
        actor_id=member.pk,
        actor_name=member.username,
        organization_id=org.pk,
        organization_name=org.name,
        action="flag.transition",
        object_type="flag",
        object_id="90161",
        object_repr=HOSTILE,
        before={"status": "open"},
        after={"status": "risk_accepted", "note": HOSTILE},
        ip_address="2001:db8::1",
        via="api",
    )
    created_at = AuditEntry._meta.get_field("created_at")
    created_at.auto_now_add = False
    try:
        entry.created_at = _at(45)
        AuditEntry.objects.bulk_create([entry])
    finally:
        created_at.auto_now_add = True
    return {"root": root, "member": member}


# (name, path) of every list and detail endpoint, and of the read actions beside them.
ENDPOINTS = [
    ("vendors", "/api/v1/vendors/"),
    ("vendor", "/api/v1/vendors/90041/"),
    ("vendor-aliases", "/api/v1/vendor-aliases/"),
    ("vendor-alias", "/api/v1/vendor-aliases/90051/"),
    ("products", "/api/v1/products/"),
    ("product", "/api/v1/products/90061/"),
    ("product-aliases", "/api/v1/product-aliases/"),
    ("product-alias", "/api/v1/product-aliases/90071/"),
    ("sources", "/api/v1/sources/"),
    ("source", "/api/v1/sources/90081/"),
    ("advisories", "/api/v1/advisories/"),
    ("advisory", "/api/v1/advisories/90091/"),
    ("advisory-draft", "/api/v1/advisories/90092/"),
    ("advisory-withdrawn", "/api/v1/advisories/90093/"),
    ("advisory-revisions", "/api/v1/advisories/90091/revisions/"),
    ("organizations", "/api/v1/organizations/"),
    ("organization", "/api/v1/organizations/90011/"),
    ("memberships", "/api/v1/memberships/"),
    ("membership", "/api/v1/memberships/90021/"),
    ("inventory-items", "/api/v1/inventory-items/"),
    ("inventory-item", "/api/v1/inventory-items/90151/"),
    ("inventory-item-unresolved", "/api/v1/inventory-items/90152/"),
    ("inventory-imports", "/api/v1/inventory-imports/"),
    ("inventory-import", "/api/v1/inventory-imports/90201/"),
    ("tokens", "/api/v1/tokens/"),
    ("flags", "/api/v1/flags/"),
    ("flag", "/api/v1/flags/90161/"),
    ("flag-without-item", "/api/v1/flags/90164/"),
    ("flag-events", "/api/v1/flags/90161/events/"),
    ("match-runs", "/api/v1/match-runs/"),
    ("match-run", "/api/v1/match-runs/90181/"),
    ("feed-runs", "/api/v1/feed-runs/"),
    ("feed-run", "/api/v1/feed-runs/90191/"),
    ("notification-channels", "/api/v1/notification-channels/"),
    ("notification-channel", "/api/v1/notification-channels/90211/"),
    ("notification-deliveries", "/api/v1/notification-deliveries/"),
    ("notification-delivery", "/api/v1/notification-deliveries/90221/"),
    ("audit-entry", "/api/v1/audit-entries/90231/"),
]
# The hot lists again, as a member through a token (scoped, and the token's own path), with
# ordering and filters, indented, and in another time zone.
VARIANTS = [
    ("flags-token", "/api/v1/flags/", {}, "token", None, None),
    ("token", "/api/v1/tokens/90031/", {}, "member", None, None),
    # Signing in writes entries of its own, at the time of the test.
    ("audit-entries", "/api/v1/audit-entries/", {"action": "flag.transition"}, "root", None, None),
    ("tokens-member", "/api/v1/tokens/", {}, "member", None, None),
    ("flags-filtered", "/api/v1/flags/", {"status": "open"}, "token", None, None),
    ("flags-ordered", "/api/v1/flags/", {"ordering": "due_date"}, "root", None, None),
    ("flags-page", "/api/v1/flags/", {"page_size": "1"}, "root", None, None),
    ("flags-indented", "/api/v1/flags/", {}, "root", "application/json; indent=2", None),
    ("flags-kathmandu", "/api/v1/flags/", {}, "root", None, "Asia/Kathmandu"),
    ("inventory-token", "/api/v1/inventory-items/", {}, "token", None, None),
    ("inventory-search", "/api/v1/inventory-items/", {"q": "left"}, "root", None, None),
    ("inventory-kathmandu", "/api/v1/inventory-items/", {}, "root", None, "Asia/Kathmandu"),
    ("advisories-token", "/api/v1/advisories/", {}, "token", None, None),
    ("advisory-token", "/api/v1/advisories/90091/", {}, "token", None, None),
    (
        "advisory-indented",
        "/api/v1/advisories/90091/",
        {},
        "root",
        "application/json; indent=2",
        None,
    ),
    ("advisory-kathmandu", "/api/v1/advisories/90091/", {}, "root", None, "Asia/Kathmandu"),
    ("advisory-format", "/api/v1/advisories/90091/", {"format": "json"}, "root", None, None),
]


def _client(api, hostile, who: str):
    if who == "token":
        client = api.anonymous()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        return client
    return api.session(hostile[who])


def _check(name: str, body: bytes) -> None:
    path = GOLDEN / f"{name}.json"
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(body)
        return
    assert path.exists(), f"No recorded body for {name}: record it (see the module docstring)."
    recorded = path.read_text(encoding="utf-8")
    if body.decode() == recorded:
        return
    # The same JSON with other whitespace (PostgreSQL wrote a stored JSON list with a space
    # after each comma) is the same body; anything else, key order included, is not.
    assert _pairs(body.decode()) == _pairs(recorded), (
        f"{name}: the body differs from tests/api/golden/{name}.json"
    )


def _pairs(text: str) -> object:
    """The JSON value with every object as its list of (key, value) pairs, in order."""
    return json.loads(text, object_pairs_hook=list)


@pytest.mark.parametrize(("name", "path"), ENDPOINTS, ids=[name for name, _ in ENDPOINTS])
def test_every_endpoint_answers_its_recorded_body(api, hostile, name, path):
    response = _client(api, hostile, "root").get(path)
    assert response.status_code == 200, response.content[:500]
    _check(name, response.content)


@pytest.mark.parametrize(
    ("name", "path", "params", "who", "accept", "zone"),
    VARIANTS,
    ids=[variant[0] for variant in VARIANTS],
)
def test_hot_lists_answer_their_recorded_bodies(
    api, hostile, name, path, params, who, accept, zone
):
    client = _client(api, hostile, who)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    if zone:
        with timezone.override(zone):
            response = client.get(path, params, **headers)
    else:
        response = client.get(path, params, **headers)
    assert response.status_code == 200, response.content[:500]
    _check(name, response.content)
