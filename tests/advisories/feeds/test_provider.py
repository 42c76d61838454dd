"""Walking CSAF providers served by a local HTTP server: only what changed, verified."""

from __future__ import annotations

import copy
import json
import time

import pytest

from advisories.choices import FeedKind, FeedRunStatus
from advisories.feeds.runs import FeedRunBusy, feed_run
from advisories.models import Advisory, FeedRun
from tests.advisories.feeds.conftest import as_bytes, own_document, shared_path
from tests.advisories.feeds.providers import (
    WELL_KNOWN,
    publish_directory,
    publish_document,
    publish_rolie,
    signing_key,
)
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

JAN, FEB = "2026-01-15T10:00:00.000Z", "2026-02-15T10:00:00.000Z"


def _provider_source(url: str, **fields):
    return SourceFactory(
        name="Acme PSIRT",
        slug="acme",
        feed_kind=FeedKind.CSAF_PROVIDER,
        feed_url=url,
        feed_enabled=True,
        **fields,
    )


def _document(identifier: str, version: str = "1") -> bytes:
    document = own_document("acme-2026-0001.json")
    tracking = document["document"]["tracking"]
    tracking["id"] = identifier
    if version != "1":
        tracking["version"] = version
        tracking["revision_history"].append(
            {"date": "2026-02-15T10:00:00.000Z", "number": version, "summary": "More products."}
        )
        tracking["current_release_date"] = "2026-02-15T10:00:00.000Z"
    return as_bytes(document)


def _counts(run: FeedRun) -> tuple[int, int, int, int, int]:
    return (run.fetched, run.imported, run.updated, run.unchanged, run.failed)


def test_the_shared_example_provider_is_walked_and_a_second_run_fetches_only_what_changed(
    local_server,
):
    provider = shared_path("csaf", "provider")
    metadata = json.loads((provider / "example-01-provider-metadata.json").read_text())
    feed = json.loads((provider / "example-01-feed-tlp-white.json").read_text())
    examples = shared_path("csaf", "examples")
    documents = {
        name: ((examples / name).read_bytes(), JAN)
        for name in ("bsi-2022-0001.json", "rhsa-2021_5217.json", "2022-evd-uc-04-001.json")
    }
    url = publish_rolie(local_server, documents, metadata_template=metadata, feed_template=feed)
    source = _provider_source(url)

    first = feed_run(source=source)
    second = feed_run(source=source)
    bsi = json.loads(documents["bsi-2022-0001.json"][0])
    bsi["document"]["tracking"]["version"] = "2"
    bsi["document"]["tracking"]["revision_history"].append(
        {"date": "2022-04-01T10:00:00.000Z", "number": "2", "summary": "More detail."}
    )
    documents["bsi-2022-0001.json"] = (as_bytes(bsi), FEB)
    publish_rolie(local_server, documents, metadata_template=metadata, feed_template=feed)
    third = feed_run(source=source)

    assert first.status == FeedRunStatus.SUCCEEDED, first.failures
    assert _counts(first) == (3, 3, 0, 0, 0)
    assert _counts(second) == (0, 0, 0, 0, 0)
    assert any("has not changed since the last run" in note for note in second.notes)
    assert _counts(third) == (1, 0, 1, 2, 0)
    assert Advisory.objects.get(identifier="BSI-2022-0001").source_version == "2"
    assert third.duration_seconds is not None and third.finished_at is not None


def test_a_document_with_a_wrong_hash_is_refused_and_the_others_still_import(local_server):
    url = publish_rolie(
        local_server,
        {"acme-1.json": (_document("ACME-1"), JAN), "acme-2.json": (_document("ACME-2"), JAN)},
        sha512={"acme-1.json": "0" * 128},
    )

    run = feed_run(source=_provider_source(url))

    assert run.status == FeedRunStatus.PARTIAL
    assert _counts(run) == (2, 1, 0, 0, 1)
    assert run.failures[0]["document"].endswith("/acme-1.json")
    assert "SHA512" in run.failures[0]["reason"] and "refused" in run.failures[0]["reason"]
    assert list(Advisory.objects.values_list("identifier", flat=True)) == ["ACME-2"]


def test_a_refused_document_is_tried_again_on_the_next_run(local_server):
    documents = {"acme-1.json": (_document("ACME-1"), JAN)}
    url = publish_rolie(local_server, documents, sha512={"acme-1.json": "0" * 128})
    source = _provider_source(url)
    feed_run(source=source)
    publish_rolie(local_server, documents)

    run = feed_run(source=source)

    assert _counts(run) == (1, 1, 0, 0, 0)


