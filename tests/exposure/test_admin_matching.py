"""Admin edits go through the services, so they resolve and match like any other write."""

from __future__ import annotations

import pytest
from django.urls import reverse

from advisories.models import Advisory
from audit.models import AuditEntry
from exposure.choices import FlagStatus, ResolutionReason
from exposure.models import Flag
from orgs.models import InventoryItem
from tests.exposure.conftest import open_flags
from tests.factories import AdvisoryFactory, UserFactory

pytestmark = pytest.mark.django_db

FORTIOS_RANGE = {"kind": "product_range", "product": "fortios", "version_range": "< 7.2.5"}


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return client


@pytest.fixture
def posted(admin_client, django_capture_on_commit_callbacks):
    """POST to the admin and run the matching the request asked for after commit."""

    def post(url: str, data: dict) -> object:
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(url, data)

    return post


def test_the_publish_action_publishes_and_matches(catalogue, make_item, posted):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = AdvisoryFactory()
    advisory.targets.create(kind="product", product=catalogue.products["fortios"])

    posted(
        reverse("admin:advisories_advisory_changelist"),
        {"action": "publish_selected", "_selected_action": [advisory.pk]},
    )

    assert Advisory.objects.get(pk=advisory.pk).status == "published"
    assert open_flags(advisory) == {item.pk: "confirmed"}


def test_the_withdraw_action_needs_a_reason_and_resolves_the_flags(make_item, publish, posted):
    make_item({"p": "fortios", "v": "7.0"})
    advisory = publish(FORTIOS_RANGE)
    url = reverse("admin:advisories_advisory_changelist")

    posted(url, {"action": "withdraw_selected", "_selected_action": [advisory.pk]})
    assert Advisory.objects.get(pk=advisory.pk).status == "published"

    Advisory.objects.filter(pk=advisory.pk).update(withdrawn_reason="Vendor retracted it.")
    posted(url, {"action": "withdraw_selected", "_selected_action": [advisory.pk]})
    assert set(Flag.objects.values_list("status", "resolution_reason")) == {
        (FlagStatus.RESOLVED, ResolutionReason.ADVISORY_WITHDRAWN)
    }


def test_a_target_added_in_the_admin_is_compiled_and_matched(catalogue, make_item, publish, posted):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = publish({"kind": "product", "product": "anti_virus"})

    response = posted(
        reverse("admin:advisories_affectedtarget_add"),
        {
            "advisory": advisory.pk,
            "kind": "product_range",
            "product": catalogue.products["fortios"].pk,
            "version_range": "< 7.2.5",
            "country": "",
        },
    )

    assert response.status_code == 302
    assert open_flags(advisory) == {item.pk: "confirmed"}
    assert advisory.revisions.filter(summary__startswith="Target added").exists()


def test_an_item_added_in_the_admin_is_resolved_and_matched(catalogue, org, publish, posted):
    advisory = publish(FORTIOS_RANGE)

    response = posted(
        reverse("admin:orgs_inventoryitem_add"),
        {
            "organization": org.pk,
            "raw_vendor": "Fortinet",
            "raw_product": "FortiOS",
            "version": "7.2.1",
            "quantity": 1,
            "environment": "production",
            "criticality": "high",
            "source": "manual",
        },
    )

    assert response.status_code == 302
    item = InventoryItem.objects.get()
    assert item.product == catalogue.products["fortios"]
    assert open_flags(advisory) == {item.pk: "confirmed"}


def test_an_item_deleted_in_the_admin_has_its_flags_resolved(make_item, publish, posted):
    item = make_item({"p": "fortios", "v": "7.0"})
    publish(FORTIOS_RANGE)

    posted(reverse("admin:orgs_inventoryitem_delete", args=[item.pk]), {"post": "yes"})

    assert Flag.objects.get().resolution_reason == ResolutionReason.ITEM_REMOVED


def test_a_vendor_alias_added_in_the_admin_resolves_items(catalogue, make_item, publish, posted):
    advisory = publish(FORTIOS_RANGE)
    item = make_item({"vendor": "Fortynet", "product": "FortiOS", "v": "7.0"})

    posted(
        reverse("admin:vendors_vendoralias_add"),
        {"vendor": catalogue.vendors["fortinet"].pk, "name": "Fortynet"},
    )

    assert InventoryItem.objects.get(pk=item.pk).product == catalogue.products["fortios"]
    assert open_flags(advisory) == {item.pk: "confirmed"}


def test_a_vendor_added_with_inline_alias_and_product_goes_through_the_services(
    org, make_item, posted
):
    item = make_item({"vendor": "Acme Kameras", "product": "Cam 3000"})
    formset = {"TOTAL_FORMS": 1, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}

    response = posted(
        reverse("admin:vendors_vendor_add"),
        {
            "name": "Acme Cameras",
            "slug": "acme-cameras",
            "country": "CN",
            **{f"aliases-{key}": value for key, value in formset.items()},
            "aliases-0-name": "Acme Kameras",
            **{f"products-{key}": value for key, value in formset.items()},
            "products-0-name": "Cam 3000",
            "products-0-category": "video_surveillance",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.product is not None and item.product.vendor.name == "Acme Cameras"
    assert AuditEntry.objects.filter(action="vendor.alias_add").exists()


_EMPTY_FORMSET = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def _product_form(product, **changes):
    data = {
        "vendor": product.vendor_id,
        "name": product.name,
        "slug": product.slug,
        "category": product.category,
        "cpe": product.cpe,
        "purl": product.purl,
        "website": "",
        "description": "",
        **{f"aliases-{key}": value for key, value in _EMPTY_FORMSET.items()},
    }
    return {**data, **changes}


def test_a_products_whole_cpe_name_given_in_the_admin_is_stored_and_matched(
    catalogue, admin_client, make_item, publish, posted
):
    fortios = catalogue.products["fortios"]
    fortios.cpe_part = ""
    fortios.save()
    item = make_item({"p": "fortios", "v": "7.2.1"})
    advisory = publish({"kind": "cpe", "cpe": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"})
    assert open_flags(advisory) == {item.pk: "possible"}
    url = reverse("admin:vendors_product_change", args=[fortios.pk])
    assert 'value="cpe:2.3:*:fortinet:fortios:*:*:*:*:*:*:*:*"' in admin_client.get(url).text

    response = posted(url, _product_form(fortios, cpe="cpe:2.3:o:Fortinet:FortiOS:*:*:*:*:*:*:*:*"))

    assert response.status_code == 302, response.content.decode()[:2000]
    fortios.refresh_from_db()
    assert (fortios.cpe_part, fortios.cpe_vendor, fortios.cpe_product) == (
        "o",
        "fortinet",
        "fortios",
    )
    assert open_flags(advisory) == {item.pk: "confirmed"}
    assert AuditEntry.objects.filter(action="product.update").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpe", "cpe:2.3:o:fortinet:fortios:7.2.1:*:*:*:*:*:*:*", "so version must be"),
        ("purl", "pkg:generic/fortios@7.2.1", "leave out a version"),
    ],
    ids=["cpe", "purl"],
)
def test_a_bad_cpe_name_or_purl_in_the_admin_is_shown_on_its_field(
    catalogue, admin_client, field, value, message
):
    fortios = catalogue.products["fortios"]
    before = fortios.cpe
    url = reverse("admin:vendors_product_change", args=[fortios.pk])

    response = admin_client.post(url, _product_form(fortios, name="FortiOS 7", **{field: value}))

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    fortios.refresh_from_db()
    assert (fortios.name, fortios.cpe) == ("FortiOS", before)
