"""The audit trail is append-only: no update or delete through the model, its queryset, the
admin, or plain SQL."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from audit.models import AuditEntry
from audit.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(tenants) -> AuditEntry:
    return audit_record(
        action="flag.status_change",
        actor=tenants.analyst,
        organization=tenants.org_a,
        before={"status": "open"},
        after={"status": "acknowledged"},
    )


def test_an_entry_cannot_be_saved_again(entry):
    entry.action = "flag.forged"
    with pytest.raises(PermissionError, match="append-only"):
        entry.save()


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(PermissionError, match="append-only"):
        entry.delete()


def test_the_queryset_refuses_updates_and_deletes(entry):
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="flag.forged")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "flag.status_change"


def test_the_admin_offers_no_add_change_or_delete(entry):
    request = RequestFactory().get("/admin/audit/auditentry/")
    request.user = UserFactory(username="root", is_superuser=True, is_staff=True)
    admin = site._registry[AuditEntry]

    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)
    assert "delete_selected" not in admin.get_actions(request)


def test_the_admin_pages_refuse_a_change(client, entry):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    response = client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "flag.forged"})

    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "flag.status_change"
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'flag.forged' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_plain_sql_that_would_change_an_entry(entry, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "flag.status_change"
