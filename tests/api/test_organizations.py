"""Organizations and memberships over the API: who sees, who manages, the owner rules."""

import pytest

from audit.models import AuditEntry
from orgs.choices import Role
from orgs.models import Membership, Organization
from tests.api.base import (
    OrganizationFixedTests,
    TenantCreateTests,
    TenantDeleteTests,
    TenantListTests,
    TenantRetrieveTests,
    TenantUpdateTests,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestOrganizations(TenantListTests, TenantRetrieveTests, TenantUpdateTests, TenantDeleteTests):
    basename = "organization"
    model = Organization
    writer = "owner"
    update_data = {"sla_high_days": 14, "description": "Municipal utility"}

    def make(self, tenants, organization):
        return organization


class TestMemberships(
    TenantListTests,
    TenantRetrieveTests,
    TenantCreateTests,
    TenantUpdateTests,
    TenantDeleteTests,
    OrganizationFixedTests,
):
    basename = "membership"
    model = Membership
    writer = "owner"
    update_data = {"role": "analyst"}

    def make(self, tenants, organization):
        return MembershipFactory(organization=organization, role=Role.VIEWER)

    def create_data(self, tenants):
        # A colleague from a sister organization the owner also belongs to: the only users an
        # organization's admin may name are those of organizations they can see.
        sister = OrganizationFactory()
        MembershipFactory(organization=sister, user=tenants.owner, role=Role.VIEWER)
        colleague = MembershipFactory(organization=sister).user
        return {"organization": tenants.org_a.pk, "user": colleague.pk, "role": "viewer"}


@pytest.fixture
def admin(tenants):
    user = UserFactory(username="admin-a")
    MembershipFactory(user=user, organization=tenants.org_a, role=Role.ADMIN)
    return user


def test_only_a_superuser_creates_an_organization(tenants, api):
    body = {"name": "Wasserwerk Gamma", "slug": "wasserwerk-gamma", "sector": "water"}
    assert api.session(tenants.owner).post("/api/v1/organizations/", body).status_code == 403
    root = UserFactory(is_superuser=True)
    response = api.session(root).post("/api/v1/organizations/", body)
    assert response.status_code == 201
    assert AuditEntry.objects.filter(action="organization.create", actor_id=root.pk).exists()


def test_an_admin_changes_settings_but_cannot_rename(tenants, api, admin):
    url = f"/api/v1/organizations/{tenants.org_a.pk}/"
    client = api.session(admin)
    assert client.patch(url, {"sla_low_days": 120}).status_code == 200
    assert client.patch(url, {"name": "Renamed"}).status_code == 403
    tenants.org_a.refresh_from_db()
    assert (tenants.org_a.sla_low_days, tenants.org_a.name) == (120, "Stadtwerke Alpha")


def test_a_put_repeating_the_name_is_not_a_rename(tenants, api, admin):
    url = f"/api/v1/organizations/{tenants.org_a.pk}/"
    body = api.session(admin).get(url).json()
    body["sla_medium_days"] = 60
    assert api.session(admin).put(url, body).status_code == 200


def test_an_admin_cannot_delete_the_organization(tenants, api, admin):
    response = api.session(admin).delete(f"/api/v1/organizations/{tenants.org_a.pk}/")
    assert response.status_code == 403
    assert Organization.objects.filter(pk=tenants.org_a.pk).exists()


def test_an_admin_cannot_grant_owner(tenants, api, admin):
    membership = Membership.objects.get(user=tenants.viewer)
    response = api.session(admin).patch(f"/api/v1/memberships/{membership.pk}/", {"role": "owner"})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_an_admin_cannot_demote_or_remove_an_owner(tenants, api, admin):
    second_owner = MembershipFactory(organization=tenants.org_a, role=Role.OWNER)
    client = api.session(admin)
    url = f"/api/v1/memberships/{second_owner.pk}/"
    assert client.patch(url, {"role": "viewer"}).status_code == 403
    assert client.delete(url).status_code == 403
    assert Membership.objects.get(pk=second_owner.pk).role == Role.OWNER


def test_an_admin_manages_analysts_and_the_change_is_audited(tenants, api, admin):
    membership = Membership.objects.get(user=tenants.viewer)
    response = api.session(admin).patch(
        f"/api/v1/memberships/{membership.pk}/", {"role": "analyst"}
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="membership.role_change")
    assert (entry.before["role"], entry.after["role"], entry.actor_id) == (
        "viewer",
        "analyst",
        admin.pk,
    )
    assert entry.organization_id == tenants.org_a.pk


def test_the_last_owner_can_neither_leave_nor_be_demoted(tenants, api):
    membership = Membership.objects.get(user=tenants.owner)
    client = api.session(tenants.owner)
    url = f"/api/v1/memberships/{membership.pk}/"
    demote = client.patch(url, {"role": "admin"})
    assert demote.status_code == 400
    assert "role" in demote.json()
    assert client.delete(url).status_code == 400
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER


def test_one_of_two_owners_may_step_down(tenants, api):
    MembershipFactory(organization=tenants.org_a, role=Role.OWNER)
    membership = Membership.objects.get(user=tenants.owner)
    response = api.session(tenants.owner).patch(
        f"/api/v1/memberships/{membership.pk}/", {"role": "admin"}
    )
    assert response.status_code == 200


def test_a_membership_cannot_name_a_user_of_another_organization(tenants, api):
    response = api.session(tenants.owner).post(
        "/api/v1/memberships/",
        {"organization": tenants.org_a.pk, "user": tenants.outsider.pk, "role": "viewer"},
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_adding_an_existing_member_again_is_refused(tenants, api):
    response = api.session(tenants.owner).post(
        "/api/v1/memberships/",
        {"organization": tenants.org_a.pk, "user": tenants.viewer.pk, "role": "analyst"},
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_an_analyst_cannot_manage_members(tenants, api):
    membership = Membership.objects.get(user=tenants.viewer)
    response = api.session(tenants.analyst).patch(
        f"/api/v1/memberships/{membership.pk}/", {"role": "analyst"}
    )
    assert response.status_code == 403
