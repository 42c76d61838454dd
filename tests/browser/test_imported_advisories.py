"""In a real browser: an editor finds an imported CSAF advisory's failed tests on its page,
and a document with nothing to match marked as such in the list and on its page."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from advisories.feeds.services import csaf_import
from tests.advisories.feeds.conftest import as_bytes, own_document
from tests.browser.conftest import screenshot, sign_in
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_sees_an_imports_failed_tests_and_a_document_with_nothing_to_match(page):
    document = own_document("acme-2026-0001.json")
    document["vulnerabilities"][0]["cwe"] = {"id": "CWE-200", "name": "Information leak"}
    published = csaf_import(content=as_bytes(document)).advisory
    empty = copy.deepcopy(document)
    empty["document"]["tracking"]["id"] = "ACME-2026-0002"
    empty["document"]["category"] = "csaf_base"
    del empty["vulnerabilities"]
    draft = csaf_import(content=as_bytes(empty)).advisory
    UserFactory(username="editor", is_advisory_editor=True)
    sign_in(page, "editor", TEST_PASSWORD)

    page.goto(f"/advisories/{published.pk}/")
    violations = page.get_by_role("region", name="Failed CSAF tests")
    expect(violations).to_contain_text("/vulnerabilities/0/cwe/name")
    expect(violations).to_contain_text("test 6.1.11 (Invalid CWE): CWE-200 name 'Information leak'")
    screenshot(page, "20-advisory-failed-csaf-tests")

    page.goto("/advisories/")
    row = page.get_by_role("row").filter(has_text="ACME-2026-0002")
    expect(row.get_by_text("Nothing to match")).to_be_visible()
    row.get_by_role("link", name="ACME-2026-0002").click()
    page.wait_for_url(f"**/advisories/{draft.pk}/")
    expect(page.get_by_test_id("nothing-to-match")).to_contain_text(
        "The document lists no vulnerabilities"
    )
    expect(page.get_by_role("link", name="Publish…")).to_be_visible()
    screenshot(page, "21-advisory-nothing-to-match")
