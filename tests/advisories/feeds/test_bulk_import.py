"""Importing CSAF documents in batches: bulk writes and one matching request per batch, a bad
document reported and skipped while the others land, progress on the feed run while it runs,
and re-importing unchanged documents as a cheap no-op."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from advisories.choices import AdvisoryStatus, FeedKind, FeedRunStatus
from advisories.feeds import provider
from advisories.feeds.runs import feed_run
from advisories.feeds.services import csaf_import_batch
from advisories.models import Advisory, AdvisoryRevision, AffectedTarget, FeedRun, Source
from audit.models import AuditEntry
from tests.advisories.feeds.conftest import as_bytes, own_document, writes
from tests.advisories.feeds.providers import publish_rolie
from tests.factories import SourceFactory, UserFactory
from vendors.match_requests import MATCH_ADVISORIES
from vendors.models import Product

pytestmark = pytest.mark.django_db

JAN = "2026-01-15T10:00:00.000Z"


def _document(number: int, *, version: str = "1") -> dict[str, Any]:
    """Acme's advisory under its own id, about its own gateway model."""
    document = own_document("acme-2026-0001.json")
    tracking = document["document"]["tracking"]
    tracking["id"] = f"ACME-2026-{number:04d}"
    if version != "1":
        tracking["version"] = version
        tracking["current_release_date"] = "2026-03-01T10:00:00.000Z"
        tracking["revision_history"].append(
            {"date": "2026-03-01T10:00:00.000Z", "number": version, "summary": "Revised."}
        )
    document["product_tree"]["branches"][0]["branches"][0]["name"] = f"Acme Gateway G{number}"
    return document


def _batch(documents: list[bytes]) -> list[tuple[str, bytes]]:
    return [(f"doc-{position}.json", content) for position, content in enumerate(documents)]


def _matching_requests(callbacks: list[Any]) -> list[list[int]]:
    """The advisory ids of each matching request sent on commit."""
    return [
        callback.args[1]
        for callback in callbacks
        if getattr(callback, "args", ())[:1] == (MATCH_ADVISORIES,)
    ]


def test_a_batch_lands_every_good_document_and_reports_each_bad_one_with_its_reason(
    django_capture_on_commit_callbacks,
):
    source = SourceFactory(name="Acme PSIRT", slug="acme")
    contents = [as_bytes(_document(n)) for n in range(1, 10)]
    contents[3] = b'{"document": ['  # not JSON
    schema_invalid = _document(6)
    del schema_invalid["document"]["title"]
    contents[5] = as_bytes(schema_invalid)
    coverage_unknown = _document(8)
    coverage_unknown["vulnerabilities"][0]["product_status"]["fixed"].append("NO-SUCH-PRODUCT")
    contents[7] = as_bytes(coverage_unknown)

    with django_capture_on_commit_callbacks() as callbacks:
        result = csaf_import_batch(documents=_batch(contents), source=source)

    assert [position for position, _name, _result in result.results] == [0, 1, 2, 4, 6, 8]
    assert {r.outcome for _p, _n, r in result.results} == {"imported"}
    failures = {position: failure for position, failure in result.failures}
    assert sorted(failures) == [3, 5, 7]
    assert failures[3].name == "doc-3.json"
    assert "doc-3.json is not valid JSON" in failures[3].error.describe()
    assert "/document: schema: 'title' is a required property" in failures[5].error.describe()
    assert "test 6.1.1" in failures[7].error.describe()
    identifiers = set(Advisory.objects.values_list("identifier", flat=True))
    assert identifiers == {f"ACME-2026-{n:04d}" for n in (1, 2, 3, 5, 7, 9)}
    assert set(Advisory.objects.values_list("status", flat=True)) == {AdvisoryStatus.PUBLISHED}
    assert not Product.objects.filter(name__in=["Acme Gateway G4", "Acme Gateway G8"]).exists()
    # One matching request for the whole batch, naming every advisory it published.
    [request] = _matching_requests(callbacks)
    assert sorted(request) == sorted(Advisory.objects.values_list("pk", flat=True))


def _nul_in_a_note(document: dict[str, Any]) -> None:
    document["document"]["notes"][1]["text"] = "Provided as is.\u0000"


def _nul_in_the_title(document: dict[str, Any]) -> None:
    document["document"]["title"] = "Acme Gateway\u0000: configuration disclosure"


