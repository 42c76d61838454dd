"""In a real browser: Swagger UI and ReDoc render the API's schema under the
Content-Security-Policy, with no console error and no refused script or style (the ``page``
fixture fails the test on either)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_schema_and_tries_a_request_with_the_session(page):
    UserFactory(username="reader")
    sign_in(page, "reader", TEST_PASSWORD)
    page.goto("/api/v1/docs/")
    # The schema is generated on request, which takes seconds on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Vendorwatch API", timeout=30_000
    )
    operation = page.locator("#operations-flags-flags_list")
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status")).to_have_text(
        "200", timeout=30_000
    )


def test_redoc_renders_the_schema(browser, live_server):
    """ReDoc's sidebar shows Redocly's logo from their CDN; the policy blocks it (no request
    leaves for a third party) and that one refusal is the only console error allowed."""
    context = browser.new_context(base_url=live_server.url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto("/api/v1/redoc/")
    # ReDoc parses the whole schema before it shows anything: slow on a busy machine.
    expect(tab.get_by_role("heading", name="Vendorwatch API")).to_be_visible(timeout=90_000)
    expect(tab.get_by_text("List flags").first).to_be_attached()
    context.close()
    assert [e for e in errors if "https://cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
