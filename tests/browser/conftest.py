"""The browser test harness: the app on a live server, driven by Debian's Chromium through
Playwright for Python.

Playwright is given the system Chromium (``/usr/bin/chromium``); its own browser downloads
are never used, because they need the internet. Without that binary the browser tests are
skipped with a reason; with it they always run (``make test`` runs them).
"""

import os
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.utils import timezone

from advisories.choices import TargetKind
from advisories.models import AffectedTarget
from advisories.services import advisory_publish
from exposure.models import Flag
from orgs.choices import Role
from tests.factories import (
    AdvisoryFactory,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    SourceFactory,
    UserFactory,
    VendorFactory,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls
# from a thread with a running loop. The tests touch the ORM only to set up and check data,
# never concurrently with the loop, so the guard is lifted for them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    print(f"\nbrowser tests skipped: {reason}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as the pages' actions do (the context's 10 s, below), not
    # Playwright's 5 s: on a loaded machine a queued upload can take longer to answer.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


# The app answers a form posted with errors with 400 and a page the role may not use with 403,
# both by design; the browser logs either as a failed load. Anything else (a missing script,
# a 404 or 500 behind the page) still fails the test.
_EXPECTED_REFUSALS = tuple(
    f"Failed to load resource: the server responded with a status of {status}"
    # 502: the page that says an identity provider cannot be reached (test_single_sign_on).
    for status in ("400 (Bad Request)", "403 (Forbidden)", "502 (Bad Gateway)")
)


def _is_error(message) -> bool:
    return message.type == "error" and not message.text.startswith(_EXPECTED_REFUSALS)


@pytest.fixture
def page(browser, live_server, settings) -> Iterator[object]:
    """A fresh browser context (no cookies) on the live server, failing the test on any
    console error or Content-Security-Policy violation."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ui"}
    }
    # The cache outlives the test (the overview is kept a minute per set of organizations):
    # each test starts without what an earlier one's pages left in it.
    caches["default"].clear()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if _is_error(msg) else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # Requests the page has sent and the live server has not answered yet (a debounced
    # preview, a poll): the database is flushed after the test, and a server thread still
    # reading it then deadlocks the flush and leaves the next test a dirty database.
    in_flight: set[object] = set()
    tab.on("request", lambda request: in_flight.add(request))
    tab.on("requestfinished", lambda request: in_flight.discard(request))
    tab.on("requestfailed", lambda request: in_flight.discard(request))
    yield tab
    deadline = time.monotonic() + 30
    while in_flight and time.monotonic() < deadline:
        tab.wait_for_timeout(50)
    context.close()
    assert not errors, f"browser console errors: {errors}"


def sign_in(page, username: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/")


def screenshot(page, name: str) -> None:
    """Save the whole page to var/screenshots/ for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def axe_world() -> dict[str, Any]:
    """Kaspersky in two organizations, flagged by a published BSI warning (one flag overdue,
    one assigned); a draft about a subsidiary's cameras; an admin, an analyst and a viewer
    of one organization, an analyst of the other, and an editor."""
    bsi = SourceFactory(name="BSI", slug="bsi")
    kaspersky = VendorFactory(name="Kaspersky", slug="kaspersky", country="RU")
    endpoint = ProductFactory(vendor=kaspersky, name="Endpoint Security", slug="endpoint")
    cameras = VendorFactory(name="Hikvision", slug="hikvision", country="CN")
    camera = ProductFactory(vendor=cameras, name="DS-2CD2 camera", slug="ds-2cd2")
    subsidiary = VendorFactory(name="EZVIZ", slug="ezviz", country="CN", parent=cameras)
    ProductFactory(vendor=subsidiary, name="C6 camera", slug="c6")
    nordhafen = OrganizationFactory(name="Stadtwerke Nordhafen", slug="stadtwerke-nordhafen")
    lindenau = OrganizationFactory(name="Klinikum Lindenau", slug="klinikum-lindenau")
    for organization in (nordhafen, lindenau):
        for minor in range(3):
            InventoryItemFactory(organization=organization, product=endpoint, version=f"21.{minor}")
        InventoryItemFactory(organization=organization, product=camera, version="5.6")
    warning = AdvisoryFactory(
        source=bsi,
        identifier="BSI-2022-0315",
        title="Replace Kaspersky antivirus products",
        severity="high",
        recommended_action="replace",
        issued_on=timezone.localdate() - timedelta(days=3),
        action_deadline=timezone.localdate() + timedelta(days=20),
    )
    AffectedTarget.objects.create(advisory=warning, kind=TargetKind.VENDOR, vendor=kaspersky)
    advisory_publish(advisory=warning)
    draft = AdvisoryFactory(
        source=bsi,
        identifier="BSI-2026-0001",
        title="Replace Hikvision cameras in critical infrastructure",
        severity="critical",
    )
    AffectedTarget.objects.create(
        advisory=draft, kind=TargetKind.VENDOR, vendor=cameras, include_subsidiaries=True
    )
    users = {
        "olga": (nordhafen, Role.ADMIN),
        "anna": (nordhafen, Role.ANALYST),
        "vera": (nordhafen, Role.VIEWER),
        "bert": (lindenau, Role.ANALYST),
    }
    for username, (organization, role) in users.items():
        user = UserFactory(username=username)
        MembershipFactory(user=user, organization=organization, role=role)
    UserFactory(username="editor", is_advisory_editor=True)
    sam = UserFactory(username="sam", is_staff=True)
    identity_provider = _nordhafen_sign_on(nordhafen)
    saml_provider = _lindenau_sign_on(lindenau, sam)
    flags = list(Flag.objects.filter(organization=nordhafen).order_by("pk"))
    overdue, assigned = flags[0], flags[1]
    Flag.objects.filter(pk=overdue.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    Flag.objects.filter(pk=assigned.pk).update(assignee=UserFactory(username="anna"))
    return {
        "warning": warning,
        "draft": draft,
        "nordhafen": nordhafen,
        "lindenau": lindenau,
        "flag": assigned,
        "overdue": overdue,
        "identity_provider": identity_provider,
        "saml_provider": saml_provider,
    }


def _lindenau_sign_on(lindenau: Any, staff: Any) -> Any:
    """Lindenau's SAML identity provider, as staff add it, with one group rule."""
    from orgs.models import ProviderRule
    from orgs.saml import saml_provider_save
    from tests.saml_idp.fixtures import GROUPS, key_and_certificate

    provider = saml_provider_save(
        actor=staff,
        name="Lindenau SAML",
        organization=lindenau,
        entity_id="https://idp.lindenau.example/saml",
        sso_url="https://idp.lindenau.example/saml/sso",
        certificate=key_and_certificate("Lindenau IdP")[1],
        email_attribute="urn:oid:0.9.2342.19200300.100.1.3",
        email_domains="lindenau.example",
    )
    ProviderRule.objects.create(
        provider=provider,
        claim=GROUPS,
        value="it-security",
        organization=lindenau,
        role=Role.ANALYST,
    )
    return provider


def _nordhafen_sign_on(nordhafen: Any) -> Any:
    """Nordhafen's own OpenID Connect provider, with one group rule."""
    from allauth.socialaccount.models import SocialApp

    from orgs.models import IdentityProvider, ProviderRule

    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="nordhafen-id",
        name="Nordhafen ID",
        client_id="vendorwatch",
        secret="s3cret",
        settings={"server_url": "https://id.nordhafen.example/realms/staff"},
    )
    provider = IdentityProvider.objects.create(
        app=app, organization=nordhafen, email_domains="nordhafen.example"
    )
    ProviderRule.objects.create(
        provider=provider, value="security-team", organization=nordhafen, role=Role.ANALYST
    )
    return provider
