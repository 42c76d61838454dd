"""Forms posted with errors: a summary above the form links each error to its field, and
every ``aria-describedby`` names an element that is on the page."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Ids(HTMLParser):
    """The ids on a page, the ids ``aria-describedby`` names, and the error summary's links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: set[str] = set()
        self.summary_links: list[str] = []
        self._in_summary = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        self.described_by.update((values.get("aria-describedby") or "").split())
        if "data-error-summary" in values:
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(values.get("href", ""))

    def handle_endtag(self, tag):
        if self._in_summary and tag == "div":
            self._in_summary -= 1


def _page(response) -> _Ids:
    parser = _Ids()
    parser.feed(response.content.decode())
    return parser


def _assert_tied(response, *fields: str) -> None:
    page = _page(response)
    assert page.described_by <= page.ids, page.described_by - page.ids
    assert {f"#id_{field}" for field in fields} <= set(page.summary_links), page.summary_links
    assert all(link[1:] in page.ids for link in page.summary_links)


def test_item_form_errors_are_summarised_and_tied_to_their_fields(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(
        reverse("orgs:item_create", kwargs={"slug": world.tenants.org_a.slug}),
        {"raw_vendor": "Kaspersky", "raw_product": "", "cpe": "cpe:2.3:broken", "quantity": "0"},
    )
    assert response.status_code == 400
    _assert_tied(response, "cpe", "quantity")


def test_flag_status_errors_are_summarised_and_tied_to_their_fields(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(
        reverse("exposure:flag_status", kwargs={"pk": world.flag_a.pk}),
        {"status": "risk_accepted", "reason": "", "risk_accepted_until": "2099-12-31"},
    )
    assert response.status_code == 400
    _assert_tied(response, "reason")


def test_risk_acceptance_beyond_a_year_is_refused_naming_the_field(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(
        reverse("exposure:flag_status", kwargs={"pk": world.flag_a.pk}),
        {"status": "risk_accepted", "reason": "Contract", "risk_accepted_until": "2099-12-31"},
    )
    assert response.status_code == 400
    assert "A risk is accepted for at most a year" in response.content.decode()
    _assert_tied(response, "risk_accepted_until")
    world.flag_a.refresh_from_db()
    assert world.flag_a.status == "open"
