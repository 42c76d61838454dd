"""Every page of the site × {anonymous, viewer of organization A, member of organization B
only}: nobody sees another organization's data.

The meta-test fails when a URL pattern has no case here, so a new page cannot ship without
joining the matrix. The admin is Django's own, for staff only, and the REST API has its own
matrix in tests/api/.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.web.conftest import World

pytestmark = pytest.mark.django_db

EXCLUDED_NAMESPACES = ("admin", "api")

# A page's case: the request to make, as (method, url), from the test world.
Case = Callable[[World], tuple[str, str]]


def get(name: str, **kwargs: Callable[[World], object]) -> Case:
    return lambda w: ("get", reverse(name, kwargs={k: f(w) for k, f in kwargs.items()}))


def post(name: str, **kwargs: Callable[[World], object]) -> Case:
    return lambda w: ("post", reverse(name, kwargs={k: f(w) for k, f in kwargs.items()}))


def _organization_token(world: World) -> int:
    """An organization-A token of A's owner: nobody else may see or revoke it."""
    from orgs.tokens import token_create

    token, _secret = token_create(
        user=world.tenants.owner, name="matrix", organization=world.tenants.org_a
    )
    return token.pk


def _import_job(world: World) -> int:
    """A failed upload of organization A, with its error report."""
    from orgs.models import ImportJob

    job = ImportJob.objects.create(
        organization=world.tenants.org_a,
        file_format="csv",
        filename="stadtwerke-alpha.csv",
        status="failed",
        total_rows=1,
        error_count=1,
        errors=[{"location": "line 2, quantity", "message": "must be a whole number ≥ 1"}],
    )
    return job.pk


def _saved_view(world: World) -> int:
    """A view the owner of organization A shared with A's members."""
    from exposure.models import SavedView

    return SavedView.objects.create(
        owner=world.tenants.owner, organization=world.tenants.org_a, name="Matrix", page="flags"
    ).pk


def _identity_provider(world: World) -> int:
    """Organization A's own single sign-on (staff edit it; nobody in the matrix is staff)."""
    from allauth.socialaccount.models import SocialApp

    from orgs.models import IdentityProvider

    app = SocialApp.objects.create(
        provider="openid_connect", provider_id="stadtwerke-alpha-id", name="Alpha ID"
    )
    return IdentityProvider.objects.create(app=app, organization=world.tenants.org_a).pk


def _saml_provider(world: World) -> int:
    """Organization A's SAML identity provider (staff edit it; nobody in the matrix is)."""
    from allauth.socialaccount.models import SocialApp

    from orgs.models import IdentityProvider

    app = SocialApp.objects.create(
        provider="saml",
        provider_id="saml-stadtwerke-alpha",
        name="Alpha SAML",
        client_id=world.tenants.org_a.slug,
    )
    return IdentityProvider.objects.create(app=app, organization=world.tenants.org_a).pk


def _org_a(world: World) -> str:
    return world.tenants.org_a.slug


