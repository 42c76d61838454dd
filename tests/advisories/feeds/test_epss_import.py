"""Importing FIRST's EPSS scores: per CVE, from a file (gzip or plain) or a URL, on the feeds'
schedule, idempotently; every advisory naming a scored CVE carries its score."""

from __future__ import annotations

import gzip

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.choices import AdvisoryKind, FeedKind, FeedRunStatus, Severity
from advisories.feeds.errors import DocumentInvalid
from advisories.feeds.runs import feed_run
from advisories.feeds.services import epss_import
from advisories.models import Advisory, CveSignal
from advisories.services import advisory_create
from audit.models import AuditEntry
from tests.advisories.feeds.conftest import OWN_FIXTURES, writes
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

SCORES = (OWN_FIXTURES / "epss-small.csv").read_bytes()


def _advisory(*cve_ids: str) -> Advisory:
    return advisory_create(
        source=SourceFactory(),
        identifier=f"ACME-{'-'.join(cve_ids)}",
        title="Acme Gateway: missing authentication",
        kind=AdvisoryKind.VULNERABILITY,
        severity=Severity.HIGH,
        cve_ids=cve_ids,
    )


def _scores() -> dict[str, tuple[float | None, float | None]]:
    return {s.cve_id: (s.epss, s.epss_percentile) for s in CveSignal.objects.all()}


def test_scores_are_stored_per_cve_and_carried_by_the_advisories_naming_them():
    both = _advisory("CVE-2026-0002", "CVE-2026-0003")
    unscored = _advisory("CVE-2026-9999")

    result = epss_import(content=SCORES)

    assert (result.created, result.updated, result.unchanged, result.problems) == (4, 0, 0, ())
    assert (result.model_version, str(result.scored_on)) == ("v2025.03.14", "2026-01-20")
    assert _scores()["CVE-2026-0001"] == (0.6214, 0.9981)
    both.refresh_from_db()
    unscored.refresh_from_db()
    # The highest score and percentile of its CVEs.
    assert (both.epss, both.epss_percentile) == (0.12, 0.95011)
    assert (unscored.epss, unscored.epss_percentile) == (None, None)
    assert not both.known_exploited  # a score is no evidence of exploitation


def test_an_advisory_created_after_the_scores_carries_them_at_once():
    epss_import(content=SCORES)

    advisory = _advisory("CVE-2026-0001")

    assert (advisory.epss, advisory.epss_percentile) == (0.6214, 0.9981)


def test_a_gzip_file_reads_like_the_plain_one(tmp_path, capsys):
    path = tmp_path / "epss_scores-2026-01-20.csv.gz"
    path.write_bytes(gzip.compress(SCORES))

    call_command("import_epss", str(path))

    assert "EPSS scores of 2026-01-20: 4 new, 0 changed, 0 unchanged, 0 skipped." in (
        capsys.readouterr().out
    )
    assert len(_scores()) == 4


def test_a_second_import_of_the_same_scores_writes_nothing():
    _advisory("CVE-2026-0001")
    epss_import(content=SCORES)

    with CaptureQueriesContext(connection) as queries:
        result = epss_import(content=SCORES)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert writes(queries) == []


def test_a_changed_score_updates_its_cve_and_its_advisories():
    advisory = _advisory("CVE-2026-0003")
    epss_import(content=SCORES)
    audits = AuditEntry.objects.filter(action="signals.import_epss").count()

    result = epss_import(content=SCORES.replace(b"0.00043,0.12146", b"0.20000,0.96000"))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    advisory.refresh_from_db()
    assert (advisory.epss, advisory.epss_percentile) == (0.2, 0.96)
    assert AuditEntry.objects.filter(action="signals.import_epss").count() == audits + 1


def test_a_bad_line_is_named_and_skipped_and_the_others_import():
    content = (
        SCORES.replace(b"CVE-2026-0002,0.12000", b"CVE-2026-0002,0,12000").replace(
            b"CVE-2026-0003,", b"CVE-26-3,"
        )
        + b"CVE-2026-0004,1.7,0.99\nCVE-2026-0001,0.1,0.5\n"
    )

    result = epss_import(content=content)

    assert [str(problem) for problem in result.problems] == [
        "line 4: percentile '12000' is not a number from 0 to 1",
        "line 5: 'CVE-26-3' is not a CVE id",
        "line 7: epss '1.7' is not a number from 0 to 1",
        "line 8: CVE-2026-0001 is listed twice",
    ]
    assert set(_scores()) == {"CVE-2026-0001", "CVE-1999-0001"}
    assert _scores()["CVE-2026-0001"] == (0.6214, 0.9981)  # the first line stands


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"vulnerabilities": []}', "This is not an EPSS file."),
        (
            b"#model_version:v2025.03.14\ncve,score\nCVE-2026-0001,0.5\n",
            "This is not an EPSS file.",
        ),
        (b"cve,epss,percentile\nnot-a-cve,x,y\n", "The EPSS file has no valid line."),
        (gzip.compress(SCORES)[:40], "The EPSS file is cut short"),
        (b"\xff\xfe\x00c\x00v\x00e", "The EPSS file is not UTF-8 text."),
    ],
)
def test_what_is_not_an_epss_file_is_refused_and_stores_nothing(content, message):
    with pytest.raises(DocumentInvalid, match=message):
        epss_import(content=content)
    assert not CveSignal.objects.exists()


def test_a_refused_file_leaves_the_stored_scores_alone():
    epss_import(content=SCORES)
    with pytest.raises(CommandError, match="line 1: a header 'cve,epss,percentile' is required"):
        call_command("import_epss", str(OWN_FIXTURES / "kev-small.json"))
    assert len(_scores()) == 4


def _epss_source(url: str):
    return SourceFactory(
        name="FIRST EPSS", slug="first-epss", feed_kind=FeedKind.FIRST_EPSS, feed_url=url
    )


def test_a_feed_run_fetches_the_scores_by_url_and_skips_them_when_not_modified(local_server):
    local_server.write("epss_scores-current.csv.gz", gzip.compress(SCORES))
    source = _epss_source(f"{local_server.url}/epss_scores-current.csv.gz")

    first = feed_run(source=source, trigger="schedule")
    second = feed_run(source=source)

    assert (first.status, first.fetched, first.imported, first.documents) == (
        FeedRunStatus.SUCCEEDED,
        1,
        4,
        4,
    )
    assert first.notes == ["EPSS model v2025.03.14, scores of 2026-01-20."]
    assert (second.fetched, second.notes) == (
        0,
        ["The scores have not changed since the last run."],
    )
    assert len(_scores()) == 4


def test_a_feed_run_records_bad_lines_as_failures(local_server):
    local_server.write("epss.csv", SCORES + b"CVE-2026-0005,high,0.5\n")
    source = _epss_source(f"{local_server.url}/epss.csv")

    run = feed_run(source=source)

    assert (run.status, run.imported, run.failed) == (FeedRunStatus.PARTIAL, 4, 1)
    assert run.failures == [
        {
            "document": f"{local_server.url}/epss.csv#line 7",
            "reason": "epss 'high' is not a number from 0 to 1",
        }
    ]


def test_the_import_command_reads_a_url(local_server, capsys):
    local_server.write("epss.csv", SCORES)

    call_command("import_epss", f"{local_server.url}/epss.csv")

    assert "4 new" in capsys.readouterr().out
