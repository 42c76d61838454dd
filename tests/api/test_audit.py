"""The audit trail over the API: admins read their organizations' entries, nobody else."""

import pytest

from audit.models import AuditEntry
from audit.services import audit_record
from orgs.choices import Role
from tests.api.base import TenantListTests, TenantRetrieveTests
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestAuditEntries(TenantListTests, TenantRetrieveTests):
    basename = "auditentry"
    model = AuditEntry
    reader = "owner"

    def make(self, tenants, organization):
        return audit_record(action="test.event", organization=organization)


def test_viewers_and_analysts_read_no_audit_entries(tenants, api):
    audit_record(action="test.event", organization=tenants.org_a)
    for user in (tenants.viewer, tenants.analyst):
        assert api.session(user).get("/api/v1/audit-entries/").json()["results"] == []


def test_platform_entries_are_for_signed_in_superusers_only(tenants, api):
    entry = audit_record(action="auth.login_failed")
    admin = UserFactory(username="admin-a")
    MembershipFactory(user=admin, organization=tenants.org_a, role=Role.ADMIN)
    root = UserFactory(is_superuser=True)
    assert api.session(admin).get(f"/api/v1/audit-entries/{entry.pk}/").status_code == 404
    assert api.token(root).get(f"/api/v1/audit-entries/{entry.pk}/").status_code == 404
    assert api.session(root).get(f"/api/v1/audit-entries/{entry.pk}/").status_code == 200


def test_audit_entries_filter_by_action_prefix(tenants, api):
    audit_record(action="flag.assign", organization=tenants.org_a)
    audit_record(action="membership.delete", organization=tenants.org_a)
    response = api.session(tenants.owner).get("/api/v1/audit-entries/", {"action_prefix": "flag."})
    assert [row["action"] for row in response.json()["results"]] == ["flag.assign"]