CASES: dict[str, Case] = {
    "home": get("home"),
    "account_login": get("account_login"),
    "account_logout": post("account_logout"),
    "sso_start": post("sso_start"),
    "sso_reauthenticate": get("sso_reauthenticate"),
    "healthz": get("healthz"),
    # django-allauth's pages: sign-in, second factors, sessions, single sign-on. They show the
    # signed-in person's own account only.
    **{
        name: get(name)
        for name in (
            "account_change_password",
            "account_email",
            "account_email_verification_sent",
            "account_inactive",
            "account_reauthenticate",
            "account_confirm_login_code",
            "account_confirm_reauthentication_code",
            "account_request_reauthentication_code",
            "account_reset_password",
            "account_reset_password_done",
            "account_reset_password_from_key_done",
            "account_set_password",
            "account_signup",
            "mfa_activate_totp",
            "mfa_authenticate",
            "mfa_deactivate_totp",
            "mfa_download_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_index",
            "mfa_reauthenticate",
            "mfa_list_webauthn",
            "mfa_add_webauthn",
            "mfa_reauthenticate_webauthn",
            "mfa_login_webauthn",
            "mfa_view_recovery_codes",
            "socialaccount_connections",
            "socialaccount_login_cancelled",
            "socialaccount_login_error",
            "socialaccount_signup",
            "usersessions_list",
        )
    },
    "account_confirm_email": lambda w: (
        "get",
        reverse("account_confirm_email", kwargs={"key": "stadtwerke-alpha"}),
    ),
    "account_reset_password_from_key": lambda w: (
        "get",
        reverse("account_reset_password_from_key", kwargs={"uidb36": "1", "key": "x-y"}),
    ),
    # Another person's security key is not found.
    **{
        name: (lambda w, name=name: ("get", reverse(name, kwargs={"pk": _security_key(w)})))
        for name in ("mfa_remove_webauthn", "mfa_edit_webauthn")
    },
    "openid_connect_login": lambda w: (
        "get",
        reverse("openid_connect_login", kwargs={"provider_id": "stadtwerke-alpha"}),
    ),
    "openid_connect_callback": lambda w: (
        "get",
        reverse("openid_connect_callback", kwargs={"provider_id": "stadtwerke-alpha"}),
    ),
    **{
        name: (
            lambda w, name=name: (
                "get",
                reverse(name, kwargs={"organization_slug": "stadtwerke-alpha"}),
            )
        )
        for name in ("saml_login", "saml_acs", "saml_finish_acs", "saml_sls", "saml_metadata")
    },
    "tokens": get("tokens"),
    "token_revoke": post("token_revoke", pk=_organization_token),
    "reports:reports": get("reports:reports"),
    "reports:export": lambda w: (
        "get",
        reverse("reports:export", kwargs={"name": "organizations", "extension": "csv"}),
    ),
    # A PDF's text is compressed: tests/web/test_reports.py checks what it says.
    "reports:organization_pdf": get("reports:organization_pdf", slug=_org_a),
    "advisories:advisory_list": get("advisories:advisory_list"),
    "advisories:advisory_create": get("advisories:advisory_create"),
    "advisories:range_check": get("advisories:range_check"),
    "advisories:impact_preview": post("advisories:impact_preview"),
    "advisories:advisory_edit": get("advisories:advisory_edit", pk=lambda w: w.draft.pk),
    "advisories:advisory_detail": get("advisories:advisory_detail", pk=lambda w: w.warning.pk),
    "advisories:advisory_publish": get("advisories:advisory_publish", pk=lambda w: w.draft.pk),
    "advisories:advisory_withdraw": get("advisories:advisory_withdraw", pk=lambda w: w.warning.pk),
    "advisories:advisory_csaf": get("advisories:advisory_csaf", pk=lambda w: w.warning.pk),
    "notifications:channel_list": get("notifications:channel_list"),
    "notifications:mine": get("notifications:mine"),
    "notifications:channel_create": get("notifications:channel_create"),
    "notifications:channel_edit": get("notifications:channel_edit", pk=lambda w: _channel(w).pk),
    "notifications:channel_test": post("notifications:channel_test", pk=lambda w: _channel(w).pk),
    "notifications:channel_rotate_secret": post(
        "notifications:channel_rotate_secret", pk=lambda w: _channel(w).pk
    ),
    "notifications:channel_delete": get(
        "notifications:channel_delete", pk=lambda w: _channel(w).pk
    ),
    "notifications:delivery_list": get("notifications:delivery_list"),
    "notifications:delivery_detail": get(
        "notifications:delivery_detail", pk=lambda w: _delivery(w).pk
    ),
    "notifications:sla_list": get("notifications:sla_list"),
    "audit:entry_list": get("audit:entry_list"),
    "notifications:sla_edit": get("notifications:sla_edit", slug=lambda w: w.tenants.org_a.slug),
    "vendors:vendor_list": get("vendors:vendor_list"),
    "vendors:vendor_detail": get("vendors:vendor_detail", slug=lambda w: w.vendor.slug),
    "vendors:product_detail": get(
        "vendors:product_detail",
        vendor_slug=lambda w: w.vendor.slug,
        slug=lambda w: w.product.slug,
    ),
    "vendors:product_list": get("vendors:product_list"),
    "vendors:vendor_search": get("vendors:vendor_search"),
    "vendors:product_search": get("vendors:product_search"),
    "orgs:organization_list": get("orgs:organization_list"),
    "orgs:organization_detail": get("orgs:organization_detail", slug=_org_a),
    "orgs:inventory_all": get("orgs:inventory_all"),
    "orgs:inventory_list": get("orgs:inventory_list", slug=_org_a),
    "orgs:item_create": get("orgs:item_create", slug=_org_a),
    "orgs:item_detail": get("orgs:item_detail", slug=_org_a, pk=lambda w: w.item_a.pk),
    "orgs:item_edit": get("orgs:item_edit", slug=_org_a, pk=lambda w: w.item_a.pk),
    "orgs:item_delete": post("orgs:item_delete", slug=_org_a, pk=lambda w: w.item_a.pk),
    "orgs:import": get("orgs:import", slug=_org_a),
    "orgs:import_detail": get("orgs:import_detail", slug=_org_a, pk=_import_job),
    "orgs:reconciliation": get("orgs:reconciliation"),
    "orgs:name_map": post("orgs:name_map"),
    "orgs:sso_provider_list": get("orgs:sso_provider_list"),
    "orgs:sso_provider_create": get("orgs:sso_provider_create"),
    "orgs:sso_provider_edit": get("orgs:sso_provider_edit", pk=_identity_provider),
    "orgs:saml_provider_create": get("orgs:saml_provider_create"),
    "orgs:saml_provider_edit": get("orgs:saml_provider_edit", pk=_saml_provider),
    "exposure:flag_list": get("exposure:flag_list"),
    "exposure:my_flags": get("exposure:my_flags"),
    "exposure:flag_bulk": post("exposure:flag_bulk"),
    "exposure:asset_list": get("exposure:asset_list"),
    "exposure:filter_pick": get("exposure:filter_pick", kind=lambda w: "advisory"),
    "exposure:saved_view_list": get("exposure:saved_view_list"),
    "exposure:saved_view_create": post("exposure:saved_view_create"),
    "exposure:saved_view_delete": post("exposure:saved_view_delete", pk=_saved_view),
    "exposure:flag_detail": get("exposure:flag_detail", pk=lambda w: w.flag_a.pk),
    "exposure:flag_status": post("exposure:flag_status", pk=lambda w: w.flag_a.pk),
    "exposure:flag_assign": post("exposure:flag_assign", pk=lambda w: w.flag_a.pk),
    "exposure:flag_comment": post("exposure:flag_comment", pk=lambda w: w.flag_a.pk),
    "campaigns:campaign_list": get("campaigns:campaign_list"),
    "campaigns:campaign_open": get("campaigns:campaign_open", advisory_pk=lambda w: w.warning.pk),
    "campaigns:campaign_detail": get("campaigns:campaign_detail", pk=lambda w: _campaign(w).pk),
    "campaigns:milestones_edit": get("campaigns:milestones_edit", pk=lambda w: _campaign(w).pk),
    "campaigns:plan_detail": get(
        "campaigns:plan_detail", pk=lambda w: _campaign(w).pk, slug=_org_a
    ),
    "campaigns:plan_edit": post("campaigns:plan_edit", pk=lambda w: _campaign(w).pk, slug=_org_a),
    "campaigns:attest": post(
        "campaigns:attest", pk=lambda w: _campaign(w).pk, slug=_org_a, key=lambda w: "identify"
    ),
    "campaigns:report": lambda w: (
        "get",
        reverse("campaigns:report", kwargs={"pk": _campaign(w).pk})
        + "?format=xlsx&date="
        + timezone.localdate().isoformat(),
    ),
    "campaigns:campaign_close": post("campaigns:campaign_close", pk=lambda w: _campaign(w).pk),
    "campaigns:review": post("campaigns:review", pk=lambda w: _attestation(w).pk),
    "campaigns:evidence_download": get(
        "campaigns:evidence_download", pk=lambda w: _attestation(w).evidence.get().pk
    ),
    # The CSAF provider: its public (CLEAR) part answers everyone.
    "csaf:provider_metadata": get("csaf:provider_metadata"),
    "csaf:key": get("csaf:key", fingerprint=lambda w: _csaf_fingerprint()),
    "csaf:folder_file": lambda w: (
        "get",
        reverse("csaf:folder_file", kwargs={"folder": "white", "name": "index.txt"}),
    ),
    "csaf:document": lambda w: (
        "get",
        reverse(
            "csaf:document",
            kwargs={
                "folder": "white",
                "year": _clear_document(w).published_at.year,
                "name": "vw-matrix-0001.json",
            },
        ),
    ),
}


