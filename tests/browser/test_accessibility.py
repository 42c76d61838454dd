"""axe-core over the pages people work in, at a desktop and a phone width: zero violations.

axe-core comes from the npm registry (``.ci/run`` installs the pinned version into
``var/npm``), never from a CDN; it is injected into each page by Playwright before the page's
own scripts run, so the Content-Security-Policy, which allows the app's own scripts only,
stays as it is. Without it the tests are skipped and the reason is printed.

``AXE_PAGES`` lists the pages: ``(name, who signs in, path in the world)``. A new page joins
by adding a line; the ``axe_world`` fixture (``conftest.py``) builds what the pages show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = (
    Path(__file__).resolve().parents[2] / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
)
WIDTHS = {"desktop": 1440, "phone": 390}


@dataclass(frozen=True)
class AxePage:
    name: str
    username: str
    path: Callable[[dict[str, Any]], str]


AXE_PAGES: list[AxePage] = [
    AxePage("overview", "anna", lambda w: "/"),
    AxePage("flag-list", "anna", lambda w: "/flags/"),
    AxePage("advisory-editor", "editor", lambda w: f"/advisories/{w['draft'].pk}/edit/"),
    AxePage("advisory", "anna", lambda w: w["warning"].get_absolute_url()),
    AxePage("flag", "anna", lambda w: w["flag"].get_absolute_url()),
    AxePage("import", "anna", lambda w: f"/organizations/{w['nordhafen'].slug}/inventory/import/"),
    AxePage("assets", "anna", lambda w: "/flags/assets/"),
    AxePage("reports", "anna", lambda w: "/reports/"),
    AxePage("my-flags", "anna", lambda w: "/flags/mine/"),
    AxePage("member-notifications", "vera", lambda w: "/notifications/mine/"),
    AxePage("sso-providers", "sam", lambda w: "/sso/"),
    AxePage("sso-provider", "sam", lambda w: f"/sso/{w['identity_provider'].pk}/"),
    AxePage("saml-provider", "sam", lambda w: f"/sso/saml/{w['saml_provider'].pk}/"),
]


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it stands, one line each."""
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ["violations"]});
          return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
            v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join("; "));
        }"""
    )
    return list(found)


@pytest.fixture
def axe_page(page):
    if not AXE_JS.exists():
        reason = f"axe-core is not installed at {AXE_JS} (bash .ci/run installs it from npm)"
        print(f"\naxe-core tests skipped: {reason}")
        pytest.skip(reason)
    # Before every document's own scripts, outside the page's Content-Security-Policy.
    page.add_init_script(path=str(AXE_JS))
    return page


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("target", AXE_PAGES, ids=[p.name for p in AXE_PAGES])
def test_page_has_no_axe_violations(axe_page, axe_world, target, width):
    axe_page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    sign_in(axe_page, target.username, TEST_PASSWORD)
    response = axe_page.goto(target.path(axe_world))
    assert response is not None and response.status == 200
    axe_page.wait_for_load_state("networkidle")
    violations = axe_violations(axe_page)
    assert not violations, f"{target.name} at {WIDTHS[width]} px:\n" + "\n".join(violations)
