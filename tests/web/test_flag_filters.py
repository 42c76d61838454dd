"""Filters that stay: every active filter of the flag lists is a removable chip, those that
came from a link included; the form carries the filters it does not show, so refining never
drops one; pickers name advisories the user may read; severity sorts Critical first."""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from advisories.choices import Severity
from exposure.models import Flag
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

FLAGS = reverse("exposure:flag_list")


def listed(response) -> list[int]:
    return [flag.pk for flag in response.context["page"].object_list]


def chips(response) -> dict[str, str]:
    return {chip.label: chip.remove_url for chip in response.context["filters"].chips}


def form_fields(response) -> list[tuple[str, str]]:
    """What submitting the filter form unchanged sends: its hidden fields and the values of
    its visible ones that are set."""
    body = response.content.decode()
    form = body[body.index('role="search"') : body.index("</form>", body.index('role="search"'))]
    sent = [
        (unescape(name), unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    ]
    sent += [
        (name, value)
        for name, value in re.findall(
            r'<input type="checkbox" name="([^"]+)" value="([^"]*)"[^>]*checked', form
        )
    ]
    return [(name, value) for name, value in sent if value]


@pytest.fixture
def critical(world):
    advisory = PublishedAdvisoryFactory(
        identifier="CVE-2024-3400", title="PAN-OS command injection", severity=Severity.CRITICAL
    )
    return flag_for(advisory, InventoryItemFactory(organization=world.tenants.org_a), priority=5)


def test_link_only_filters_are_chips_with_names(client, world, critical):
    client.force_login(world.tenants.analyst)
    response = client.get(
        FLAGS,
        {
            "advisory": world.warning.pk,
            "item": world.item_a.pk,
            "assignee": world.tenants.analyst.pk,
            "vendor": world.vendor.pk,
            "product": world.product.pk,
            "cve": "CVE-2024-3400",
        },
    )
    labels = set(chips(response))
    assert {
        "Advisory: BSI-2022-0315",
        f"Item: {world.item_a}",
        "Assignee: me",
        "Vendor: Kaspersky",
        f"Product: {world.product}",
        "CVE: CVE-2024-3400",
    } <= labels


def test_removing_a_chip_drops_that_filter_alone(client, world, critical):
    client.force_login(world.tenants.viewer)
    response = client.get(FLAGS, {"advisory": world.warning.pk, "severity": "high"})
    assert listed(response) == [world.flag_a.pk]
    remove = chips(response)["Advisory: BSI-2022-0315"]
    query = parse_qsl(urlsplit(remove).query)
    assert ("severity", "high") in query and not any(key == "advisory" for key, _ in query)
    remove = chips(response)["Severity: High"]
    assert listed(client.get(remove)) == [world.flag_a.pk]


def test_refining_keeps_the_filters_that_came_from_a_link(client, world, critical):
    """/flags/?advisory=… then ticking High: the form sends the advisory along."""
    client.force_login(world.tenants.viewer)
    response = client.get(FLAGS, {"advisory": critical.advisory_id, "item": critical.item_id})
    sent = form_fields(response)
    assert ("advisory", str(critical.advisory_id)) in sent
    assert ("item", str(critical.item_id)) in sent
    refined = client.get(FLAGS, [*sent, ("severity", "high")])
    # Nothing of the advisory is High: the list is empty, not every High flag.
    assert listed(refined) == []
    assert listed(client.get(FLAGS, [*sent, ("severity", "critical")])) == [critical.pk]


def test_default_filter_shows_its_status_chips(client, world):
    client.force_login(world.tenants.viewer)
    labels = chips(client.get(FLAGS))
    assert set(labels) == {"Status: Open", "Status: Acknowledged"}
    assert listed(client.get(labels["Status: Open"])) == []
    Flag.objects.filter(pk=world.flag_a.pk).update(status="acknowledged")
    assert listed(client.get(labels["Status: Open"])) == [world.flag_a.pk]


def test_advisory_picker_offers_only_advisories_the_user_may_read(client, world, critical):
    client.force_login(world.tenants.viewer)
    url = reverse("exposure:filter_pick", kwargs={"kind": "advisory"})
    options = client.get(url, {"term": "pan-os", "target": "id_advisory"}).context["options"]
    assert [label for _pk, label, _detail in options] == ["CVE-2024-3400"]
    # The draft is not published: a member may not read it.
    assert client.get(url, {"term": "DRAFT"}).context["options"] == []
    body = client.get(url, {"term": "x", "target": '"><script>'}).content.decode()
    assert "<script>" not in body
    vendors = reverse("exposure:filter_pick", kwargs={"kind": "vendor"})
    assert [pk for pk, _l, _d in client.get(vendors, {"term": "kasp"}).context["options"]] == [
        world.vendor.pk
    ]
    assert client.get(reverse("exposure:filter_pick", kwargs={"kind": "user"})).status_code == 404


def test_pickers_show_the_chosen_rows_name(client, world):
    client.force_login(world.tenants.viewer)
    body = client.get(FLAGS, {"advisory": world.warning.pk, "vendor": world.vendor.pk}).content
    body = body.decode()
    assert 'value="BSI-2022-0315"' in body and 'value="Kaspersky"' in body


def test_severity_header_sorts_critical_first(client, world, critical):
    client.force_login(world.tenants.viewer)
    body = client.get(FLAGS).content.decode()
    assert "?sort=-severity" in body
    assert listed(client.get(FLAGS, {"sort": "-severity"})) == [critical.pk, world.flag_a.pk]
    advisories = client.get(reverse("advisories:advisory_list")).content.decode()
    assert "sort=-severity" in advisories