def _csaf_fingerprint() -> str:
    from advisories.publishing.provider import signing_fingerprint

    return signing_fingerprint()


def _clear_document(world: World) -> Any:
    """A TLP:CLEAR advisory of our own source, as the provider publishes it."""
    from advisories.models import Advisory
    from advisories.services import advisory_create, advisory_publish
    from tests.factories import ProductFactory, SourceFactory

    existing = Advisory.objects.filter(identifier="VW-MATRIX-0001").first()
    if existing is not None:
        return existing
    advisory = advisory_create(
        source=SourceFactory(name="Our CERT", slug="our-cert", kind="internal"),
        identifier="VW-MATRIX-0001",
        title="Public advisory",
        kind="vulnerability",
        tlp="clear",
        targets=[{"kind": "product", "product": ProductFactory()}],
    )
    return advisory_publish(advisory=advisory)


@pytest.fixture(autouse=True)
def _csaf_signing_key(settings: Any) -> Iterator[None]:
    """A signing key, so that the provider's key page has a key to show."""
    import pysequoia

    from advisories.publishing.provider import key_changed

    settings.CSAF_OPENPGP_SECRET_KEY = str(pysequoia.Tsk.generate("Matrix <m@example.org>"))
    key_changed()
    yield
    key_changed()


@pytest.fixture(autouse=True)
def _evidence_storage(settings: Any, tmp_path: Any) -> None:
    """Evidence files of the campaign cases go to a folder of the test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": tmp_path}},
    }


def _campaign(world: World) -> Any:
    """A replacement campaign over the warning: organizations A and B are in it."""
    from advisories.models import Advisory
    from campaigns.models import Campaign
    from campaigns.services import campaign_open
    from tests.factories import UserFactory

    existing = Campaign.objects.filter(advisory=world.warning).first()
    if existing is not None:
        return existing
    Advisory.objects.filter(pk=world.warning.pk).update(recommended_action="replace")
    world.warning.refresh_from_db()
    analyst = UserFactory(username="matrix-cert-analyst", is_global_analyst=True)
    return campaign_open(advisory=world.warning, user=analyst)


def _attestation(world: World) -> Any:
    """Organization A's attestation of the first milestone, with a PDF of evidence."""
    from campaigns.attestations import attestation_submit
    from campaigns.evidence import EvidenceFile

    campaign = _campaign(world)
    plan = campaign.plans.get(organization=world.tenants.org_a)
    existing = plan.attestations.first()
    if existing is not None:
        return existing
    return attestation_submit(
        plan=plan,
        milestone=campaign.milestones.first(),
        user=world.tenants.owner,
        statement="Stadtwerke Alpha removed its Kaspersky clients.",
        files=[EvidenceFile("stadtwerke-alpha-removal.pdf", b"%PDF-1.7 stadtwerke-alpha")],
    )


