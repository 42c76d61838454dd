"""In a real browser: an advisory shows its TLP label in the standard's colours, an editor
sets the label and audience, and a member outside the audience finds nothing of it."""

import pytest
from playwright.sync_api import expect

from advisories.choices import Tlp
from orgs.choices import Role
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    PublishedAdvisoryFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# TLP 2.0: coloured text on black.
COLOURS = {
    Tlp.CLEAR: "rgb(255, 255, 255)",
    Tlp.GREEN: "rgb(51, 255, 0)",
    Tlp.AMBER: "rgb(255, 192, 0)",
    Tlp.AMBER_STRICT: "rgb(255, 192, 0)",
    Tlp.RED: "rgb(255, 43, 43)",
}


def test_each_label_shows_in_its_colours_and_only_to_its_audience(page):
    audience = OrganizationFactory(name="Stadtwerke Alpha")
    member = UserFactory(username="alpha-member")
    MembershipFactory(user=member, organization=audience, role=Role.VIEWER)
    outsider = UserFactory(username="beta-member")
    MembershipFactory(user=outsider, organization=OrganizationFactory(), role=Role.VIEWER)
    advisories = {}
    for tlp in COLOURS:
        advisory = PublishedAdvisoryFactory(tlp=tlp, title=f"Advisory {tlp}")
        advisory.audience_organizations.set([audience])
        advisory.audience_users.set([member])
        advisories[tlp] = advisory

    sign_in(page, "alpha-member", TEST_PASSWORD)
    for tlp, colour in COLOURS.items():
        page.goto(advisories[tlp].get_absolute_url())
        label = page.get_by_test_id("tlp")
        expect(label).to_have_text(Tlp(tlp).label)
        expect(label).to_have_css("color", colour)
        expect(label).to_have_css("background-color", "rgb(0, 0, 0)")
    screenshot(page, "advisory-tlp-red")

    page.context.clear_cookies()
    sign_in(page, "beta-member", TEST_PASSWORD)
    page.goto("/advisories/")
    expect(page.get_by_text("Advisory green")).to_be_visible()
    for tlp in (Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED):
        expect(page.get_by_text(f"Advisory {tlp}")).to_have_count(0)
        # Asked with the page's session, not navigated to: a 404 page logs a console error.
        assert page.request.get(advisories[tlp].get_absolute_url()).status == 404
