"""The tenant matrix: every API route × every method it allows × {anonymous, a member of
organization B, an organization-B token, a viewer of organization A (writes only)}, aimed at
organization A's objects. No 2xx may show A's data or change it.

Each route has a case in ``ROUTES``: the A object its URL names and, for each method that
writes, a body aimed at A. The meta-tests fail when a route of the API has no case, or a
writing method has no body, so a new endpoint cannot ship outside the matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from advisories.models import (
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    FeedRun,
    Source,
)
from audit.models import AuditEntry
from audit.services import audit_record
from campaigns.models import Attestation, CampaignEvent, Plan
from exposure.models import Flag, FlagEvent, MatchRun
from notifications.models import Channel, Delivery
from notifications.services import channel_create
from orgs.choices import Role
from orgs.models import ApiToken, ImportJob, InventoryItem, Membership, Organization, User
from orgs.tokens import token_create
from tests.api.factories import FlagEventFactory, FlagFactory
from tests.conftest import Tenants
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
from vendors.models import Product, ProductAlias, Vendor, VendorAlias

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
WRITES = ("post", "put", "patch", "delete")
# Strings that appear only in organization A's rows (and a draft's, which only editors see).
A_MARKERS = (
    "Stadtwerke Alpha",
    "stadtwerke-alpha",
    "AlphaOnlyProduct",
    "alpha-only-note",
    "alpha-only-token",
    "alpha-only-audit",
    "alpha-only-comment",
    "alpha-only-channel",
    "alpha-only-hook",
    "alpha-only-delivery",
    "member-of-alpha",
    "Draft only editors see",
    "alpha-only-import",
    "alpha-only-attestation",
    "alpha-only-evidence",
)


@dataclass
class World:
    """Organization A's objects (and the catalogue) that every case aims at."""

    tenants: Tenants
    item: InventoryItem
    flag: Flag
    membership: Membership
    token: ApiToken
    audit_entry: AuditEntry
    vendor: Vendor
    product: Product
    vendor_alias: VendorAlias
    product_alias: ProductAlias
    source: Source
    draft: Advisory
    advisory: Advisory
    objects: dict[str, Model] = field(default_factory=dict)


@pytest.fixture
def world(tenants: Tenants) -> World:
    vendor = VendorFactory()
    product = ProductFactory(vendor=vendor)
    item = InventoryItemFactory(
        organization=tenants.org_a,
        product=product,
        raw_product="AlphaOnlyProduct",
        notes="alpha-only-note",
    )
    advisory = PublishedAdvisoryFactory()
    # It covers A's item, so that its impact preview would show A's item to A's members.
    AffectedTargetFactory(advisory=advisory, vendor=vendor)
    flag = FlagFactory(advisory=advisory, item=item, assignee=tenants.analyst)
    FlagEventFactory(flag=flag, kind="commented", note="alpha-only-comment")
    member = UserFactory(username="member-of-alpha")
    membership = MembershipFactory(user=member, organization=tenants.org_a, role=Role.VIEWER)
    token, _text = token_create(
        user=tenants.owner, name="alpha-only-token", organization=tenants.org_a
    )
    draft = AdvisoryFactory(title="Draft only editors see")
    AffectedTargetFactory(advisory=draft, vendor=vendor)
    # B's own rows, so that lists are not empty for B's members.
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_b))
    world = World(
        tenants=tenants,
        item=item,
        flag=flag,
        membership=membership,
        token=token,
        audit_entry=audit_record(
            action="test.event", organization=tenants.org_a, object_repr="alpha-only-audit"
        ),
        vendor=vendor,
        product=product,
        vendor_alias=VendorAlias.objects.create(vendor=vendor, name="Vendor Alias"),
        product_alias=ProductAlias.objects.create(product=product, name="Product Alias"),
        source=SourceFactory(),
        draft=draft,
        advisory=advisory,
    )
    campaign_objects(world)
    return world


@pytest.fixture(autouse=True)
def _evidence_storage(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": tmp_path}},
    }


