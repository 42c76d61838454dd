"""Feed runs for the KEV catalog, the scheduled task, the size cap and the commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from advisories.choices import FeedKind, FeedRunStatus
from advisories.feeds.errors import FetchError
from advisories.feeds.http import MAX_DOCUMENT_BYTES, feed_session, fetch, read_location
from advisories.feeds.runs import feed_run
from advisories.models import Advisory, FeedRun
from advisories.tasks import feeds_sync_enabled
from tests.advisories.feeds.conftest import OWN_FIXTURES, as_bytes
from tests.advisories.feeds.providers import publish_rolie
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def _kev_source(url: str, **fields):
    return SourceFactory(
        name="CISA KEV", slug="cisa-kev", feed_kind=FeedKind.CISA_KEV, feed_url=url, **fields
    )


def test_a_kev_feed_run_imports_the_catalog_and_skips_it_when_not_modified(local_server):
    local_server.write("kev.json", (OWN_FIXTURES / "kev-small.json").read_bytes())
    source = _kev_source(f"{local_server.url}/kev.json", feed_enabled=True)

    first = feed_run(source=source, trigger="command")
    second = feed_run(source=source)

    assert (first.status, first.fetched, first.imported, first.trigger) == (
        FeedRunStatus.SUCCEEDED,
        1,
        3,
        "command",
    )
    assert (second.fetched, second.imported) == (0, 0)
    assert second.notes == ["The catalog has not changed since the last run."]
    assert Advisory.objects.filter(source=source).count() == 3


def test_the_scheduled_task_runs_every_enabled_feed_and_only_those(local_server):
    local_server.write("kev.json", (OWN_FIXTURES / "kev-small.json").read_bytes())
    enabled = _kev_source(f"{local_server.url}/kev.json", feed_enabled=True)
    SourceFactory(slug="off", feed_kind=FeedKind.CISA_KEV, feed_url=f"{local_server.url}/kev.json")

    feeds_sync_enabled.delay()

    assert list(FeedRun.objects.values_list("source", "trigger")) == [(enabled.pk, "schedule")]


def test_a_run_left_running_by_a_dead_worker_is_closed_and_the_source_runs_again(local_server):
    local_server.write("kev.json", (OWN_FIXTURES / "kev-small.json").read_bytes())
    source = _kev_source(f"{local_server.url}/kev.json")
    dead = FeedRun.objects.create(
        source=source, feed_kind=source.feed_kind, started_at=timezone.now() - timedelta(hours=3)
    )

    run = feed_run(source=source)

    dead.refresh_from_db()
    assert dead.status == FeedRunStatus.FAILED and "Abandoned" in dead.message
    assert run.status == FeedRunStatus.SUCCEEDED


def test_a_50_mb_download_is_refused_before_it_is_read(local_server):
    path = local_server.root / "huge.json"
    with path.open("wb") as huge:
        huge.truncate(MAX_DOCUMENT_BYTES + 1)

    with pytest.raises(FetchError, match="larger than 50 MB; refused"):
        fetch(f"{local_server.url}/huge.json", session=feed_session())
    with pytest.raises(FetchError, match="larger than 50 MB; refused"):
        read_location(str(path))


def test_a_body_without_a_length_is_cut_off_at_the_cap(local_server):
    # http.server sends Content-Length; a chunked or lying server is caught while streaming.
    local_server.write("doc.json", b"x" * 5000)

    with pytest.raises(FetchError, match="refused"):
        fetch(f"{local_server.url}/doc.json", session=feed_session(), max_bytes=4096)


def test_a_50_mb_feed_document_fails_its_run_entry_and_stores_nothing(local_server):
    url = publish_rolie(local_server, {"huge.json": (b"{}", "2026-01-01T00:00:00Z")})
    with (local_server.root / ".well-known/csaf/white/huge.json").open("wb") as huge:
        huge.truncate(MAX_DOCUMENT_BYTES + 1)
    source = SourceFactory(feed_kind=FeedKind.CSAF_PROVIDER, feed_url=url)

    run = feed_run(source=source)

    assert run.failed == 1 and "larger than 50 MB" in run.failures[0]["reason"]
    assert not Advisory.objects.exists()


def test_import_csaf_command_imports_files_and_reports_refusals(
    tmp_path, advisory_document, capsys
):
    good = tmp_path / "good.json"
    good.write_bytes(as_bytes(advisory_document))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")

    with pytest.raises(CommandError, match="1 of 2 document"):
        call_command("import_csaf", str(good), str(bad))

    out, err = capsys.readouterr()
    assert "good.json: imported." in out
    assert "bad.json is not valid JSON" in err
    assert Advisory.objects.filter(identifier="ACME-2026-0001").exists()


def test_import_kev_command_imports_a_file_then_changes_nothing(capsys):
    path = str(OWN_FIXTURES / "kev-small.json")

    call_command("import_kev", path)
    call_command("import_kev", path)

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "KEV catalog 2026.01.01: 3 created, 0 updated, 0 unchanged, 0 skipped.",
        "KEV catalog 2026.01.01: 0 created, 0 updated, 3 unchanged, 0 skipped.",
    ]


def test_sync_feeds_command_runs_the_named_source(local_server, capsys):
    local_server.write("kev.json", (OWN_FIXTURES / "kev-small.json").read_bytes())
    _kev_source(f"{local_server.url}/kev.json")

    call_command("sync_feeds", "cisa-kev")

    assert "CISA KEV: Succeeded" in capsys.readouterr().out
    assert FeedRun.objects.get().trigger == "command"