@pytest.mark.parametrize(
    "mutate, path",
    [(_nul_in_a_note, "/document/notes/1/text"), (_nul_in_the_title, "/document/title")],
)
def test_a_document_that_cannot_be_stored_is_left_out_and_the_rest_of_its_batch_lands(mutate, path):
    source = SourceFactory(name="Acme PSIRT", slug="acme")
    refused = _document(2)
    # Valid CSAF, but neither jsonb (the kept document) nor a text column can hold a NUL
    # character: it is refused naming where, and only this document is left out.
    mutate(refused)
    contents = [as_bytes(_document(1)), as_bytes(refused), as_bytes(_document(3))]

    result = csaf_import_batch(documents=_batch(contents), source=source)

    assert [position for position, _name, _result in result.results] == [0, 2]
    [(position, failure)] = result.failures
    assert position == 1
    assert "doc-1.json holds text that cannot be stored" in failure.error.describe()
    assert f"{path}: contains a NUL character" in failure.error.describe()
    assert set(Advisory.objects.values_list("identifier", flat=True)) == {
        "ACME-2026-0001",
        "ACME-2026-0003",
    }
    assert not Product.objects.filter(name="Acme Gateway G2").exists()
    assert not AuditEntry.objects.filter(object_repr__startswith="ACME-2026-0002").exists()


def test_a_batch_writes_each_document_whole_with_its_revisions_and_audit_entry():
    source = SourceFactory(name="Acme PSIRT", slug="acme")
    editor = UserFactory(username="editor", is_advisory_editor=True)

    csaf_import_batch(
        documents=_batch([as_bytes(_document(n)) for n in (1, 2)]), source=source, user=editor
    )

    for advisory in Advisory.objects.all():
        assert advisory.targets.count() == 5
        assert list(advisory.cves.values_list("cve_id", flat=True)) == ["CVE-2026-0001"]
        assert advisory.references.count() == 1
        assert advisory.created_by == editor
        summaries = list(advisory.revisions.order_by("number").values_list("summary", flat=True))
        assert summaries == [
            "Acme PSIRT revision 1: Initial version.",
            "Imported from CSAF version 1 and published.",
        ]
        snapshot = advisory.revisions.order_by("number").last().snapshot
        assert snapshot["cves"] == ["CVE-2026-0001"] and len(snapshot["targets"]) == 5
        entry = AuditEntry.objects.get(action="advisory.import_csaf", object_id=str(advisory.pk))
        assert entry.actor_id == editor.pk
        assert entry.after["outcome"] == "imported"
    ranged = AffectedTarget.objects.filter(version_range="vers:generic/>=2.0|<2.4.1")
    assert [target.intervals.count() for target in ranged] == [1, 1]


def test_two_versions_of_one_advisory_in_a_batch_apply_the_newer_and_report_the_older():
    source = SourceFactory(name="Acme PSIRT", slug="acme")
    contents = [as_bytes(_document(1, version="2")), as_bytes(_document(1))]

    result = csaf_import_batch(documents=_batch(contents), source=source)

    newer, older = (r for _p, _n, r in result.results)
    assert newer.outcome == "imported" and newer.advisory.source_version == "2"
    assert older.outcome == "ignored" and older.advisory.pk == newer.advisory.pk
    assert "superseded by version 2 in the same batch" in older.message


def test_a_batch_updates_advisories_it_has_newer_versions_of():
    source = SourceFactory(name="Acme PSIRT", slug="acme")
    csaf_import_batch(documents=_batch([as_bytes(_document(n)) for n in (1, 2)]), source=source)
    newer = _document(2, version="2")
    status = newer["vulnerabilities"][0]["product_status"]
    status["known_affected"] += status.pop("known_not_affected")

    result = csaf_import_batch(
        documents=_batch([as_bytes(_document(1)), as_bytes(newer)]), source=source
    )

    assert [f.error.describe() for _p, f in result.failures] == []
    assert [r.outcome for _p, _n, r in result.results] == ["unchanged", "updated"]
    advisory = Advisory.objects.get(identifier="ACME-2026-0002")
    assert advisory.source_version == "2"
    assert advisory.targets.filter(product__name="Acme Console", is_exclusion=False).exists()
    assert advisory.match_requested_at is not None
    summaries = list(advisory.revisions.order_by("number").values_list("summary", flat=True))
    assert summaries[-2:] == [
        "Acme PSIRT revision 2: Revised.",
        "Updated from CSAF version 1 to 2.",
    ]


def test_reimporting_unchanged_documents_writes_nothing_in_a_constant_few_queries():
    source = SourceFactory(name="Acme PSIRT", slug="acme")
    few = _batch([as_bytes(_document(n)) for n in range(1, 4)])
    many = _batch([as_bytes(_document(n)) for n in range(1, 31)])
    csaf_import_batch(documents=many, source=source)
    rows = (Advisory.objects.count(), AffectedTarget.objects.count(), AuditEntry.objects.count())

    with CaptureQueriesContext(connection) as few_queries:
        csaf_import_batch(documents=few, source=source)
    with CaptureQueriesContext(connection) as many_queries:
        again = csaf_import_batch(documents=many, source=source)

    assert {r.outcome for _p, _n, r in again.results} == {"unchanged"}
    assert len(again.results) == 30 and not again.failures
    assert writes(many_queries) == []
    assert len(many_queries) == len(few_queries) <= 2
    assert rows == (
        Advisory.objects.count(),
        AffectedTarget.objects.count(),
        AuditEntry.objects.count(),
    )


