"""Every write leaves an audit entry: who (actor), where (organization), what (action and
object) and the values before and after. One case per write path, each made through the
service or endpoint that real callers use."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from advisories.choices import AdvisoryKind, Severity, TargetKind
from advisories.feeds.services import epss_import
from advisories.models import Advisory
from advisories.services import advisory_create, advisory_publish, advisory_update
from audit.models import AuditEntry
from exposure.choices import FlagStatus
from exposure.models import Flag
from exposure.triage import flag_assign, flag_comment, flags_bulk_transition
from notifications.choices import ChannelKind
from notifications.models import Channel
from notifications.services import (
    channel_create,
    channel_delete,
    channel_secret_rotate,
    channel_test,
    channel_update,
)
from notifications.sla import risk_acceptances_expire
from orgs.administration import membership_delete, membership_update
from orgs.choices import Role
from orgs.importers.common import RowError
from orgs.importers.services import inventory_import_refuse
from orgs.models import InventoryItem, Membership, Organization, User
from orgs.services import (
    inventory_item_create,
    inventory_item_delete,
    inventory_item_update,
    inventory_items_bulk_create,
)
from orgs.tokens import token_create
from tests.advisories.feeds.conftest import OWN_FIXTURES
from tests.api.factories import FlagFactory
from tests.conftest import Tenants
from tests.factories import (
    TEST_PASSWORD,
    InventoryItemFactory,
    MembershipFactory,
    ProductFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)
from vendors.models import Product
from vendors.services import vendor_create

pytestmark = pytest.mark.django_db


@dataclass
class World:
    tenants: Tenants
    editor: User
    product: Product
    draft: Advisory
    published: Advisory
    item: InventoryItem
    flag: Flag
    channel: Channel


@pytest.fixture
def world(tenants: Tenants) -> World:
    editor = UserFactory(username="editor", is_advisory_editor=True)
    product = ProductFactory(vendor=VendorFactory(name="Kaspersky"), name="Endpoint Security")
    source = SourceFactory()
    draft = advisory_create(
        user=editor,
        source=source,
        identifier="BSI-DRAFT-1",
        title="Draft warning",
        kind=AdvisoryKind.VENDOR_WARNING,
        severity=Severity.HIGH,
        targets=[{"kind": TargetKind.PRODUCT, "product": product}],
    )
    published = advisory_publish(
        advisory=advisory_create(
            user=editor,
            source=source,
            identifier="BSI-2022-0315",
            title="Replace Kaspersky",
            kind=AdvisoryKind.VENDOR_WARNING,
            severity=Severity.HIGH,
        ),
        user=editor,
    )
    item = InventoryItemFactory(organization=tenants.org_a, product=product)
    flag = FlagFactory(advisory=published, item=item)
    channel, _secret = channel_create(
        organization=tenants.org_a,
        kind=ChannelKind.WEBHOOK,
        actor=tenants.owner,
        name="SOAR",
        url="https://soar.example.org/hook",
    )
    return World(tenants, editor, product, draft, published, item, flag, channel)


@dataclass
class Expected:
    """The entry a write must leave: ``before``/``after`` list values it must contain."""

    action: str
    actor: User | None
    organization: Organization | None
    object_type: str
    object_id: Any
    before: dict[str, Any] | None = None
    after: dict[str, Any] = field(default_factory=dict)


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the write paths -------------------------------------------------------------------------


def advisory_created(w: World) -> Expected:
    advisory = advisory_create(
        user=w.editor,
        source=w.draft.source,
        identifier="CERT-IT-2022-03",
        title="Assess Russian products",
        kind=AdvisoryKind.VENDOR_WARNING,
        severity=Severity.MEDIUM,
    )
    return Expected(
        "advisory.create",
        w.editor,
        None,
        "advisories.advisory",
        advisory.pk,
        after={"title": "Assess Russian products", "status": "draft"},
    )


def csaf_imported(w: World) -> Expected:
    document = json.loads((OWN_FIXTURES / "acme-2026-0001.json").read_text())
    document["vulnerabilities"][0]["cwe"] = {"id": "CWE-200", "name": "Information leak"}
    response = api(w.editor).post("/api/v1/advisories/import-csaf/", document, format="json")
    assert response.status_code == 201, response.json()
    return Expected(
        "advisory.import_csaf",
        w.editor,
        None,
        "advisories.advisory",
        response.json()["advisory"],
        after={"outcome": "imported", "advisory_status": "published", "violations": 1},
    )


def epss_imported(w: World) -> Expected:
    source = SourceFactory(slug="first-epss", feed_kind="first_epss", feed_url="https://x.test/")
    epss_import(content=(OWN_FIXTURES / "epss-small.csv").read_bytes(), source=source)
    return Expected(
        "signals.import_epss",
        None,
        None,
        "advisories.source",
        source.pk,
        after={"scored_on": "2026-01-20", "created": 4, "updated": 0},
    )


def advisory_published(w: World) -> Expected:
    response = api(w.editor).post(f"/api/v1/advisories/{w.draft.pk}/publish/")
    assert response.status_code == 200, response.json()
    return Expected(
        "advisory.publish",
        w.editor,
        None,
        "advisories.advisory",
        w.draft.pk,
        before={"status": "draft"},
        after={"status": "published"},
    )


def advisory_withdrawn(w: World) -> Expected:
    response = api(w.editor).post(
        f"/api/v1/advisories/{w.published.pk}/withdraw/", {"reason": "Issued in error."}
    )
    assert response.status_code == 200, response.json()
    return Expected(
        "advisory.withdraw",
        w.editor,
        None,
        "advisories.advisory",
        w.published.pk,
        before={"status": "published"},
        after={"status": "withdrawn", "reason": "Issued in error."},
    )


def advisory_updated(w: World) -> Expected:
    advisory_update(advisory=w.draft, data={"severity": Severity.CRITICAL}, user=w.editor)
    return Expected(
        "advisory.update",
        w.editor,
        None,
        "advisories.advisory",
        w.draft.pk,
        before={"severity": "high"},
        after={"severity": "critical"},
    )


def advisory_targets_edited(w: World) -> Expected:
    other = ProductFactory(vendor=w.product.vendor, name="Anti-Virus")
    advisory_update(
        advisory=w.draft,
        data={},
        targets=[{"kind": TargetKind.PRODUCT, "product": other}],
        user=w.editor,
    )
    return Expected(
        "advisory.update",
        w.editor,
        None,
        "advisories.advisory",
        w.draft.pk,
        before={"targets": [str(w.product)]},
        after={"targets": [str(other)]},
    )


def inventory_item_created(w: World) -> Expected:
    item = inventory_item_create(
        organization=w.tenants.org_a,
        data={"raw_vendor": "Hikvision", "raw_product": "DS-2CD2043G0", "version": "5.5"},
        user=w.tenants.analyst,
    )
    return Expected(
        "inventory.item_create",
        w.tenants.analyst,
        w.tenants.org_a,
        "orgs.inventoryitem",
        item.pk,
        after={"raw_product": "DS-2CD2043G0", "version": "5.5"},
    )


def inventory_item_updated(w: World) -> Expected:
    inventory_item_update(item=w.item, data={"version": "21.3.10"}, user=w.tenants.analyst)
    return Expected(
        "inventory.item_update",
        w.tenants.analyst,
        w.tenants.org_a,
        "orgs.inventoryitem",
        w.item.pk,
        before={"version": "1.0"},
        after={"version": "21.3.10"},
    )


def inventory_item_deleted(w: World) -> Expected:
    inventory_item_delete(item=w.item, user=w.tenants.analyst)
    return Expected(
        "inventory.item_delete",
        w.tenants.analyst,
        w.tenants.org_a,
        "orgs.inventoryitem",
        w.item.pk,
        before={"version": "1.0"},
    )


def inventory_imported(w: World) -> Expected:
    inventory_items_bulk_create(
        organization=w.tenants.org_a,
        items=[{"raw_vendor": "Siemens", "raw_product": "SCALANCE X200", "source": "csv"}],
        replace_source="csv",
        user=w.tenants.analyst,
    )
    return Expected(
        "inventory.bulk_create",
        w.tenants.analyst,
        w.tenants.org_a,
        "orgs.inventoryitem",
        "",
        after={"replace_source": "csv", "created": 1, "removed": 0},
    )


def inventory_import_refused(w: World) -> Expected:
    job = inventory_import_refuse(
        organization=w.tenants.org_a,
        user=w.tenants.analyst,
        file_format="csv",
        mode="add",
        filename="notes.csv",
        errors=[RowError("line 1", "the header needs a product, cpe or purl column")],
    )
    return Expected(
        "inventory.import",
        w.tenants.analyst,
        w.tenants.org_a,
        "orgs.importjob",
        job.pk,
        after={"filename": "notes.csv", "status": "failed"},
    )


def flag_status_changed(w: World) -> Expected:
    response = api(w.tenants.analyst).post(
        f"/api/v1/flags/{w.flag.pk}/transition/", {"status": "acknowledged"}
    )
    assert response.status_code == 200, response.json()
    return Expected(
        "flag.status_change",
        w.tenants.analyst,
        w.tenants.org_a,
        "exposure.flag",
        w.flag.pk,
        before={"status": "open"},
        after={"status": "acknowledged"},
    )


def flags_bulk_changed(w: World) -> Expected:
    second = FlagFactory(advisory=w.draft, item=w.item)
    flags_bulk_transition(
        flag_ids=[w.flag.pk, second.pk],
        status=FlagStatus.FALSE_POSITIVE,
        reason="Not installed.",
        user=w.tenants.analyst,
    )
    assert AuditEntry.objects.filter(action="flag.status_change").count() == 2
    return Expected(
        "flag.status_change",
        w.tenants.analyst,
        w.tenants.org_a,
        "exposure.flag",
        second.pk,
        before={"status": "open"},
        after={"status": "false_positive", "reason": "Not installed."},
    )


def flag_assigned(w: World) -> Expected:
    flag_assign(flag=w.flag, assignee=w.tenants.owner, user=w.tenants.analyst)
    return Expected(
        "flag.assign",
        w.tenants.analyst,
        w.tenants.org_a,
        "exposure.flag",
        w.flag.pk,
        before={"assignee": None},
        after={"assignee": w.tenants.owner.pk},
    )


def flag_commented(w: World) -> Expected:
    flag_comment(flag=w.flag, note="Replacement ordered.", user=w.tenants.analyst)
    return Expected(
        "flag.comment",
        w.tenants.analyst,
        w.tenants.org_a,
        "exposure.flag",
        w.flag.pk,
        after={"note": "Replacement ordered."},
    )


def risk_acceptance_expired(w: World) -> Expected:
    Flag.objects.filter(pk=w.flag.pk).update(
        status=FlagStatus.RISK_ACCEPTED,
        risk_accepted_until=timezone.localdate() - datetime.timedelta(days=1),
    )
    risk_acceptances_expire()
    return Expected(
        "flag.reopen",
        None,
        w.tenants.org_a,
        "exposure.flag",
        w.flag.pk,
        before={"status": "risk_accepted"},
        after={"status": "open"},
    )


def token_created(w: World) -> Expected:
    response = web(w.tenants.owner).post(
        reverse("tokens"),
        {"name": "SIEM export", "access": "read", "organization": w.tenants.org_a.pk},
    )
    assert response.status_code == 200
    token = w.tenants.owner.api_tokens.get(name="SIEM export")
    return Expected(
        "token.create",
        w.tenants.owner,
        w.tenants.org_a,
        "orgs.apitoken",
        token.pk,
        after={"name": "SIEM export", "access": "read", "prefix": token.prefix},
    )


def token_revoked(w: World) -> Expected:
    token, _text = token_create(user=w.tenants.owner, name="old", organization=w.tenants.org_a)
    response = api(w.tenants.owner).delete(f"/api/v1/tokens/{token.pk}/")
    assert response.status_code == 204
    return Expected(
        "token.revoke",
        w.tenants.owner,
        w.tenants.org_a,
        "orgs.apitoken",
        token.pk,
        after={"prefix": token.prefix},
    )


def member_added(w: World) -> Expected:
    newcomer = UserFactory(username="newcomer")
    MembershipFactory(user=newcomer, organization=w.tenants.org_b, role=Role.VIEWER)
    MembershipFactory(user=w.tenants.owner, organization=w.tenants.org_b, role=Role.VIEWER)
    response = api(w.tenants.owner).post(
        "/api/v1/memberships/",
        {"organization": w.tenants.org_a.pk, "user": newcomer.pk, "role": "analyst"},
    )
    assert response.status_code == 201, response.json()
    return Expected(
        "membership.create",
        w.tenants.owner,
        w.tenants.org_a,
        "orgs.membership",
        response.json()["id"],
        after={"user": newcomer.pk, "role": "analyst"},
    )


def member_role_changed(w: World) -> Expected:
    membership = Membership.objects.get(user=w.tenants.viewer, organization=w.tenants.org_a)
    membership_update(membership=membership, role=Role.ADMIN, actor=w.tenants.owner)
    return Expected(
        "membership.role_change",
        w.tenants.owner,
        w.tenants.org_a,
        "orgs.membership",
        membership.pk,
        before={"role": "viewer"},
        after={"role": "admin"},
    )


def member_removed(w: World) -> Expected:
    membership = Membership.objects.get(user=w.tenants.viewer, organization=w.tenants.org_a)
    pk = membership.pk
    membership_delete(membership=membership, actor=w.tenants.owner)
    return Expected(
        "membership.delete",
        w.tenants.owner,
        w.tenants.org_a,
        "orgs.membership",
        pk,
        before={"user": w.tenants.viewer.pk, "role": "viewer"},
    )


def sla_changed(w: World) -> Expected:
    response = web(w.tenants.owner).post(
        reverse("notifications:sla_edit", kwargs={"slug": w.tenants.org_a.slug}),
        {"sla_critical_days": 2, "sla_high_days": 30, "sla_medium_days": 90, "sla_low_days": 180},
    )
    assert response.status_code == 302
    return Expected(
        "organization.update",
        w.tenants.owner,
        w.tenants.org_a,
        "orgs.organization",
        w.tenants.org_a.pk,
        before={"sla_critical_days": 7},
        after={"sla_critical_days": 2},
    )


def saml_provider_added(w: World) -> Expected:
    from orgs.saml import saml_provider_save
    from tests.saml_idp.fixtures import key_and_certificate

    staff = UserFactory(username="root", is_staff=True)
    provider = saml_provider_save(
        actor=staff,
        name="Alpha SAML",
        organization=w.tenants.org_a,
        entity_id="https://idp.alpha.example/saml",
        sso_url="https://idp.alpha.example/saml/sso",
        certificate=key_and_certificate("Alpha IdP")[1],
        email_attribute="mail",
    )
    return Expected(
        "identityprovider.create",
        staff,
        w.tenants.org_a,
        "orgs.identityprovider",
        provider.pk,
        after={
            "provider_id": "saml-stadtwerke-alpha",
            "sso_url": "https://idp.alpha.example/saml/sso",
        },
    )


def oidc_provider_added(w: World) -> Expected:
    from orgs.sso import identity_provider_save

    staff = UserFactory(username="root", is_staff=True)
    provider = identity_provider_save(
        actor=staff,
        name="Alpha ID",
        provider_id="alpha-id",
        issuer_url="https://id.alpha.example/realms/staff",
        client_id="vendorwatch",
        secret="s3cret",
        organization=w.tenants.org_a,
        email_domains="alpha.example",
    )
    return Expected(
        "identityprovider.create",
        staff,
        w.tenants.org_a,
        "orgs.identityprovider",
        provider.pk,
        after={"provider_id": "alpha-id", "email_domains": ["alpha.example"]},
    )


def oidc_provider_changed(w: World) -> Expected:
    from orgs.sso import identity_provider_save

    staff = UserFactory(username="root", is_staff=True)
    fields = {
        "name": "Alpha ID",
        "provider_id": "alpha-id",
        "issuer_url": "https://id.alpha.example/realms/staff",
        "client_id": "vendorwatch",
        "secret": "s3cret",
        "organization": w.tenants.org_a,
    }
    provider = identity_provider_save(actor=staff, **fields)
    identity_provider_save(
        actor=staff, provider=provider, **{**fields, "email_domains": "alpha.example"}
    )
    return Expected(
        "identityprovider.update",
        staff,
        w.tenants.org_a,
        "orgs.identityprovider",
        provider.pk,
        before={"email_domains": []},
        after={"email_domains": ["alpha.example"]},
    )


def channel_created(w: World) -> Expected:
    channel, _secret = channel_create(
        organization=w.tenants.org_a,
        kind=ChannelKind.EMAIL,
        actor=w.tenants.owner,
        name="SOC mailbox",
        recipients=["soc@alpha.example"],
    )
    return Expected(
        "notification_channel.create",
        w.tenants.owner,
        w.tenants.org_a,
        "notifications.channel",
        channel.pk,
        after={"name": "SOC mailbox", "kind": "email", "recipients": ["soc@alpha.example"]},
    )


def channel_changed(w: World) -> Expected:
    channel_update(channel=w.channel, data={"min_severity": "high"}, actor=w.tenants.owner)
    return Expected(
        "notification_channel.update",
        w.tenants.owner,
        w.tenants.org_a,
        "notifications.channel",
        w.channel.pk,
        before={"min_severity": "none"},
        after={"min_severity": "high"},
    )


def channel_deleted(w: World) -> Expected:
    pk = w.channel.pk
    channel_delete(channel=w.channel, actor=w.tenants.owner)
    return Expected(
        "notification_channel.delete",
        w.tenants.owner,
        w.tenants.org_a,
        "notifications.channel",
        pk,
        before={"name": "SOAR", "target": "https://soar.example.org/…"},
    )


def channel_secret_rotated(w: World) -> Expected:
    channel_secret_rotate(channel=w.channel, actor=w.tenants.owner)
    return Expected(
        "notification_channel.rotate_secret",
        w.tenants.owner,
        w.tenants.org_a,
        "notifications.channel",
        w.channel.pk,
    )


def channel_tested(w: World) -> Expected:
    delivery = channel_test(channel=w.channel, actor=w.tenants.owner)
    return Expected(
        "notification_channel.test",
        w.tenants.owner,
        w.tenants.org_a,
        "notifications.channel",
        w.channel.pk,
        after={"delivery": delivery.pk},
    )


def admin_form(client: Client, url: str) -> dict[str, Any]:
    """The values an admin change page would post back unchanged: its form, and each inline
    formset with its management form."""
    context = client.get(url).context
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            widget = bound.field.widget
            suffixes = getattr(widget, "widgets_names", None)
            if suffixes:
                # A split widget (date and time) posts one value per part.
                parts = value if isinstance(value, list | tuple) else widget.decompress(value)
                for suffix, part in zip(suffixes, parts, strict=True):
                    data[f"{bound.html_name}{suffix}"] = "" if part is None else part
                continue
            data[bound.html_name] = value

    add(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def admin_client() -> Client:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return web(root)


def sla_changed_in_the_admin(w: World) -> Expected:
    client = admin_client()
    url = reverse("admin:orgs_organization_change", args=[w.tenants.org_a.pk])
    response = client.post(url, {**admin_form(client, url), "sla_high_days": 10})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Expected(
        "organization.update",
        User.objects.get(username="root"),
        w.tenants.org_a,
        "orgs.organization",
        w.tenants.org_a.pk,
        before={"sla_high_days": 30},
        after={"sla_high_days": 10},
    )


def member_role_changed_in_the_admin(w: World) -> Expected:
    client = admin_client()
    membership = Membership.objects.get(user=w.tenants.viewer, organization=w.tenants.org_a)
    url = reverse("admin:orgs_membership_change", args=[membership.pk])
    response = client.post(url, {**admin_form(client, url), "role": "analyst"})
    assert response.status_code == 302
    return Expected(
        "membership.role_change",
        User.objects.get(username="root"),
        w.tenants.org_a,
        "orgs.membership",
        membership.pk,
        before={"role": "viewer"},
        after={"role": "analyst"},
    )


def member_removed_in_the_organization_admin(w: World) -> Expected:
    client = admin_client()
    url = reverse("admin:orgs_organization_change", args=[w.tenants.org_a.pk])
    data = admin_form(client, url)
    membership = Membership.objects.get(user=w.tenants.viewer, organization=w.tenants.org_a)
    [row] = [
        key[: -len("-id")]
        for key, value in data.items()
        if key.endswith("-id") and str(value) == str(membership.pk)
    ]
    response = client.post(url, {**data, f"{row}-DELETE": "on"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    return Expected(
        "membership.delete",
        User.objects.get(username="root"),
        w.tenants.org_a,
        "orgs.membership",
        membership.pk,
        before={"user": w.tenants.viewer.pk, "role": "viewer"},
    )


def token_revoked_in_the_admin(w: World) -> Expected:
    token, _text = token_create(user=w.tenants.analyst, name="leaked")
    client = admin_client()
    url = reverse("admin:orgs_apitoken_change", args=[token.pk])
    now = timezone.localtime()
    response = client.post(
        url,
        {
            **admin_form(client, url),
            "revoked_at_0": now.date().isoformat(),
            "revoked_at_1": now.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302
    return Expected(
        "token.revoke",
        User.objects.get(username="root"),
        None,
        "orgs.apitoken",
        token.pk,
        before={"revoked_at": None},
        after={"prefix": token.prefix},
    )


def platform_role_granted_in_the_admin(w: World) -> Expected:
    client = admin_client()
    url = reverse("admin:orgs_user_change", args=[w.tenants.analyst.pk])
    response = client.post(url, {**admin_form(client, url), "is_global_analyst": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Expected(
        "user.update",
        User.objects.get(username="root"),
        None,
        "orgs.user",
        w.tenants.analyst.pk,
        before={"is_global_analyst": False},
        after={"is_global_analyst": True},
    )


def source_changed_in_the_admin(w: World) -> Expected:
    source = w.published.source
    client = admin_client()
    url = reverse("admin:advisories_source_change", args=[source.pk])
    old_name = source.name
    response = client.post(url, {**admin_form(client, url), "name": "Bundesamt (renamed)"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Expected(
        "source.admin_update",
        User.objects.get(username="root"),
        None,
        "advisories.source",
        source.pk,
        before={"name": old_name},
        after={"name": "Bundesamt (renamed)"},
    )


def cve_removed_in_the_admin(w: World) -> Expected:
    cve = w.published.cves.create(cve_id="CVE-2026-12345")
    client = admin_client()
    url = reverse("admin:advisories_advisorycve_delete", args=[cve.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not w.published.cves.filter(pk=cve.pk).exists()
    return Expected(
        "advisorycve.admin_delete",
        User.objects.get(username="root"),
        None,
        "advisories.advisorycve",
        cve.pk,
        before={"cve_id": "CVE-2026-12345", "advisory": w.published.pk},
    )


def password_changed_in_the_admin(w: World) -> Expected:
    client = admin_client()
    url = reverse("admin:auth_user_password_change", args=[w.tenants.viewer.pk])
    new = "Lantern-Orchard-Quiet-93"
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302, response.context["form"].errors
    w.tenants.viewer.refresh_from_db()
    assert w.tenants.viewer.check_password(new)
    return Expected(
        "user.password_change",
        User.objects.get(username="root"),
        None,
        "orgs.user",
        w.tenants.viewer.pk,
        after={"password": "(changed)"},
    )


def vendor_created(w: World) -> Expected:
    vendor = vendor_create(data={"name": "Hikvision", "country": "CN"}, user=w.editor)
    return Expected(
        "vendor.create", w.editor, None, "vendors.vendor", vendor.pk, after={"name": "Hikvision"}
    )


def signed_in(w: World) -> Expected:
    response = Client().post(
        reverse("account_login"), {"login": w.tenants.analyst.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return Expected("auth.login", w.tenants.analyst, None, "orgs.user", w.tenants.analyst.pk)


def sign_in_failed(w: World) -> Expected:
    response = Client().post(
        reverse("account_login"), {"login": w.tenants.analyst.username, "password": "wrong"}
    )
    assert response.status_code == 200
    return Expected(
        "auth.login_failed",
        None,
        None,
        "auth.user",
        "",
        after={"username": w.tenants.analyst.username},
    )


def _provider(w: World) -> Any:
    from allauth.socialaccount.models import SocialApp

    from orgs.models import IdentityProvider, ProviderRule

    app = SocialApp.objects.create(
        provider="openid_connect", provider_id="cert-id", name="CERT ID", client_id="vw"
    )
    provider = IdentityProvider.objects.create(app=app, email_domains="cert.example")
    ProviderRule.objects.create(
        provider=provider, value="a-analysts", organization=w.tenants.org_a, role=Role.ANALYST
    )
    ProviderRule.objects.create(provider=provider, value="editors", advisory_editor=True)
    return provider


def sso_role_granted(w: World) -> Expected:
    from orgs.sso import provisioning_apply

    user = UserFactory()
    provisioning_apply(user=user, provider=_provider(w), claims={"groups": ["a-analysts"]})
    return Expected(
        "auth.sso_role_granted",
        None,
        w.tenants.org_a,
        "orgs.user",
        user.pk,
        after={"role": "analyst", "provider": "cert-id"},
    )


def sso_platform_role_removed(w: World) -> Expected:
    from orgs.sso import provisioning_apply

    user = UserFactory(is_advisory_editor=True)
    provisioning_apply(user=user, provider=_provider(w), claims={"groups": []})
    return Expected(
        "auth.sso_platform_role_removed",
        None,
        None,
        "orgs.user",
        user.pk,
        after={"role": "advisory_editor", "provider": "cert-id"},
    )


def _campaign(w: World) -> Any:
    from advisories.choices import RecommendedAction
    from campaigns.services import campaign_open

    Advisory.objects.filter(pk=w.published.pk).update(recommended_action=RecommendedAction.REPLACE)
    w.published.refresh_from_db()
    analyst = UserFactory(username="cert-analyst", is_global_analyst=True)
    return campaign_open(advisory=w.published, user=analyst), analyst


def campaign_opened(w: World) -> Expected:
    campaign, analyst = _campaign(w)
    return Expected(
        "campaign.open",
        analyst,
        None,
        "campaigns.campaign",
        campaign.pk,
        after={"scope": "flagged"},
    )


def campaign_closed(w: World) -> Expected:
    from campaigns.services import campaign_close

    campaign, analyst = _campaign(w)
    campaign_close(campaign=campaign, user=analyst)
    return Expected("campaign.close", analyst, None, "campaigns.campaign", campaign.pk)


def campaign_milestone_moved(w: World) -> Expected:
    from campaigns.services import milestone_update

    campaign, analyst = _campaign(w)
    milestone = campaign.milestones.first()
    due = milestone.due_on + datetime.timedelta(days=1)
    milestone_update(milestone=milestone, user=analyst, due_on=due)
    return Expected(
        "campaign.milestone_update",
        analyst,
        None,
        "campaigns.milestone",
        milestone.pk,
        after={"due_on": due.isoformat()},
    )


def campaign_plan_saved(w: World) -> Expected:
    from campaigns.services import plan_update

    campaign, _analyst = _campaign(w)
    plan = campaign.plans.get(organization=w.tenants.org_a)
    plan_update(plan=plan, user=w.tenants.owner, data={"responsible": "Ada"})
    return Expected(
        "campaign.plan_update",
        w.tenants.owner,
        w.tenants.org_a,
        "campaigns.plan",
        plan.pk,
        before={"responsible": ""},
        after={"responsible": "Ada"},
    )


def campaign_attested(w: World) -> Expected:
    from campaigns.attestations import attestation_submit

    campaign, _analyst = _campaign(w)
    attestation = attestation_submit(
        plan=campaign.plans.get(organization=w.tenants.org_a),
        milestone=campaign.milestones.first(),
        user=w.tenants.owner,
        statement="Found two clients.",
    )
    return Expected(
        "campaign.attest",
        w.tenants.owner,
        w.tenants.org_a,
        "campaigns.attestation",
        attestation.pk,
        after={"statement": "Found two clients.", "status": "submitted"},
    )


def campaign_attestation_returned(w: World) -> Expected:
    from campaigns.attestations import attestation_review, attestation_submit

    campaign, analyst = _campaign(w)
    attestation = attestation_submit(
        plan=campaign.plans.get(organization=w.tenants.org_a),
        milestone=campaign.milestones.first(),
        user=w.tenants.owner,
        statement="Found two clients.",
    )
    attestation_review(attestation=attestation, user=analyst, accept=False, reason="No scan.")
    return Expected(
        "campaign.attestation_return",
        analyst,
        w.tenants.org_a,
        "campaigns.attestation",
        attestation.pk,
        before={"status": "submitted"},
        after={"status": "returned", "review_reason": "No scan."},
    )


def saved_view_created(w: World) -> Expected:
    response = web(w.tenants.analyst).post(
        reverse("exposure:saved_view_create"),
        {
            "name": "Overdue",
            "page": "flags",
            "query": "overdue=true",
            "organization": w.tenants.org_a.pk,
        },
    )
    assert response.status_code == 302
    from exposure.models import SavedView

    view = SavedView.objects.get(name="Overdue")
    return Expected(
        "saved_view.create",
        w.tenants.analyst,
        w.tenants.org_a,
        "exposure.savedview",
        view.pk,
        after={"name": "Overdue", "query": "overdue=true", "organization": w.tenants.org_a.pk},
    )


def saved_view_deleted(w: World) -> Expected:
    from exposure.models import SavedView

    view = SavedView.objects.create(owner=w.tenants.analyst, name="Mine", page="flags")
    response = web(w.tenants.analyst).post(
        reverse("exposure:saved_view_delete", kwargs={"pk": view.pk})
    )
    assert response.status_code == 302
    return Expected(
        "saved_view.delete",
        w.tenants.analyst,
        None,
        "exposure.savedview",
        view.pk,
        before={"name": "Mine"},
    )


WRITES: dict[str, Callable[[World], Expected]] = {
    "advisory create": advisory_created,
    "CSAF import": csaf_imported,
    "EPSS import": epss_imported,
    "advisory publish": advisory_published,
    "advisory withdraw": advisory_withdrawn,
    "advisory update": advisory_updated,
    "advisory target edit": advisory_targets_edited,
    "inventory item create": inventory_item_created,
    "inventory item update": inventory_item_updated,
    "inventory item delete": inventory_item_deleted,
    "inventory import": inventory_imported,
    "inventory upload refused": inventory_import_refused,
    "flag status change": flag_status_changed,
    "flag bulk status change": flags_bulk_changed,
    "flag assignment": flag_assigned,
    "flag comment": flag_commented,
    "risk acceptance expiry": risk_acceptance_expired,
    "token create": token_created,
    "token revoke": token_revoked,
    "membership create": member_added,
    "membership role change": member_role_changed,
    "membership delete": member_removed,
    "membership role change in the admin": member_role_changed_in_the_admin,
    "membership removal in the organization admin": member_removed_in_the_organization_admin,
    "sla change in the admin": sla_changed_in_the_admin,
    "token revoke in the admin": token_revoked_in_the_admin,
    "platform role change in the admin": platform_role_granted_in_the_admin,
    "source change in the admin": source_changed_in_the_admin,
    "cve removal in the admin": cve_removed_in_the_admin,
    "password change in the admin": password_changed_in_the_admin,
    "sla change": sla_changed,
    "channel create": channel_created,
    "saml provider create": saml_provider_added,
    "openid connect provider create": oidc_provider_added,
    "openid connect provider update": oidc_provider_changed,
    "channel update": channel_changed,
    "channel delete": channel_deleted,
    "channel secret rotation": channel_secret_rotated,
    "channel test": channel_tested,
    "catalogue change": vendor_created,
    "campaign open": campaign_opened,
    "campaign close": campaign_closed,
    "campaign milestone move": campaign_milestone_moved,
    "campaign plan": campaign_plan_saved,
    "campaign attestation": campaign_attested,
    "campaign attestation review": campaign_attestation_returned,
    "saved view create": saved_view_created,
    "saved view delete": saved_view_deleted,
    "sign-in": signed_in,
    "failed sign-in": sign_in_failed,
    "single sign-on role grant": sso_role_granted,
    "single sign-on platform role removal": sso_platform_role_removed,
}


def _contains(recorded: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    return all((recorded or {}).get(name) == value for name, value in expected.items())


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_path_leaves_an_audit_entry(world, write):
    started = timezone.now()
    newest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    expected = WRITES[write](world)

    entries = AuditEntry.objects.filter(pk__gt=newest, action=expected.action).order_by("-pk")
    assert entries.exists(), f"{write}: no {expected.action} entry"
    entry = entries.filter(object_id=str(expected.object_id)).first()
    assert entry is not None, f"{write}: no entry for object {expected.object_id}"
    assert entry.actor_id == (expected.actor.pk if expected.actor else None)
    assert entry.actor_name == (expected.actor.username if expected.actor else "")
    assert entry.organization_id == (expected.organization.pk if expected.organization else None)
    assert entry.organization_name == (expected.organization.name if expected.organization else "")
    assert entry.object_type == expected.object_type
    assert entry.created_at >= started
    if expected.before is not None:
        assert _contains(entry.before, expected.before), entry.before
    assert _contains(entry.after, expected.after), entry.after


def _match_run(w: World) -> Any:
    from exposure.models import MatchRun

    return MatchRun.objects.create(kind="advisory")


# What the admin must not delete, and how to find one of each in the world.
UNDELETABLE: dict[str, Callable[[World], Any]] = {
    "admin:exposure_flag_delete": lambda w: w.flag,
    "admin:vendors_vendor_delete": lambda w: w.product.vendor,
    "admin:vendors_product_delete": lambda w: w.product,
    "admin:advisories_advisoryrevision_delete": lambda w: w.published.revisions.first(),
    "admin:exposure_matchrun_delete": _match_run,
}


@pytest.mark.parametrize("url_name", sorted(UNDELETABLE))
def test_the_admin_refuses_to_delete_records_and_catalogue_rows(world, url_name):
    """Deleting these would erase history or silently change what advisories match."""
    obj = UNDELETABLE[url_name](world)
    assert obj is not None
    response = admin_client().post(reverse(url_name, args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
