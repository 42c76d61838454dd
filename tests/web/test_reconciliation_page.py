"""The reconciliation page: unresolved names grouped by spelling, scoped to the user's
organizations; an editor maps a spelling to a product, which adds the aliases through the
catalogue services, and the items resolve and get their flags."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from exposure.flag_filters import ORGANIZATIONS_LISTED
from exposure.models import Flag
from tests.factories import (
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
)
from vendors.models import ProductAlias, VendorAlias

pytestmark = pytest.mark.django_db

PAGE = reverse("orgs:reconciliation")
MAP = reverse("orgs:name_map")


def misspelled(organization, version="11.1"):
    """An item whose names the catalogue does not know yet."""
    return InventoryItemFactory(
        organization=organization,
        product=None,
        raw_vendor="Kasperski",
        raw_product="KES",
        version=version,
    )


@pytest.fixture
def unresolved(world):
    return [
        misspelled(world.tenants.org_a),
        misspelled(world.tenants.org_a, "11.2"),
        misspelled(world.tenants.org_b),
    ]


def test_member_sees_their_organizations_spellings_grouped(client, world, unresolved):
    client.force_login(world.tenants.viewer)
    response = client.get(PAGE)
    assert response.status_code == 200
    groups = list(response.context["page"].object_list)
    assert len(groups) == 1
    assert (groups[0]["raw_vendor"], groups[0]["raw_product"]) == ("Kasperski", "KES")
    assert (groups[0]["item_count"], groups[0]["organization_count"]) == (2, 1)
    assert response.context["can_map"] is False
    assert b"Map</button>" not in response.content


def test_editor_sees_every_organizations_spellings_and_the_map_forms(client, world, unresolved):
    client.force_login(world.editor)
    response = client.get(PAGE)
    group = response.context["page"].object_list[0]
    assert (group["item_count"], group["organization_count"]) == (3, 2)
    assert b"Map</button>" in response.content
    organization = client.get(PAGE, {"organization": world.tenants.org_b.pk})
    assert organization.context["page"].object_list[0]["item_count"] == 1


def test_mapping_adds_the_aliases_and_the_items_resolve_and_get_their_flags(
    client, world, unresolved, django_capture_on_commit_callbacks
):
    assert not Flag.objects.filter(item__in=unresolved).exists()
    client.force_login(world.editor)
    # Matching is enqueued after commit; the test's transaction never commits, so run it.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            MAP,
            {
                "raw_vendor": "Kasperski",
                "raw_product": "KES",
                "product": world.product.pk,
                "next": f"{PAGE}?page=1",
            },
        )
    assert response.status_code == 302
    assert response.url == f"{PAGE}?page=1"
    assert VendorAlias.objects.filter(vendor=world.vendor, name="Kasperski").exists()
    assert ProductAlias.objects.filter(product=world.product, name="KES").exists()
    assert AuditEntry.objects.filter(action="product.alias_add").exists()
    for item in unresolved:
        item.refresh_from_db()
        assert item.product == world.product
        assert Flag.objects.filter(item=item, advisory=world.warning, status="open").exists()
    assert not client.get(PAGE).context["page"].object_list


def test_mapping_adds_only_the_alias_the_catalogue_lacks(
    client, world, django_capture_on_commit_callbacks
):
    item = InventoryItemFactory(
        organization=world.tenants.org_a, product=None, raw_vendor="Kaspersky", raw_product="KES"
    )
    client.force_login(world.editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            MAP, {"raw_vendor": "Kaspersky", "raw_product": "KES", "product": world.product.pk}
        )
    assert not VendorAlias.objects.exists()
    item.refresh_from_db()
    assert item.product == world.product


def test_a_spelling_that_is_another_vendors_name_is_refused(client, world):
    other = ProductFactory(name="Other Tool")
    InventoryItemFactory(
        organization=world.tenants.org_a,
        product=None,
        raw_vendor=other.vendor.name,
        raw_product="KES",
    )
    client.force_login(world.editor)
    response = client.post(
        MAP,
        {"raw_vendor": other.vendor.name, "raw_product": "KES", "product": world.product.pk},
        follow=True,
    )
    assert "is the name of another vendor" in response.content.decode()
    assert not VendorAlias.objects.exists() and not ProductAlias.objects.exists()


def test_members_may_not_map_names(client, world, unresolved):
    client.force_login(world.tenants.owner)
    response = client.post(
        MAP, {"raw_vendor": "Kasperski", "raw_product": "KES", "product": world.product.pk}
    )
    assert response.status_code == 403
    assert not VendorAlias.objects.exists()


def test_a_redirect_elsewhere_is_not_followed(client, world, unresolved):
    client.force_login(world.editor)
    response = client.post(
        MAP,
        {
            "raw_vendor": "Kasperski",
            "raw_product": "KES",
            "product": world.product.pk,
            "next": "https://evil.example/",
        },
    )
    assert response.url == PAGE


def test_reconciliation_makes_the_same_number_of_queries_for_many_spellings(
    client, world, django_assert_max_num_queries
):
    organization = OrganizationFactory()
    InventoryItemFactory(organization=organization, product=None, raw_product="Tool")
    client.force_login(world.editor)
    with django_assert_max_num_queries(10) as few:
        client.get(PAGE)
    for n in range(60):
        InventoryItemFactory(organization=organization, product=None, raw_product=f"Tool {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(PAGE)
    assert len(response.context["page"].object_list) == 50


def test_an_analyst_of_many_organizations_picks_one_by_name_rather_than_scrolling(
    client, world, unresolved
):
    """Past ORGANIZATIONS_LISTED organizations the filter is the flag list's search box,
    whose matches are the user's own organizations; the chosen one keeps its name."""
    many = [
        OrganizationFactory(name=f"Gemeinde {n:02}", slug=f"gemeinde-{n:02}")
        for n in range(ORGANIZATIONS_LISTED)
    ]
    for organization in many:
        MembershipFactory(user=world.tenants.analyst, organization=organization, role="analyst")
    InventoryItemFactory(
        organization=many[3], product=None, raw_vendor="Hikvisoin", raw_product="Cam"
    )
    client.force_login(world.tenants.analyst)

    response = client.get(PAGE, {"organization": many[3].pk})
    body = response.content.decode()
    foreign = client.get(PAGE, {"organization": world.tenants.org_b.pk})

    assert "<select" not in body and "Gemeinde 07" not in body
    assert 'id="id_organization-search"' in body and 'value="Gemeinde 03"' in body
    assert f'name="organization" value="{many[3].pk}" id="id_organization"' in body
    assert [group["raw_vendor"] for group in response.context["page"].object_list] == ["Hikvisoin"]
    # Organization B is not the analyst's: not named, and its spellings are not listed.
    assert world.tenants.org_b.name not in foreign.content.decode()
    assert not foreign.context["page"].object_list


def test_a_member_of_few_organizations_keeps_the_drop_down_of_their_own(client, world, unresolved):
    client.force_login(world.tenants.viewer)
    body = client.get(PAGE).content.decode()
    assert '<select name="organization" id="id_organization">' in body
    assert world.tenants.org_a.name in body and world.tenants.org_b.name not in body
