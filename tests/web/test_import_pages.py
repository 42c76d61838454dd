"""Inventory upload from the page: a small file is applied at once, a large one is queued and
polled; a bad file gets a line-numbered error report and stores nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exposure.models import Flag
from orgs.models import ImportJob, InventoryItem

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "vendor;product;version;quantity;environment\n"
    "Kaspersky;Endpoint Security;11.1.1;25;production\n"
    "Kaspersky;Endpoint Security;21.2;3;staging\n"
    "Acme;Widget Server;2.0;1;production\n"
)
BAD_CSV = (
    "vendor,product,version,quantity\n"
    "Kaspersky,Endpoint Security,11.1,25\n"
    "Kaspersky,Endpoint Security,11.2,many\n"
    "Acme,,2.0,1\n"
)


def upload(client, organization, content: str, name="inventory.csv", htmx=True, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("orgs:import", kwargs={"slug": organization.slug}),
        {"file": SimpleUploadedFile(name, content.encode()), "mode": "add", **data},
        headers=headers,
    )


def items_of(organization) -> int:
    return InventoryItem.objects.filter(organization=organization).count()


def test_upload_page_shows_the_form_and_the_latest_uploads(client, world):
    client.force_login(world.tenants.analyst)
    response = client.get(reverse("orgs:import", kwargs={"slug": world.tenants.org_a.slug}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-encoding="multipart/form-data"' in body
    assert 'aria-live="polite"' in body


def test_small_csv_is_applied_at_once_and_its_items_are_flagged(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.tenants.analyst)
    # Matching is enqueued after commit; the test's transaction never commits, so run it.
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, world.tenants.org_a, GOOD_CSV)
    assert response.status_code == 200
    assert response.context["job"].status == "succeeded"
    body = response.content.decode()
    assert "3 items added" in body
    assert "1 of them names no catalogue product" in body
    assert items_of(world.tenants.org_a) == 4
    assert Flag.objects.filter(organization=world.tenants.org_a).count() == 3
    # What it raised is said once its items are matched (on commit, here above).
    job = response.context["job"]
    done = client.get(
        reverse("orgs:import_detail", kwargs={"slug": world.tenants.org_a.slug, "pk": job.pk}),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "2 new flags" in done and "hx-trigger" not in done


def test_bad_csv_reports_every_error_by_line_and_stores_nothing(client, world):
    client.force_login(world.tenants.analyst)
    response = upload(client, world.tenants.org_a, BAD_CSV)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "line 3, quantity" in body
    assert "line 4" in body and "names no product, CPE or purl" in body
    assert items_of(world.tenants.org_a) == 1
    job = ImportJob.objects.get()
    assert (job.status, job.error_count, job.created_count) == ("failed", 2, 0)


def test_unreadable_file_is_refused_and_listed_with_the_latest_uploads(client, world):
    client.force_login(world.tenants.analyst)
    response = upload(client, world.tenants.org_a, "just one line\n", name="notes.csv")
    body = response.content.decode()
    assert "Nothing was imported" in body
    refused = ImportJob.objects.get()
    assert (refused.status, refused.filename, refused.created_count) == ("failed", "notes.csv", 0)
    assert [error["location"] for error in refused.errors] == ["line 1, column 1", "line 1"]
    assert items_of(world.tenants.org_a) == 1
    # The answer also brings the page's list of uploads up to date, the refusal in it.
    assert '<div id="latest-uploads" hx-swap-oob="true">' in body
    assert body.count("notes.csv") >= 1 and "Failed" in body
    # Without htmx the whole page comes back, with the report and a 400.
    page = upload(client, world.tenants.org_a, "just one line\n", htmx=False)
    assert page.status_code == 400
    assert "line 1" in page.content.decode()
    assert ImportJob.objects.filter(status="failed").count() == 2


def test_a_file_over_the_size_limit_is_refused_and_listed(client, world, settings):
    settings.INVENTORY_IMPORT_MAX_BYTES = 1024 * 1024
    client.force_login(world.tenants.analyst)
    big = GOOD_CSV + "Acme;Widget Server;2.0;1;production\n" * 40_000
    response = upload(client, world.tenants.org_a, big, name="cmdb-full.csv")
    body = response.content.decode()
    assert "larger than the limit of 1 MB" in body
    refused = ImportJob.objects.get()
    assert (refused.status, refused.filename, refused.file_format) == (
        "failed",
        "cmdb-full.csv",
        "csv",
    )
    assert '<div id="latest-uploads" hx-swap-oob="true">' in body and "cmdb-full.csv" in body
    assert items_of(world.tenants.org_a) == 1


def test_missing_file_is_a_form_error(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(
        reverse("orgs:import", kwargs={"slug": world.tenants.org_a.slug}), {"mode": "add"}
    )
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_cyclonedx_sbom_is_recognised_and_imported(client, world):
    sbom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [
            {
                "type": "library",
                "name": "lodash",
                "version": "4.17.21",
                "purl": "pkg:npm/lodash@4.17.21",
            }
        ],
    }
    client.force_login(world.tenants.analyst)
    response = upload(client, world.tenants.org_a, json.dumps(sbom), name="bom.json")
    assert response.context["job"].status == "succeeded"
    assert InventoryItem.objects.filter(purl="pkg:npm/lodash@4.17.21", source="cyclonedx").exists()


def test_large_upload_is_queued_and_answered_as_it_stands(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.INVENTORY_IMPORT_ASYNC_ROWS = 2
    client.force_login(world.tenants.analyst)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(client, world.tenants.org_a, GOOD_CSV)
    assert len(queued) == 1  # the job, for a worker
    body = response.content.decode()
    assert response.context["job"].status == "queued"
    assert 'hx-trigger="every 1s"' in body and 'aria-label="Import progress"' in body
    assert items_of(world.tenants.org_a) == 1


def test_a_running_import_polls_until_it_is_done(client, world):
    job = ImportJob.objects.create(
        organization=world.tenants.org_a,
        file_format="csv",
        filename="cmdb.csv",
        status="running",
        total_rows=20_000,
        rows_parsed=5_000,
    )
    url = reverse("orgs:import_detail", kwargs={"slug": world.tenants.org_a.slug, "pk": job.pk})
    client.force_login(world.tenants.viewer)
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in poll and f'hx-get="{url}"' in poll
    assert '<progress max="20000" value="5000"' in poll
    assert "5,000 of 20,000 rows checked" in poll
    assert "<html" not in poll  # the block alone
    ImportJob.objects.filter(pk=job.pk).update(
        status="succeeded", rows_parsed=20_000, created_count=20_000
    )
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "20,000 items added" in done
    page = client.get(url).content.decode()
    assert "Upload of cmdb.csv" in page and "<html" in page


def test_without_javascript_the_upload_lands_on_the_jobs_page(client, world):
    client.force_login(world.tenants.analyst)
    response = upload(client, world.tenants.org_a, GOOD_CSV, htmx=False)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse(
        "orgs:import_detail", kwargs={"slug": world.tenants.org_a.slug, "pk": job.pk}
    )


def test_viewers_may_not_upload_and_outsiders_do_not_find_the_page(client, world):
    client.force_login(world.tenants.viewer)
    assert upload(client, world.tenants.org_a, GOOD_CSV).status_code == 403
    client.force_login(world.tenants.outsider)
    assert upload(client, world.tenants.org_a, GOOD_CSV).status_code == 404
    assert items_of(world.tenants.org_a) == 1


def test_another_organizations_import_is_not_found(client, world):
    job = ImportJob.objects.create(
        organization=world.tenants.org_a, file_format="csv", filename="a.csv"
    )
    client.force_login(world.tenants.outsider)
    for slug in (world.tenants.org_a.slug, world.tenants.org_b.slug):
        url = reverse("orgs:import_detail", kwargs={"slug": slug, "pk": job.pk})
        assert client.get(url).status_code == 404