def campaign_objects(world: World) -> None:
    """A replacement campaign over the advisory (A is flagged by it), A's plan, and A's
    attestation with its evidence file."""
    from campaigns.attestations import attestation_submit
    from campaigns.evidence import EvidenceFile
    from campaigns.services import campaign_open

    Advisory.objects.filter(pk=world.advisory.pk).update(recommended_action="replace")
    world.advisory.refresh_from_db()
    analyst = UserFactory(username="matrix-cert-analyst", is_global_analyst=True)
    campaign = campaign_open(advisory=world.advisory, user=analyst)
    plan = campaign.plans.get(organization=world.tenants.org_a)
    attestation = attestation_submit(
        plan=plan,
        milestone=campaign.milestones.first(),
        user=world.tenants.owner,
        statement="alpha-only-attestation",
        files=[EvidenceFile("alpha-only-evidence.pdf", b"%PDF-1.7 alpha-only-evidence")],
    )
    world.objects.update(
        campaign=campaign, plan=plan, attestation=attestation, evidence=attestation.evidence.get()
    )


@dataclass(frozen=True)
class Case:
    """A route's request: the A object in its URL, and a body aimed at A per writing method."""

    target: Callable[[World], Model] | None = None
    bodies: dict[str, Callable[[World], dict[str, Any]]] = field(default_factory=dict)