def _pattern_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            yield from _pattern_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_page_is_in_the_matrix():
    names = set(_pattern_names(get_resolver().url_patterns))
    missing = sorted(names - CASES.keys())
    assert not missing, f"pages without a tenant-matrix case: {missing}"
    assert not sorted(CASES.keys() - names), "cases for pages that no longer exist"


# Downloads whose text, where any shows in their bytes, is checked all the same.
BINARY_DOWNLOADS = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    if response.get("Content-Type") in BINARY_DOWNLOADS:
        return response.content.decode("latin-1")
    return response.content.decode()


# Single sign-on pages of a provider that is not configured are not found; the page of a
# failed single sign-on answers 401.
SIGN_IN_STATUSES = {
    "openid_connect_login": (404,),
    "openid_connect_callback": (404,),
    "saml_login": (404,),
    "saml_finish_acs": (404,),
    "saml_sls": (404,),
    "saml_metadata": (404,),
    "socialaccount_login_error": (401,),
}
# The SAML assertion consumer keeps what was posted and sends the browser on to finish there
# (a cross-site POST carries no session cookie); finishing finds no provider and is not found.
SIGN_IN_REDIRECTS = {"saml_acs": "/accounts/saml/stadtwerke-alpha/acs/finish/"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_anonymous_sees_no_organization_data(client, world, name):
    method, url = CASES[name](world)
    response = getattr(client, method)(url)
    assert response.status_code in (200, 302, 405, *SIGN_IN_STATUSES.get(name, ()))
    if response.status_code == 302:
        assert (
            response.url.startswith(reverse("account_login"))
            or name == "account_logout"
            or response.url == SIGN_IN_REDIRECTS.get(name)
        )
    body = _body(response)
    for org in (world.tenants.org_a, world.tenants.org_b):
        assert org.name not in body


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(
    ("who", "foreign"), [("viewer", "org_b"), ("outsider", "org_a")], ids=["viewer", "outsider"]
)
def test_members_see_nothing_of_other_organizations(client, world, name, who, foreign):
    client.force_login(getattr(world.tenants, who))
    method, url = CASES[name](world)
    response = getattr(client, method)(url)
    assert response.status_code in (200, 302, 403, 404, 405, *SIGN_IN_STATUSES.get(name, ()))
    body = _body(response)
    foreign_org = getattr(world.tenants, foreign)
    assert foreign_org.name not in body
    assert foreign_org.slug not in body


def _security_key(world: World) -> int:
    """The primary key of a security key of organization A's owner."""
    from allauth.mfa.models import Authenticator

    key, _created = Authenticator.objects.get_or_create(
        user=world.tenants.owner,
        type=Authenticator.Type.WEBAUTHN,
        defaults={"data": {"name": "Stadtwerke Alpha key", "credential": {}}},
    )
    return key.pk


def _channel(world: World) -> Any:
    """A webhook channel of organization A (its admins' page)."""
    from notifications.models import Channel
    from notifications.services import channel_create

    existing = Channel.objects.filter(organization=world.tenants.org_a).first()
    if existing is not None:
        return existing
    channel, _secret = channel_create(
        organization=world.tenants.org_a,
        kind="webhook",
        actor=world.tenants.owner,
        name="Stadtwerke Alpha SOAR",
        url="https://soar.stadtwerke-alpha.example/hook",
    )
    return channel


def _delivery(world: World) -> Any:
    """A failed delivery to organization A's channel."""
    from notifications.models import Delivery

    return Delivery.objects.create(
        organization=world.tenants.org_a,
        channel=_channel(world),
        kind="test",
        status="failed",
        last_error="HTTP 500 from stadtwerke-alpha",
    )
