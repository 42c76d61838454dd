"""Saved views: a user names the filters of a flag list, optionally shares them with one of
their organizations, and finds them in the navigation. Tenant-scoped: a view shared in one
organization is invisible in another, and only its owner deletes it."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from exposure.models import SavedView

pytestmark = pytest.mark.django_db

CREATE = reverse("exposure:saved_view_create")
LIST = reverse("exposure:saved_view_list")
FLAGS = reverse("exposure:flag_list")


def save(client, name, query, organization=None, page="flags"):
    data = {"name": name, "page": page, "query": query}
    if organization is not None:
        data["organization"] = organization.pk
    return client.post(CREATE, data)


def menu(client) -> str:
    body = client.get(reverse("home")).content.decode()
    return body[body.index('class="nav-views"') : body.index("</details>", body.index("nav-views"))]


def test_analyst_saves_the_filters_and_finds_them_in_the_navigation(client, world):
    client.force_login(world.tenants.analyst)
    response = save(client, "Overdue highs", "severity=high&overdue=true&page=3&bogus=1")
    view = SavedView.objects.get()
    # The page and what no filter reads are not kept.
    assert view.query == "severity=high&overdue=true"
    assert response.status_code == 302 and response.url == f"{FLAGS}?severity=high&overdue=true"
    assert "Overdue highs" in menu(client)
    listed = client.get(response.url).context["page"].object_list
    assert [flag.pk for flag in listed] == [world.flag_a.pk]
    assert AuditEntry.objects.filter(action="saved_view.create", object_id=str(view.pk)).exists()


def test_the_form_saves_what_the_list_shows(client, world):
    client.force_login(world.tenants.analyst)
    body = client.get(FLAGS, {"advisory": world.warning.pk, "severity": "high"}).content.decode()
    assert 'name="query" value="advisory=' in body and "Save this view" in body
    assert "Save this view" not in client.get(FLAGS).content.decode()


def test_a_personal_view_is_its_owners_alone(client, world):
    client.force_login(world.tenants.analyst)
    save(client, "Mine", "severity=high")
    client.force_login(world.tenants.viewer)
    assert "Mine" not in menu(client)
    assert list(client.get(LIST).context["views"]) == []


def test_a_view_shared_in_one_organization_is_invisible_in_another(client, world):
    client.force_login(world.tenants.analyst)
    save(client, "Alpha's overdue", "overdue=true", organization=world.tenants.org_a)
    view = SavedView.objects.get()
    client.force_login(world.tenants.viewer)
    assert "Alpha&#x27;s overdue" in menu(client) or "Alpha's overdue" in menu(client)
    client.force_login(world.tenants.outsider)
    assert "overdue" not in menu(client)
    assert list(client.get(LIST).context["views"]) == []
    # Nor can the outsider delete it: it does not exist for them.
    delete = reverse("exposure:saved_view_delete", kwargs={"pk": view.pk})
    assert client.post(delete).status_code == 404
    # A member it is shared with reads it but may not delete it.
    client.force_login(world.tenants.viewer)
    assert client.post(delete).status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.force_login(world.tenants.analyst)
    assert client.post(delete).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()
    assert AuditEntry.objects.filter(action="saved_view.delete", object_id=str(view.pk)).exists()


def test_sharing_with_an_organization_one_cannot_see_is_refused(client, world):
    client.force_login(world.tenants.analyst)
    response = save(client, "Sneaky", "overdue=true", organization=world.tenants.org_b)
    assert not SavedView.objects.exists()
    assert "share it with one of your organizations" in client.get(response.url).content.decode()


def test_a_name_is_needed_and_used_once(client, world):
    client.force_login(world.tenants.analyst)
    save(client, "  ", "overdue=true")
    assert not SavedView.objects.exists()
    save(client, "Overdue", "overdue=true")
    response = save(client, "Overdue", "severity=high")
    assert SavedView.objects.count() == 1
    assert "named “Overdue” already" in client.get(response.url).content.decode()


def test_a_view_of_the_assets_opens_the_assets(client, world):
    client.force_login(world.tenants.analyst)
    response = save(client, "Assets, high", "severity=high", page="assets")
    assert response.url == reverse("exposure:asset_list") + "?severity=high"
    rows = client.get(response.url).context["page"].object_list
    assert [row.item.pk for row in rows] == [world.item_a.pk]