def test_with_a_key_configured_signed_documents_import_and_a_forged_one_is_refused(local_server):
    key, public = signing_key()
    forger, _ = signing_key()
    url = publish_rolie(local_server, {"acme-1.json": (_document("ACME-1"), JAN)}, key=key)
    publish_document(
        local_server, ".well-known/csaf/white/acme-2.json", _document("ACME-2"), key=forger
    )
    feed_path = local_server.root / ".well-known/csaf/feed-tlp-white.json"
    feed = json.loads(feed_path.read_text())
    forged_entry = copy.deepcopy(feed["feed"]["entry"][0])
    forged_entry = json.loads(json.dumps(forged_entry).replace("acme-1.json", "acme-2.json"))
    feed["feed"]["entry"].append(forged_entry)
    local_server.write(".well-known/csaf/feed-tlp-white.json", json.dumps(feed))

    run = feed_run(source=_provider_source(url, feed_openpgp_key=public))

    assert _counts(run) == (2, 1, 0, 0, 1)
    assert "OpenPGP signature is not valid" in run.failures[0]["reason"]
    assert list(Advisory.objects.values_list("identifier", flat=True)) == ["ACME-1"]


def test_with_a_key_configured_an_unsigned_document_is_refused(local_server):
    _, public = signing_key()
    url = publish_rolie(local_server, {"acme-1.json": (_document("ACME-1"), JAN)})

    run = feed_run(source=_provider_source(url, feed_openpgp_key=public))

    assert run.failed == 1 and "HTTP 404" in run.failures[0]["reason"]
    assert not Advisory.objects.exists()


def test_a_directory_provider_is_walked_through_changes_csv(local_server):
    documents = {
        "acme-1.json": (_document("ACME-1"), JAN),
        "acme-2.json": (_document("ACME-2"), JAN),
    }
    source = _provider_source(publish_directory(local_server, documents))
    first = feed_run(source=source)
    documents["acme-2.json"] = (_document("ACME-2", version="2"), FEB)
    publish_directory(local_server, documents)

    second = feed_run(source=source)

    assert _counts(first) == (2, 2, 0, 0, 0)
    assert _counts(second) == (1, 0, 1, 1, 0)


def test_broken_json_in_a_feed_document_is_reported_and_stores_nothing(local_server):
    url = publish_rolie(local_server, {"broken.json": (b'{"document": [', JAN)})

    run = feed_run(source=_provider_source(url))

    assert run.failed == 1
    assert "is not valid JSON" in run.failures[0]["reason"]
    assert not Advisory.objects.exists()


def test_an_unreachable_provider_records_a_failed_run(local_server):
    run = feed_run(source=_provider_source(f"{local_server.url}/nothing-here.json"))

    assert run.status == FeedRunStatus.FAILED
    assert "HTTP 404" in run.message
    assert run.finished_at is not None


def test_a_source_runs_once_at_a_time(local_server):
    url = publish_rolie(local_server, {"acme-1.json": (_document("ACME-1"), JAN)})
    source = _provider_source(url)
    FeedRun.objects.create(source=source, feed_kind=source.feed_kind, started_at=source.created_at)
    FeedRun.objects.filter(source=source).update(started_at=source.created_at)

    with pytest.raises(FeedRunBusy):
        feed_run(source=source)


def test_documents_downloaded_at_once_are_each_checked_and_a_bad_one_is_reported_exactly(
    local_server, settings
):
    settings.FEED_FETCH_CONCURRENCY = 4
    key, public = signing_key()
    forger, _ = signing_key()
    names = [f"acme-{number}.json" for number in range(1, 13)]
    url = publish_rolie(
        local_server,
        {name: (_document(name.removesuffix(".json").upper()), JAN) for name in names},
        key=key,
        sha512={"acme-3.json": "0" * 128},
    )
    publish_document(
        local_server, f"{WELL_KNOWN}/white/acme-7.json", _document("ACME-7"), key=forger
    )
    (local_server.root / WELL_KNOWN / "white" / "acme-10.json").unlink()

    run = feed_run(source=_provider_source(url, feed_openpgp_key=public))

    assert _counts(run) == (11, 9, 0, 0, 3)
    failures = [
        (failure["document"].rsplit("/", 1)[1], failure["reason"]) for failure in run.failures
    ]
    assert [name for name, _reason in failures] == ["acme-3.json", "acme-7.json", "acme-10.json"]
    assert "SHA512" in failures[0][1] and "refused" in failures[0][1]
    assert "OpenPGP signature is not valid" in failures[1][1]
    assert "HTTP 404" in failures[2][1]
    assert sorted(Advisory.objects.values_list("identifier", flat=True)) == sorted(
        f"ACME-{number}" for number in range(1, 13) if number not in (3, 7, 10)
    )


def test_a_walk_past_its_deadline_leaves_the_documents_for_the_next_run(local_server):
    url = publish_rolie(
        local_server, {f"acme-{n}.json": (_document(f"ACME-{n}"), JAN) for n in range(1, 4)}
    )
    source = _provider_source(url)

    stopped = feed_run(source=source, deadline=time.monotonic())
    source.refresh_from_db()
    resumed = feed_run(source=source)

    assert _counts(stopped) == (0, 0, 0, 0, 0)
    assert any("3 document(s) are left for the next run" in note for note in stopped.notes)
    assert _counts(resumed) == (3, 3, 0, 0, 0)