def body(**values: Callable[[World], Any] | Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {k: v(w) if callable(v) else v for k, v in values.items()}


A = lambda w: w.tenants.org_a.pk  # noqa: E731 - a short name reads best in the table below

ROUTES: dict[str, Case] = {
    "api:root": Case(),
    "api:schema": Case(),
    "api:docs": Case(),
    "api:redoc": Case(),
    # The catalogue: nobody in the matrix may write it.
    "api:vendor-list": Case(bodies={"post": body(name="Forged")}),
    "api:vendor-detail": Case(
        lambda w: w.vendor, {"put": body(name="Forged"), "patch": body(country="RU")}
    ),
    "api:vendoralias-list": Case(
        bodies={"post": body(vendor=lambda w: w.vendor.pk, name="Forged alias")}
    ),
    "api:vendoralias-detail": Case(lambda w: w.vendor_alias),
    "api:product-list": Case(bodies={"post": body(vendor=lambda w: w.vendor.pk, name="Forged")}),
    "api:product-detail": Case(
        lambda w: w.product,
        {"put": body(vendor=lambda w: w.vendor.pk, name="Forged"), "patch": body(name="Forged")},
    ),
    "api:productalias-list": Case(
        bodies={"post": body(product=lambda w: w.product.pk, name="Forged alias")}
    ),
    "api:productalias-detail": Case(lambda w: w.product_alias),
    "api:source-list": Case(bodies={"post": body(name="Forged", slug="forged")}),
    "api:source-detail": Case(
        lambda w: w.source,
        {"put": body(name="Forged", slug="forged"), "patch": body(name="Forged")},
    ),
    "api:advisory-list": Case(
        bodies={
            "post": body(
                source=lambda w: w.source.pk, identifier="X-1", title="Forged", kind="prohibition"
            )
        }
    ),
    "api:advisory-detail": Case(lambda w: w.draft, {"patch": body(title="Forged")}),
    "api:advisory-impact": Case(lambda w: w.advisory),
    "api:advisory-publish": Case(lambda w: w.draft, {"post": body()}),
    "api:advisory-withdraw": Case(lambda w: w.advisory, {"post": body(reason="Forged")}),
    "api:advisory-revisions": Case(lambda w: w.draft),
    "api:advisory-import-csaf": Case(bodies={"post": body()}),
    "api:feedrun-list": Case(),
    "api:feedrun-detail": Case(lambda w: feed_run(w)),
    # Organizations and their members.
    "api:organization-list": Case(bodies={"post": body(name="Forged", slug="forged")}),
    "api:organization-detail": Case(
        lambda w: w.tenants.org_a,
        {
            "put": body(name="Stadtwerke Alpha", slug="stadtwerke-alpha", description="Forged"),
            "patch": body(description="Forged"),
        },
    ),
    "api:membership-list": Case(
        bodies={"post": body(organization=A, user=lambda w: w.tenants.outsider.pk, role="owner")}
    ),
    "api:membership-detail": Case(
        lambda w: w.membership, {"put": body(role="owner"), "patch": body(role="owner")}
    ),
    "api:inventoryitem-list": Case(bodies={"post": body(organization=A, raw_product="Forged")}),
    "api:inventoryitem-detail": Case(
        lambda w: w.item, {"put": body(raw_product="Forged"), "patch": body(version="6.6.6")}
    ),
    "api:token-list": Case(bodies={"post": body(name="forged", organization=A)}),
    "api:token-detail": Case(lambda w: w.token),
    # Uploads are multipart, so this JSON body is refused (415) once past authentication; the
    # cross-organization upload itself is tested in test_imports.py.
    "api:inventory-import-list": Case(bodies={"post": body(organization=A, mode="replace")}),
    "api:inventory-import-detail": Case(lambda w: import_job(w)),
    # Exposure.
    "api:flag-list": Case(),
    "api:flag-detail": Case(lambda w: w.flag),
    "api:flag-events": Case(lambda w: w.flag),
    "api:flag-transition": Case(
        lambda w: w.flag, {"post": body(status="false_positive", reason="Forged")}
    ),
    "api:flag-assign": Case(lambda w: w.flag, {"post": body(assignee=None)}),
    "api:flag-comment": Case(lambda w: w.flag, {"post": body(note="Forged")}),
    "api:flag-bulk-transition": Case(
        bodies={"post": body(flags=lambda w: [w.flag.pk], status="acknowledged")}
    ),
    "api:flag-export": Case(),
    "api:matchrun-list": Case(),
    "api:matchrun-detail": Case(lambda w: match_run(w)),
    "api:auditentry-list": Case(),
    "api:auditentry-detail": Case(lambda w: w.audit_entry),
    # Notifications: channels and deliveries are for the organization's admins only.
    "api:notificationchannel-list": Case(
        bodies={
            "post": body(organization=A, name="Forged", kind="email", recipients=["x@example.org"])
        }
    ),
    "api:notificationchannel-detail": Case(
        lambda w: channel_of_a(w),
        {
            "put": body(organization=A, name="Forged", kind="webhook", url="https://x.example"),
            "patch": body(name="Forged"),
        },
    ),
    "api:notificationchannel-test": Case(lambda w: channel_of_a(w), {"post": body()}),
    "api:notificationchannel-rotate-secret": Case(lambda w: channel_of_a(w), {"post": body()}),
    "api:delivery-list": Case(),
    "api:delivery-detail": Case(lambda w: delivery_of_a(w)),
    # Campaigns: an organization sees its own plan, attestations and evidence only.
    "api:campaign-list": Case(),
    "api:campaign-detail": Case(lambda w: w.objects["campaign"]),
    "api:campaign-progress": Case(lambda w: w.objects["campaign"]),
    "api:campaignplan-list": Case(),
    "api:campaignplan-detail": Case(
        lambda w: w.objects["plan"], {"patch": body(responsible="Forged")}
    ),
    "api:campaignattestation-list": Case(
        bodies={
            "post": body(plan=lambda w: w.objects["plan"].pk, milestone="plan", statement="Forged")
        }
    ),
    "api:campaignattestation-detail": Case(lambda w: w.objects["attestation"]),
    "api:campaignattestation-review": Case(
        lambda w: w.objects["attestation"], {"post": body(decision="accept")}
    ),
    "api:campaignevidence-list": Case(),
    "api:campaignevidence-detail": Case(lambda w: w.objects["evidence"]),
    "api:campaignevidence-download": Case(lambda w: w.objects["evidence"]),
}


def import_job(world: World) -> Model:
    """An inventory import of organization A, created once per world."""
    if "import_job" not in world.objects:
        world.objects["import_job"] = ImportJob.objects.create(
            organization=world.tenants.org_a, file_format="csv", filename="alpha-only-import.csv"
        )
    return world.objects["import_job"]


def match_run(world: World) -> Model:
    """A matching run over organization A, created once per world."""
    if "match_run" not in world.objects:
        world.objects["match_run"] = MatchRun.objects.create(
            kind="organization", organization_ids=[world.tenants.org_a.pk]
        )
    return world.objects["match_run"]


def feed_run(world: World) -> Model:
    """A run of the catalogue source's feed, created once per world."""
    if "feed_run" not in world.objects:
        world.objects["feed_run"] = FeedRun.objects.create(
            source=world.source, feed_kind="csaf_provider", started_at=timezone.now()
        )
    return world.objects["feed_run"]


def api_routes() -> Iterator[tuple[str, Any]]:
    """(name, view) of every route under /api/v1/, from the URL resolver."""

    def walk(
        patterns: list[URLPattern | URLResolver], prefix: str, namespace: str
    ) -> Iterator[tuple[str, str, Any]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                yield prefix + str(pattern.pattern), f"{namespace}{pattern.name}", pattern.callback

    for route, name, view in walk(get_resolver().url_patterns, "", ""):
        if route.startswith(API_PREFIX) or route.startswith(f"^{API_PREFIX}"):
            yield name, view


def allowed_methods(view: Any) -> list[str]:
    """The HTTP methods a route answers, as its view declares them."""
    cls = view.cls
    actions = getattr(view, "actions", None)
    if actions is not None:
        methods = set(actions) & set(cls.http_method_names)
        if "get" in methods:
            methods.add("head")
        return sorted(methods | {"options"})
    return sorted(m for m in cls.http_method_names if m != "trace" and hasattr(cls, m))


def test_every_api_route_is_in_the_matrix():
    names = {name for name, _view in api_routes()}
    assert names - set(ROUTES) == set(), "routes without a case in ROUTES"
    assert set(ROUTES) - names == set(), "cases for routes that no longer exist"


def test_every_writing_method_of_a_route_has_a_body():
    missing = [
        f"{method.upper()} {name}"
        for name, view in api_routes()
        for method in allowed_methods(view)
        if method in WRITES and method != "delete" and method not in ROUTES[name].bodies
    ]
    assert missing == []


def snapshot(world: World) -> str:
    """Every row of organization A and of the catalogue, as one comparable text."""
    org_a = world.tenants.org_a
    querysets = [
        Organization.objects.filter(pk=org_a.pk),
        Membership.objects.filter(organization=org_a),
        InventoryItem.objects.filter(organization=org_a),
        ImportJob.objects.filter(organization=org_a),
        Flag.objects.filter(organization=org_a),
        FlagEvent.objects.filter(flag__organization=org_a),
        ApiToken.objects.filter(organization=org_a).defer("last_used_at"),
        ApiToken.objects.filter(user__memberships__organization=org_a).values("pk", "revoked_at"),
        AuditEntry.objects.filter(organization_id=org_a.pk),
        User.objects.filter(memberships__organization=org_a).values("pk", "is_active"),
        Channel.objects.filter(organization=org_a),
        Delivery.objects.filter(organization=org_a),
        Plan.objects.filter(organization=org_a),
        Attestation.objects.filter(plan__organization=org_a),
        CampaignEvent.objects.filter(organization=org_a),
        Vendor.objects.all(),
        VendorAlias.objects.all(),
        Product.objects.all(),
        ProductAlias.objects.all(),
        Source.objects.all(),
        Advisory.objects.all(),
        AffectedTarget.objects.all(),
        AdvisoryCve.objects.all(),
        AdvisoryReference.objects.all(),
        AdvisoryRevision.objects.all(),
    ]
    rows = [list(qs.order_by("pk").values()) for qs in querysets]
    return json.dumps(rows, default=_comparable, sort_keys=True)


def _comparable(value: Any) -> str:
    # Binary columns (an import's file) come back as memoryviews, whose str() is an address.
    return value.hex() if isinstance(value, memoryview) else str(value)


def reveals_a(world: World, content: bytes) -> list[str]:
    """What of A's a response body shows: markers, or A's organization id in a row."""
    text = content.decode(errors="replace")
    shown = [marker for marker in A_MARKERS if marker in text]
    try:
        data = json.loads(text)
    except ValueError:
        return shown

    def walk(value: Any) -> Iterator[Any]:
        if isinstance(value, dict):
            yield value
            for inner in value.values():
                yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)

    org_a = world.tenants.org_a.pk
    for row in walk(data):
        for key in ("organization", "organization_id"):
            if row.get(key) == org_a:
                shown.append(f"{key}={org_a}")
        if org_a in (row.get("organization_ids") or []):
            shown.append(f"organization_ids∋{org_a}")
    return shown


def _clients(world: World) -> dict[str, tuple[APIClient, tuple[str, ...]]]:
    """Each actor with the methods it is tried with."""
    tenants = world.tenants
    outsider = APIClient()
    outsider.force_login(tenants.outsider)
    _token, text = token_create(
        user=tenants.outsider, name="b", access="read_write", organization=tenants.org_b
    )
    b_token = APIClient()
    b_token.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    viewer = APIClient()
    viewer.force_login(tenants.viewer)
    every = ("get", "head", "options", *WRITES)
    return {
        "anonymous": (APIClient(), every),
        "member of B": (outsider, every),
        "token of B": (b_token, every),
        "viewer of A": (viewer, WRITES),
    }


def test_nobody_outside_organization_a_sees_or_changes_its_data(world):
    failures = []
    for actor, (client, tried) in _clients(world).items():
        for name, view in sorted(api_routes(), key=lambda pair: pair[0]):
            case = ROUTES[name]
            target = case.target(world) if case.target else None
            url = reverse(name, kwargs={"pk": target.pk} if target is not None else None)
            for method in allowed_methods(view):
                if method not in tried:
                    continue
                before = snapshot(world)
                data = case.bodies[method](world) if method in case.bodies else None
                response = getattr(client, method)(url, data, format="json")
                changed = snapshot(world) != before
                shown = reveals_a(
                    world, b"".join(response) if response.streaming else response.content
                )
                ok = 200 <= response.status_code < 300
                if changed or (ok and shown):
                    failures.append(
                        f"{actor}: {method.upper()} {url} → {response.status_code}"
                        f"{' changed A' if changed else ''}{f' showed {shown}' if shown else ''}"
                    )
    assert failures == []


def test_the_matrix_would_catch_a_leak(world):
    """The detectors themselves: A's own owner does see and change A's data."""
    owner = APIClient()
    owner.force_login(world.tenants.owner)
    assert reveals_a(world, owner.get(reverse("api:inventoryitem-list")).content)
    before = snapshot(world)
    owner.post(reverse("api:flag-comment", kwargs={"pk": world.flag.pk}), {"note": "x"})
    assert snapshot(world) != before


def channel_of_a(world: World) -> Model:
    """A webhook channel of organization A (one per world)."""
    existing = Channel.objects.filter(organization=world.tenants.org_a).first()
    if existing is not None:
        return existing
    channel, _secret = channel_create(
        organization=world.tenants.org_a,
        kind="webhook",
        actor=world.tenants.owner,
        name="alpha-only-channel",
        url="https://soar.example.org/alpha-only-hook",
    )
    return channel


def delivery_of_a(world: World) -> Model:
    """A delivery to organization A's channel (one per world)."""
    existing = Delivery.objects.filter(organization=world.tenants.org_a).first()
    if existing is not None:
        return existing
    return Delivery.objects.create(
        organization=world.tenants.org_a,
        channel=channel_of_a(world),
        kind="test",
        last_error="alpha-only-delivery",
    )
