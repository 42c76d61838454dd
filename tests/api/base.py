"""The shared API test cases, after NetBox's ``APIViewTestCases``.

An endpoint's test class names its route, its model and how to build one of its objects, then
mixes in the cases that apply: each mixin brings the behaviour, permission and
cross-organization tests of one operation. ``tenants`` (tests/conftest.py) provides org A with an
owner, an analyst and a viewer, and an outsider who owns org B.

    class TestInventoryItems(TenantListTests, TenantRetrieveTests, TenantCreateTests, ...):
        basename = "inventoryitem"
        model = InventoryItem
        writer = "analyst"

        def make(self, tenants, organization): ...
        def create_data(self, tenants): ...
        update_data = {"version": "2.0"}
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from django.urls import reverse

from orgs.choices import TokenAccess
from orgs.models import Organization, User
from tests.conftest import Tenants
from tests.factories import UserFactory


class EndpointTests:
    """What every endpoint's tests declare.

    Endpoints of organizations' rows mix in the ``Tenant*`` cases, which add the
    cross-organization tests; catalogue endpoints, which every signed-in user reads, mix in the
    plain ones with an advisory editor as ``writer``.
    """

    basename: ClassVar[str]
    model: ClassVar[type[Model]]
    # The ``tenants`` attribute naming a user of org A who may write, or "editor" for an
    # advisory editor (catalogue endpoints), or "superuser".
    writer: ClassVar[str] = "analyst"
    # A user of org A who may read but not write.
    reader: ClassVar[str] = "viewer"

    def make(self, tenants: Tenants, organization: Organization) -> Model:
        """An object of ``organization`` (ignored by catalogue endpoints)."""
        raise NotImplementedError

    def user(self, tenants: Tenants, name: str) -> User:
        if name == "editor":
            return UserFactory(username="editor", is_advisory_editor=True)
        if name == "superuser":
            return UserFactory(username="root", is_superuser=True)
        user: User = getattr(tenants, name)
        return user

    def list_url(self) -> str:
        return reverse(f"api:{self.basename}-list")

    def detail_url(self, obj: Model) -> str:
        return reverse(f"api:{self.basename}-detail", args=[obj.pk])

    def exists(self, obj: Model) -> bool:
        """Whether ``obj`` is still there (tokens override: revoked is gone)."""
        return type(obj).objects.filter(pk=obj.pk).exists()


def result_ids(response: Any) -> set[int]:
    """The ids in a list response, paginated by page or by cursor."""
    return {row["id"] for row in response.json()["results"]}


class ListTests(EndpointTests):
    def test_list_shows_the_readers_objects(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        response = api.session(self.user(tenants, self.reader)).get(self.list_url())
        assert response.status_code == 200
        assert obj.pk in result_ids(response)

    def test_list_through_a_read_token_works(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        client = api.token(self.user(tenants, self.reader), access=TokenAccess.READ)
        response = client.get(self.list_url())
        assert response.status_code == 200
        assert obj.pk in result_ids(response)

    def test_anonymous_list_is_401(self, tenants, api):
        self.make(tenants, tenants.org_a)
        response = api.anonymous().get(self.list_url())
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


class RetrieveTests(EndpointTests):
    def test_detail_shows_the_object(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        response = api.session(self.user(tenants, self.reader)).get(self.detail_url(obj))
        assert response.status_code == 200
        assert response.json()["id"] == obj.pk

    def test_anonymous_detail_is_401(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        assert api.anonymous().get(self.detail_url(obj)).status_code == 401


class CreateTests(EndpointTests):
    """``create_data`` is a valid body aimed at org A (or the catalogue)."""

    def create_data(self, tenants: Tenants) -> dict[str, Any]:
        raise NotImplementedError

    def test_create_by_a_permitted_user(self, tenants, api):
        data = self.create_data(tenants)
        before = self.model.objects.count()
        client = api.session(self.user(tenants, self.writer))
        response = client.post(self.list_url(), data, format="json")
        assert response.status_code == 201, response.json()
        assert self.model.objects.count() == before + 1
        assert self.model.objects.filter(pk=response.json()["id"]).exists()

    def test_reader_cannot_create(self, tenants, api):
        data = self.create_data(tenants)
        before = self.model.objects.count()
        client = api.session(self.user(tenants, self.reader))
        response = client.post(self.list_url(), data, format="json")
        assert response.status_code in (400, 403), response.json()
        assert self.model.objects.count() == before

    def test_read_token_cannot_create(self, tenants, api):
        data = self.create_data(tenants)
        client = api.token(self.user(tenants, self.writer), access=TokenAccess.READ)
        before = self.model.objects.count()
        response = client.post(self.list_url(), data, format="json")
        assert response.status_code == 403
        assert self.model.objects.count() == before

    def test_anonymous_cannot_create(self, tenants, api):
        data = self.create_data(tenants)
        before = self.model.objects.count()
        response = api.anonymous().post(self.list_url(), data, format="json")
        assert response.status_code == 401
        assert self.model.objects.count() == before


class UpdateTests(EndpointTests):
    """``update_data`` is a valid PATCH body; each of its values is checked after the update."""

    update_data: ClassVar[dict[str, Any]]

    def _unchanged(self, obj: Model) -> bool:
        fresh = type(obj).objects.get(pk=obj.pk)
        return all(getattr(fresh, name) == getattr(obj, name) for name in self.update_data)

    def test_update_by_a_permitted_user(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        client = api.session(self.user(tenants, self.writer))
        response = client.patch(self.detail_url(obj), self.update_data, format="json")
        assert response.status_code == 200, response.json()
        for name, value in self.update_data.items():
            assert response.json()[name] == value

    def test_an_unknown_field_is_refused_and_nothing_changes(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        client = api.session(self.user(tenants, self.writer))
        body = {**self.update_data, "no_such_field": "x"}
        response = client.patch(self.detail_url(obj), body, format="json")
        assert response.status_code == 400
        assert response.json() == {"no_such_field": ["Unknown field."]}
        assert self._unchanged(obj)

    def test_reader_cannot_update(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        client = api.session(self.user(tenants, self.reader))
        response = client.patch(self.detail_url(obj), self.update_data, format="json")
        assert response.status_code == 403
        assert self._unchanged(obj)

    def test_read_token_cannot_update(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        client = api.token(self.user(tenants, self.writer), access=TokenAccess.READ)
        response = client.patch(self.detail_url(obj), self.update_data, format="json")
        assert response.status_code == 403
        assert self._unchanged(obj)


class DeleteTests(EndpointTests):
    def test_delete_by_a_permitted_user(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        response = api.session(self.user(tenants, self.writer)).delete(self.detail_url(obj))
        assert response.status_code == 204
        assert not self.exists(obj)

    def test_reader_cannot_delete(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        response = api.session(self.user(tenants, self.reader)).delete(self.detail_url(obj))
        assert response.status_code == 403
        assert self.exists(obj)

    def test_read_token_cannot_delete(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        client = api.token(self.user(tenants, self.writer), access=TokenAccess.READ)
        assert client.delete(self.detail_url(obj)).status_code == 403
        assert self.exists(obj)


class TenantListTests(ListTests):
    """Lists of organizations' rows: an outsider never sees org A's."""

    def test_outsider_list_never_shows_another_organizations_objects(self, tenants, api):
        theirs = self.make(tenants, tenants.org_a)
        own = self.make(tenants, tenants.org_b)
        for client in (
            api.session(tenants.outsider),
            api.token(tenants.outsider),
            api.token(tenants.outsider, organization=tenants.org_b),
        ):
            ids = result_ids(client.get(self.list_url(), {"page_size": 200}))
            assert theirs.pk not in ids
            assert own.pk in ids


class TenantRetrieveTests(RetrieveTests):
    def test_outsider_gets_404_for_another_organizations_object_like_a_missing_one(
        self, tenants, api
    ):
        obj = self.make(tenants, tenants.org_a)
        missing = api.session(tenants.outsider).get(
            reverse(f"api:{self.basename}-detail", args=[10**9])
        )
        for client in (
            api.session(tenants.outsider),
            api.token(tenants.outsider, organization=tenants.org_b),
        ):
            response = client.get(self.detail_url(obj))
            assert response.status_code == 404
            assert response.json() == missing.json()


class TenantCreateTests(CreateTests):
    def test_create_for_another_organization_is_refused_naming_the_field(self, tenants, api):
        data = self.create_data(tenants)
        clients = (
            api.session(tenants.outsider),
            api.token(tenants.outsider, organization=tenants.org_b),
        )
        before = self.model.objects.count()
        for client in clients:
            response = client.post(self.list_url(), data, format="json")
            assert response.status_code == 400
            assert "organization" in response.json()
        assert self.model.objects.count() == before


class TenantUpdateTests(UpdateTests):
    def test_outsider_update_is_404(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        for client in (
            api.session(tenants.outsider),
            api.token(tenants.outsider, organization=tenants.org_b),
        ):
            response = client.patch(self.detail_url(obj), self.update_data, format="json")
            assert response.status_code == 404
        assert self._unchanged(obj)


class TenantDeleteTests(DeleteTests):
    def test_outsider_delete_is_404(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        for client in (
            api.session(tenants.outsider),
            api.token(tenants.outsider, organization=tenants.org_b),
        ):
            assert client.delete(self.detail_url(obj)).status_code == 404
        assert self.exists(obj)


class OrganizationFixedTests(EndpointTests):
    """For rows that belong to an organization for life (items, memberships)."""

    def test_organization_cannot_be_reassigned(self, tenants, api):
        obj = self.make(tenants, tenants.org_a)
        # Someone who owns both organizations, so that only the rule can refuse the move.
        both = UserFactory(username="owns-both")
        for organization in (tenants.org_a, tenants.org_b):
            organization.memberships.create(user=both, role="owner")
        response = api.session(both).patch(
            self.detail_url(obj), {"organization": tenants.org_b.pk}, format="json"
        )
        assert response.status_code == 400
        assert "organization" in response.json()
        assert type(obj).objects.get(pk=obj.pk).organization_id == tenants.org_a.pk
