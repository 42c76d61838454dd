"""Organization list and page: what each user sees, the exposure summary, 404 for outsiders,
and a bounded number of queries however large the organization."""

import pytest
from django.urls import reverse

from tests.factories import InventoryItemFactory, OrganizationFactory, UserFactory
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

LIST = reverse("orgs:organization_list")


def detail(organization) -> str:
    return reverse("orgs:organization_detail", kwargs={"slug": organization.slug})


def test_member_lists_only_their_organizations_with_counts(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(LIST)
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [org.name for org in rows] == ["Stadtwerke Alpha"]
    assert (rows[0].item_count, rows[0].active_flags, rows[0].overdue_flags) == (1, 1, 1)
    assert b"Klinikum Beta" not in response.content


def test_global_analyst_lists_every_organization(client, world):
    client.force_login(UserFactory(username="cert-analyst", is_global_analyst=True))
    names = [org.name for org in client.get(LIST).context["page"].object_list]
    assert sorted(names) == ["Klinikum Beta", "Stadtwerke Alpha"]


def test_organization_list_filters_sorts_and_exports(client, world):
    client.force_login(world.editor)
    response = client.get(LIST, {"sector": "health"})
    assert [org.name for org in response.context["page"].object_list] == ["Klinikum Beta"]
    names = [org.name for org in client.get(LIST, {"sort": "name"}).context["page"].object_list]
    assert names == ["Klinikum Beta", "Stadtwerke Alpha"]
    export = client.get(LIST, {"format": "csv", "sort": "name"})
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("name,sector,country")
    assert lines[1].startswith("Klinikum Beta,Health")


def test_organization_list_says_when_nothing_matches(client, world):
    client.force_login(world.tenants.viewer)
    assert b"No organization matches" in client.get(LIST, {"q": "nothing like it"}).content
    client.force_login(UserFactory(username="newcomer"))
    assert b"not a member of any organization" in client.get(LIST).content


def test_organization_page_shows_its_exposure_flags_and_inventory(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(detail(world.tenants.org_a))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.active, summary.overdue) == (1, 1)
    assert [flag.pk for flag in response.context["urgent"]] == [world.flag_a.pk]
    assert [row.advisory for row in response.context["advisories"]] == [world.warning]
    assert response.context["inventory"] == {"total": 1, "unresolved": 0}
    assert response.context["can_edit"] is False
    body = response.content.decode()
    assert "BSI-2022-0315" in body and "overdue" in body
    assert "Add an item" not in body


def test_analyst_gets_the_edit_actions(client, world):
    client.force_login(world.tenants.analyst)
    response = client.get(detail(world.tenants.org_a))
    assert response.context["can_edit"] is True
    assert b"Add an item" in response.content


def test_other_organizations_page_is_not_found(client, world):
    client.force_login(world.tenants.outsider)
    assert client.get(detail(world.tenants.org_a)).status_code == 404
    assert client.get(detail(world.tenants.org_b)).status_code == 200
    assert client.get("/organizations/no-such-organization/").status_code == 404


def test_organization_page_makes_the_same_number_of_queries_for_many_flags(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.tenants.viewer)
    url = detail(world.tenants.org_a)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(30):
        item = InventoryItemFactory(organization=world.tenants.org_a, version=f"1.{n}")
        flag_for(world.warning, item, priority=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["urgent"]) == 10


def test_organization_list_makes_the_same_number_of_queries_for_many_organizations(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.editor)
    with django_assert_max_num_queries(10) as few:
        client.get(LIST)
    for _ in range(60):
        flag_for(world.warning, InventoryItemFactory(organization=OrganizationFactory()))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 50