def test_an_unchanged_document_of_a_publisher_is_recognised_without_a_feed_source():
    first = csaf_import_batch(documents=_batch([as_bytes(_document(1))]))
    assert Source.objects.get().name == "Acme PSIRT"

    again = csaf_import_batch(documents=_batch([as_bytes(_document(1))]))

    assert again.results[0][2].outcome == "unchanged"
    assert again.results[0][2].advisory.pk == first.results[0][2].advisory.pk
    assert Source.objects.count() == 1


def test_a_feed_run_saves_its_progress_after_every_batch(local_server, monkeypatch):
    monkeypatch.setattr(provider, "BATCH_SIZE", 3)
    documents = {f"acme-{n}.json": (as_bytes(_document(n)), JAN) for n in range(1, 8)}
    url = publish_rolie(local_server, documents)
    source = SourceFactory(
        name="Acme PSIRT", slug="acme", feed_kind=FeedKind.CSAF_PROVIDER, feed_url=url
    )
    seen: list[tuple[int, int, str]] = []

    def watch(sender: Any, instance: FeedRun, **kwargs: Any) -> None:
        stored = FeedRun.objects.get(pk=instance.pk)
        seen.append((stored.done, stored.documents, stored.status))

    post_save.connect(watch, sender=FeedRun)
    try:
        run = feed_run(source=source)
    finally:
        post_save.disconnect(watch, sender=FeedRun)

    assert seen == [
        (0, 0, FeedRunStatus.RUNNING),  # claimed
        (0, 7, FeedRunStatus.RUNNING),  # the feed read: seven documents to go
        (3, 7, FeedRunStatus.RUNNING),
        (6, 7, FeedRunStatus.RUNNING),
        (7, 7, FeedRunStatus.RUNNING),
        (7, 7, FeedRunStatus.SUCCEEDED),
    ]
    assert run.progress == "7 of 7 documents (100 %)"
    assert Advisory.objects.filter(source=source).count() == 7


def test_a_running_feed_runs_progress_shows_in_the_admin_and_the_api():
    source = SourceFactory(name="Acme PSIRT", slug="acme", feed_kind=FeedKind.CSAF_PROVIDER)
    run = FeedRun.objects.create(
        source=source,
        feed_kind=FeedKind.CSAF_PROVIDER,
        started_at=timezone.now(),
        documents=1000,
        imported=240,
        unchanged=8,
        failed=2,
    )
    editor = UserFactory(username="editor", is_advisory_editor=True)
    api = APIClient()
    api.force_login(editor)
    outsider = APIClient()
    outsider.force_login(UserFactory(username="member"))
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    body = api.get(reverse("api:feedrun-detail", kwargs={"pk": run.pk})).json()
    listed = api.get(reverse("api:feedrun-list"), {"source": source.pk, "status": "running"})
    page = admin.get(reverse("admin:advisories_feedrun_change", args=[run.pk]))

    assert (body["documents"], body["done"], body["status"]) == (1000, 250, "running")
    assert body["progress"] == "250 of 1,000 documents (25 %)"
    assert [row["id"] for row in listed.json()["results"]] == [run.pk]
    assert "250 of 1,000 documents (25 %)" in page.content.decode()
    assert outsider.get(reverse("api:feedrun-list")).json()["results"] == []
    assert outsider.get(reverse("api:feedrun-detail", kwargs={"pk": run.pk})).status_code == 404


def test_a_second_feed_run_over_unchanged_documents_fetches_nothing(local_server):
    documents = {f"acme-{n}.json": (as_bytes(_document(n)), JAN) for n in range(1, 4)}
    url = publish_rolie(local_server, documents)
    source = SourceFactory(
        name="Acme PSIRT", slug="acme", feed_kind=FeedKind.CSAF_PROVIDER, feed_url=url
    )
    feed_run(source=source)
    revisions = AdvisoryRevision.objects.count()
    # The feed itself is rewritten (as a provider's is, hourly), its entries are not.
    publish_rolie(local_server, copy.deepcopy(documents))

    again = feed_run(source=source)

    assert (again.fetched, again.unchanged, again.done, again.documents) == (0, 3, 3, 3)
    assert AdvisoryRevision.objects.count() == revisions
    assert again.failures == []
