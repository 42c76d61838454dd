"""Inventory import by upload: applied all-or-nothing, tenant-scoped, queued when large."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from exposure.choices import FlagStatus, ResolutionReason
from exposure.models import Flag
from orgs.choices import ImportStatus, ItemSource, TokenAccess
from orgs.models import ImportJob, InventoryItem
from tests.api.base import TenantListTests, TenantRetrieveTests
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/inventory-imports/"
CYCLONEDX = Path(__file__).resolve().parent.parent / "fixtures" / "cyclonedx"
CSV = (
    "vendor,product,version,quantity,environment,criticality,external_ref\n"
    "AO Kaspersky Lab,Kaspersky Endpoint Security,11.1.1,25,production,critical,CMDB-1\n"
    "Hikvision,DS-2CD2043G2-I,5.7.3,4,production,high,CMDB-2\n"
)


def upload(client, organization, content, *, name="inventory.csv", **fields):
    data = {"organization": organization.pk, "file": SimpleUploadedFile(name, content), **fields}
    return client.post(URL, data, format="multipart")


class TestImportJobEndpoints(TenantListTests, TenantRetrieveTests):
    """Jobs are listed and shown to whoever sees their organization, and to no one else."""

    basename = "inventory-import"
    model = ImportJob

    def make(self, tenants, organization):
        return ImportJob.objects.create(
            organization=organization, file_format="csv", status=ImportStatus.SUCCEEDED
        )


def test_small_csv_is_applied_at_once_and_answers_with_the_counts(tenants, api):
    response = upload(api.session(tenants.analyst), tenants.org_a, CSV.encode())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "succeeded"
    assert (body["total_rows"], body["rows_parsed"], body["created_count"]) == (2, 2, 2)
    assert body["errors"] == []
    items = InventoryItem.objects.filter(organization=tenants.org_a).order_by("external_ref")
    assert [(i.raw_vendor, i.version, i.quantity, i.source) for i in items] == [
        ("AO Kaspersky Lab", "11.1.1", 25, ItemSource.CSV),
        ("Hikvision", "5.7.3", 4, ItemSource.CSV),
    ]
    assert ImportJob.objects.get(pk=body["id"]).content == b""


def test_semicolon_file_with_byte_order_mark_is_applied(tenants, api):
    content = "\ufeff".encode() + CSV.replace(",", ";").encode()

    response = upload(api.token(tenants.analyst), tenants.org_a, content)

    assert response.status_code == 201, response.json()
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == 2


def test_file_with_bad_lines_answers_every_error_and_stores_nothing(tenants, api):
    content = (
        CSV + "Acme,Widget,1.0,none,production,high,CMDB-3\nAcme,,1.0,1,production,high,CMDB-4\n"
    ).encode()

    response = upload(api.session(tenants.analyst), tenants.org_a, content)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Nothing was imported: 2 errors."
    assert body["errors"] == [
        {"location": "line 4, quantity", "message": "must be a whole number ≥ 1"},
        {"location": "line 5", "message": "names no product, CPE or purl"},
    ]
    assert body["status"] == "failed"
    assert not InventoryItem.objects.filter(organization=tenants.org_a).exists()


def test_file_that_cannot_be_read_is_refused_without_a_job(tenants, api):
    content = "product\nMüller Gerät\n".encode("cp1252")

    response = upload(api.session(tenants.analyst), tenants.org_a, content)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "location": "line 2",
            "message": "the file is not UTF-8 (byte 0xfc at offset 9); "
            "save it as UTF-8 (with or without BOM).",
        }
    ]
    assert not ImportJob.objects.exists()


def test_oversized_file_is_refused_with_the_limit(tenants, api, settings):
    settings.INVENTORY_IMPORT_MAX_BYTES = 100

    response = upload(api.session(tenants.analyst), tenants.org_a, CSV.encode())

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        f"The file is larger than the limit of 100 bytes ({len(CSV.encode())} bytes); "
        "split it into smaller files."
    )
    assert not InventoryItem.objects.exists()


def test_file_over_the_row_limit_is_refused(tenants, api, settings):
    settings.INVENTORY_IMPORT_MAX_ROWS = 1

    response = upload(api.session(tenants.analyst), tenants.org_a, CSV.encode())

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "The file has more than 1 rows; split it into smaller files."
    )


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bom-1.4.json", ["Kaspersky Endpoint Security", "log4j-core"]),
        ("bom-1.5.json", ["DS-2CD2043G2-I", "IP Camera Firmware", "Kubernetes"]),
        ("bom-1.6.json", ["OpenSSL", "requests"]),
    ],
)
def test_cyclonedx_bom_is_applied_as_sbom_items(tenants, api, fixture, expected):
    content = (CYCLONEDX / fixture).read_bytes()

    response = upload(api.session(tenants.analyst), tenants.org_a, content, name=fixture)

    assert response.status_code == 201, response.json()
    assert response.json()["file_format"] == "cyclonedx"
    items = InventoryItem.objects.filter(organization=tenants.org_a)
    assert sorted(items.values_list("raw_product", flat=True)) == sorted(expected)
    assert set(items.values_list("source", flat=True)) == {ItemSource.CYCLONEDX}


def test_invalid_cyclonedx_bom_answers_errors_by_json_path(tenants, api):
    content = (CYCLONEDX / "bom-1.5-invalid.json").read_bytes()

    response = upload(api.session(tenants.analyst), tenants.org_a, content, name="bom.json")

    assert response.status_code == 400
    locations = [error["location"] for error in response.json()["errors"]]
    assert locations[:3] == [
        "components[1].version",
        "components[2].components[0].purl",
        "components[3].type",
    ]
    assert not InventoryItem.objects.exists()


def test_unsupported_cyclonedx_version_is_refused(tenants, api):
    content = (CYCLONEDX / "bom-1.3.json").read_bytes()

    response = upload(api.session(tenants.analyst), tenants.org_a, content, name="bom.json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "location": "specVersion",
            "message": "'1.3' is not supported; the supported versions are 1.4, 1.5, 1.6",
        }
    ]


def test_format_given_explicitly_wins_over_the_file_name(tenants, api):
    content = (CYCLONEDX / "bom-1.6.json").read_bytes()

    response = upload(
        api.session(tenants.analyst),
        tenants.org_a,
        content,
        name="upload.csv",
        file_format="cyclonedx",
    )

    assert response.status_code == 201, response.json()


def test_replace_mode_replaces_the_items_from_the_same_source_and_resolves_their_flags(
    tenants, api
):
    old_csv_item = InventoryItemFactory(organization=tenants.org_a, source=ItemSource.CSV)
    manual_item = InventoryItemFactory(organization=tenants.org_a, source=ItemSource.MANUAL)
    other_org_item = InventoryItemFactory(organization=tenants.org_b, source=ItemSource.CSV)
    flag = Flag.objects.create(
        advisory=PublishedAdvisoryFactory(),
        item=old_csv_item,
        organization=tenants.org_a,
        item_label=str(old_csv_item),
    )

    response = upload(api.session(tenants.analyst), tenants.org_a, CSV.encode(), mode="replace")

    assert response.status_code == 201, response.json()
    assert response.json()["removed_count"] == 1
    assert not InventoryItem.objects.filter(pk=old_csv_item.pk).exists()
    assert InventoryItem.objects.filter(pk__in=[manual_item.pk, other_org_item.pk]).count() == 2
    assert InventoryItem.objects.filter(organization=tenants.org_a, source="csv").count() == 2
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolution_reason == ResolutionReason.ITEM_REMOVED


def test_replace_with_a_bad_file_removes_nothing(tenants, api):
    old_csv_item = InventoryItemFactory(organization=tenants.org_a, source=ItemSource.CSV)

    response = upload(
        api.session(tenants.analyst), tenants.org_a, b"product,quantity\nWidget,0\n", mode="replace"
    )

    assert response.status_code == 400
    assert InventoryItem.objects.filter(pk=old_csv_item.pk).exists()


def test_upload_into_another_organization_is_404_like_a_missing_one(tenants, api):
    missing = api.session(tenants.outsider).post(
        URL,
        {"organization": 10**9, "file": SimpleUploadedFile("a.csv", CSV.encode())},
        format="multipart",
    )
    for client in (
        api.session(tenants.outsider),
        api.token(tenants.outsider),
        api.token(tenants.outsider, organization=tenants.org_b),
    ):
        response = upload(client, tenants.org_a, CSV.encode())
        assert response.status_code == 404
        assert response.json() == missing.json()
    assert not InventoryItem.objects.exists()
    assert not ImportJob.objects.exists()


def test_organization_token_cannot_upload_into_another_organization_of_its_user(tenants, api):
    tenants.analyst.memberships.create(organization=tenants.org_b, role="admin")
    client = api.token(tenants.analyst, organization=tenants.org_b)

    assert upload(client, tenants.org_a, CSV.encode()).status_code == 404
    assert upload(client, tenants.org_b, CSV.encode()).status_code == 201


def test_viewer_may_not_upload(tenants, api):
    response = upload(api.session(tenants.viewer), tenants.org_a, CSV.encode())

    assert response.status_code == 403
    assert not InventoryItem.objects.exists()


def test_read_only_token_may_not_upload(tenants, api):
    client = api.token(tenants.analyst, access=TokenAccess.READ)

    assert upload(client, tenants.org_a, CSV.encode()).status_code == 403
    assert not InventoryItem.objects.exists()


def test_anonymous_upload_is_401(tenants, api):
    assert upload(api.anonymous(), tenants.org_a, CSV.encode()).status_code == 401


def test_upload_without_a_file_names_the_field(tenants, api):
    response = api.session(tenants.analyst).post(
        URL, {"organization": tenants.org_a.pk}, format="multipart"
    )

    assert response.status_code == 400
    assert "file" in response.json()


def test_upload_is_audited_with_its_outcome(tenants, api):
    response = upload(api.session(tenants.analyst), tenants.org_a, CSV.encode())

    entry = AuditEntry.objects.get(action="inventory.import")
    assert entry.actor_name == "analyst-a"
    assert entry.organization_id == tenants.org_a.pk
    assert entry.object_id == str(response.json()["id"])
    assert entry.via == "api"
    assert entry.after["status"] == "succeeded"
    assert entry.after["created_count"] == 2


def test_large_file_is_queued_and_its_job_reports_the_outcome(
    tenants, api, settings, django_capture_on_commit_callbacks
):
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 1
    client = api.session(tenants.analyst)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, tenants.org_a, CSV.encode())

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert response["Location"].endswith(reverse("api:inventory-import-detail", args=[body["id"]]))
    status = client.get(response["Location"]).json()
    assert status["status"] == "succeeded"
    assert (status["rows_parsed"], status["total_rows"], status["created_count"]) == (2, 2, 2)
    assert ImportJob.objects.get(pk=body["id"]).content == b""
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == 2


def test_queued_file_with_errors_fails_its_job_and_stores_nothing(
    tenants, api, settings, django_capture_on_commit_callbacks
):
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 1
    client = api.session(tenants.analyst)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, tenants.org_a, b"product,quantity\nWidget,1\nGadget,-1\n")

    status = client.get(response["Location"]).json()
    assert status["status"] == "failed"
    assert status["errors"] == [
        {"location": "line 3, quantity", "message": "must be a whole number ≥ 1"}
    ]
    assert status["error_count"] == 1
    assert not InventoryItem.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_large_file_with_in_process_tasks_answers_with_the_finished_job(tenants, api, settings):
    # No broker (the quick start): the queued job runs as soon as it is committed, inside the
    # request, so the answer can already give the outcome.
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 1

    response = upload(api.session(tenants.analyst), tenants.org_a, CSV.encode())

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "succeeded"
    assert InventoryItem.objects.filter(organization=tenants.org_a).count() == 2
