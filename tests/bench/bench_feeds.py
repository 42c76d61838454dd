"""Feed import benchmark: the full CISA KEV catalog and every shared CSAF example.

``make bench-feeds`` recreates a PostgreSQL database of its own, ``vendorwatch_bench_feeds``,
migrates it, and times, each twice (a first run into the empty database, then the same again,
which must change nothing):

* the KEV catalog (``../shared/fixtures/kev``, 1,404 entries): targets 10 s first, 2 s no-op;
* every CSAF document in ``../shared/fixtures/csaf/examples`` and ``cisa-samples``, reported
  as documents per second (validation, mapping, catalogue resolution, targets, publishing);
* then, over the demo catalogue and its organizations (``load_demo``), a bulk import of 1,000
  CSAF documents shaped like the CISA samples (``tests/bench/csaf_corpus.py``), in batches as
  a provider's feed run imports them, matching included: targets 30 docs/s first, 200 docs/s
  no-op;
* then our own CSAF provider: 1,000 TLP:CLEAR advisories of our own source over the demo
  catalogue, exported (built, checked, hashed and signed) into the cache (Redis,
  ``--redis-url``), served over this database by gunicorn with two workers as docker-compose
  serves it (``tests/instances.py``), its ``index.txt`` timed (target 100 ms), and walked in
  full by a second instance (a process over a database of its own, ``<name>_walker``, and a
  cache of its own) that verifies every document's SHA-512 and signature with the provider's
  public key: target 60 s. ``--provider-only`` runs this step alone, over the demo data.

The last line reads ``feeds: kev S s, kev-noop S s, csaf docs/s R, bulk docs/s B, bulk-noop
docs/s N, export docs/s E, index ms I, walk S s``; the exit status is 1 when a target is
missed, 2 when the shared fixtures are absent.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "fixtures"
DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/vendorwatch_bench_feeds"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
PROVIDER_WORKERS = 2
TARGET_KEV_SECONDS = 10.0
TARGET_KEV_NOOP_SECONDS = 2.0
BULK_DOCUMENTS = 1000
TARGET_BULK_RATE = 30.0
TARGET_BULK_NOOP_RATE = 200.0
PROVIDER_DOCUMENTS = 1000
TARGET_INDEX_MS = 100.0
TARGET_WALK_SECONDS = 60.0
T = TypeVar("T")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--bulk-documents", type=int, default=BULK_DOCUMENTS)
    parser.add_argument("--provider-documents", type=int, default=PROVIDER_DOCUMENTS)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help="the cache the export fills and the provider's server reads, as in production",
    )
    parser.add_argument(
        "--provider-only",
        action="store_true",
        help="only the provider step (over the demo data), to measure it at a reduced size",
    )
    options = parser.parse_args()
    kev_path = SHARED / "kev" / "known_exploited_vulnerabilities.json"
    csaf_paths = sorted((SHARED / "csaf" / "examples").glob("*.json")) + sorted(
        (SHARED / "csaf" / "cisa-samples").glob("*.json")
    )
    if not kev_path.exists() or not csaf_paths:
        print(f"{SHARED.resolve()} is absent: the benchmark needs the shared fixtures.")
        return 2

    os.environ["DATABASE_URL"] = options.database_url
    os.environ["REDIS_URL"] = options.redis_url
    # No broker: tasks run in-process, as in the test suite.
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    database_recreate(options.database_url)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    if options.provider_only:
        call_command("load_demo", stdout=io.StringIO())
        export_rate, index_ms, walk_seconds = provider_walk(
            options.provider_documents, options.database_url
        )
        print(
            f"feeds: export docs/s {export_rate:.1f}, index ms {index_ms:.1f}, "
            f"walk {walk_seconds:.2f} s"
        )
        return 0

    from advisories.feeds.services import csaf_import, kev_import

    kev = kev_path.read_bytes()
    kev_seconds, first = timed(lambda: kev_import(content=kev))
    kev_noop_seconds, again = timed(lambda: kev_import(content=kev))
    print(f"KEV catalog {first.catalog_version}: {first.created} advisories in {kev_seconds:.2f} s")
    print(
        f"KEV again: {again.unchanged} unchanged, {again.created + again.updated} written, "
        f"in {kev_noop_seconds:.2f} s"
    )

    documents = [(path.name, path.read_bytes()) for path in csaf_paths]
    csaf_seconds, outcomes = timed(
        lambda: [csaf_import(content=content, name=name).outcome for name, content in documents]
    )
    csaf_noop_seconds, noop_outcomes = timed(
        lambda: [csaf_import(content=content, name=name).outcome for name, content in documents]
    )
    rate = len(documents) / csaf_seconds
    print(
        f"CSAF: {outcomes.count('imported')} of {len(documents)} documents imported in "
        f"{csaf_seconds:.2f} s ({rate:.1f} docs/s)"
    )
    print(
        f"CSAF again: {noop_outcomes.count('unchanged')} unchanged in {csaf_noop_seconds:.2f} s "
        f"({len(documents) / csaf_noop_seconds:.1f} docs/s)"
    )

    bulk_rate, bulk_noop_rate = bulk_import(options.bulk_documents)
    export_rate, index_ms, walk_seconds = provider_walk(
        options.provider_documents, options.database_url
    )

    missed = []
    if kev_seconds > TARGET_KEV_SECONDS or kev_noop_seconds > TARGET_KEV_NOOP_SECONDS:
        missed.append(f"KEV <= {TARGET_KEV_SECONDS} s, no-op <= {TARGET_KEV_NOOP_SECONDS} s")
    if bulk_rate < TARGET_BULK_RATE or bulk_noop_rate < TARGET_BULK_NOOP_RATE:
        missed.append(
            f"bulk >= {TARGET_BULK_RATE:.0f} docs/s, no-op >= {TARGET_BULK_NOOP_RATE:.0f} docs/s"
        )
    if index_ms > TARGET_INDEX_MS or walk_seconds > TARGET_WALK_SECONDS:
        missed.append(f"index <= {TARGET_INDEX_MS:.0f} ms, walk <= {TARGET_WALK_SECONDS:.0f} s")
    for target in missed:
        print(f"Target missed: {target}")
    print(
        f"feeds: kev {kev_seconds:.2f} s, kev-noop {kev_noop_seconds:.2f} s, "
        f"csaf docs/s {rate:.1f}, bulk docs/s {bulk_rate:.1f}, "
        f"bulk-noop docs/s {bulk_noop_rate:.1f}, export docs/s {export_rate:.1f}, "
        f"index ms {index_ms:.1f}, walk {walk_seconds:.2f} s"
    )
    return 1 if missed else 0


def bulk_import(count: int) -> tuple[float, float]:
    """Import ``count`` generated documents in batches over the demo catalogue, then again;
    the rate of each, in documents per second, matching included."""
    from django.core.management import call_command
    from django.db.models import Count

    from advisories.choices import FeedKind
    from advisories.feeds.services import BATCH_SIZE, csaf_import_batch
    from advisories.models import Source
    from exposure.models import Flag
    from orgs.models import InventoryItem
    from tests.bench.csaf_corpus import csaf_corpus
    from vendors.models import Product

    call_command("load_demo", stdout=io.StringIO())
    catalogue: dict[str, list[str]] = {}
    for vendor, product in (
        Product.objects.filter(inventory_items__isnull=False)
        .distinct()
        .values_list("vendor__name", "name")
        .order_by("vendor__name", "name")
    ):
        catalogue.setdefault(vendor, []).append(product)
    templates = sorted((SHARED / "csaf" / "cisa-samples").glob("*.json"))
    documents = csaf_corpus(templates, sorted(catalogue.items()), count=count)
    size = sum(len(content) for _name, content in documents) / len(documents)
    source = Source.objects.create(
        name="CISA ICS advisories (bench)",
        slug="cisa-ics-bench",
        feed_kind=FeedKind.CSAF_PROVIDER,
        feed_url="https://www.cisa.gov/.well-known/csaf/provider-metadata.json",
    )
    items = InventoryItem.objects.count()
    organizations = InventoryItem.objects.aggregate(n=Count("organization", distinct=True))["n"]
    print(
        f"Bulk: {count:,} documents from {len(templates)} CISA samples (average "
        f"{size / 1024:.1f} KiB), {sum(map(len, catalogue.values()))} demo products of "
        f"{len(catalogue)} vendors, {items:,} inventory items in {organizations} organizations"
    )
    flags_before = Flag.objects.count()

    def run() -> list[str]:
        outcomes: list[str] = []
        for start in range(0, len(documents), BATCH_SIZE):
            batch = csaf_import_batch(
                documents=documents[start : start + BATCH_SIZE], source=source
            )
            outcomes += [result.outcome for _position, _name, result in batch.results]
            outcomes += ["failed"] * len(batch.failures)
        return outcomes

    first_seconds, first = timed(run)
    flags = Flag.objects.count() - flags_before
    noop_seconds, again = timed(run)
    rate, noop_rate = count / first_seconds, count / noop_seconds
    print(
        f"Bulk: {first.count('imported')} of {count} imported in {first_seconds:.2f} s "
        f"({rate:.1f} docs/s; {first.count('failed')} failed), matching included: {flags:,} flags"
    )
    print(
        f"Bulk again: {again.count('unchanged')} unchanged in {noop_seconds:.2f} s "
        f"({noop_rate:.1f} docs/s)"
    )
    return rate, noop_rate


def provider_walk(count: int, database_url: str) -> tuple[float, float, float]:
    """Publish ``count`` advisories of our own, export them, serve them, time the index and a
    second instance's full walk; returns (export docs/s, index p50 ms, walk seconds)."""
    import pysequoia
    import requests
    from django.conf import settings

    from advisories.models import Advisory
    from advisories.publishing import provider
    from advisories.services import advisory_create, advisory_publish
    from tests.instances import manage, served
    from vendors.models import Product

    key = str(pysequoia.Tsk.generate("Bench <bench@example.org>"))
    settings.CSAF_OPENPGP_SECRET_KEY = key
    provider.key_changed()
    from advisories.models import Source

    source = Source.objects.create(name="Our CERT (bench)", slug="our-cert-bench", kind="internal")
    products = list(Product.objects.filter(inventory_items__isnull=False).distinct()[:50])
    for number in range(count):
        advisory = advisory_create(
            source=source,
            identifier=f"BENCH-{number:05d}",
            title=f"Bench advisory {number}",
            kind="vulnerability",
            tlp="clear",
            targets=[
                {
                    "kind": "product_range",
                    "product": products[number % len(products)],
                    "version_range": f"vers:generic/<{number % 9 + 1}.0",
                }
            ],
        )
        advisory_publish(advisory=advisory)
    exported = list(Advisory.objects.filter(source=source).select_related("source"))
    export_seconds, documents = timed(lambda: [provider.served(advisory) for advisory in exported])
    refused = sum(1 for document in documents if document.refused)
    export_rate = count / export_seconds
    print(f"Provider: {count} documents exported in {export_seconds:.2f} s ({refused} refused)")

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CSAF_OPENPGP_SECRET_KEY": key,
        "DJANGO_DEBUG": "0",
    }
    with (
        tempfile.TemporaryDirectory() as logs,
        served(env, Path(logs) / "provider.log", workers=PROVIDER_WORKERS) as server,
    ):
        base = f"{server}/.well-known/csaf/"
        times = []
        for _ in range(21):
            started = time.perf_counter()
            response = requests.get(f"{base}white/index.txt", timeout=10)
            times.append((time.perf_counter() - started) * 1000)
        index_ms = sorted(times)[len(times) // 2]
        listed = len(response.text.split())
        print(f"Provider: index.txt lists {listed} documents, answers in {index_ms:.1f} ms (p50)")
        walker_url = database_url + "_walker"
        database_recreate(walker_url)
        # The second instance has a cache of its own (a shared one would mix the two
        # instances' keys); it verifies every document with the provider's public key.
        walker_env = {
            **{name: value for name, value in os.environ.items() if name != "REDIS_URL"},
            "DATABASE_URL": walker_url,
            "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
        }
        manage(walker_env, "migrate", "--no-input", "-v", "0")
        walk = WALK.format(base=base, key=provider.public_key())
        walked = manage(walker_env, "shell", "--no-imports", "-c", walk)
        status, timing = walked.strip().splitlines()[-2:]
        walk_seconds, imported = (float(part) for part in timing.split())
        print(
            f"Walk: the second instance imported {imported:.0f} documents in {walk_seconds:.2f} s "
            f"(run {status})"
        )
    return export_rate, index_ms, walk_seconds


# Run in the second instance: subscribe to the provider and walk it once, timed.
WALK = """
import time
from advisories.feeds.runs import feed_run
from advisories.models import Advisory, Source
source = Source.objects.create(name="Bench provider", slug="bench-provider",
    feed_kind="csaf_provider", feed_url="{base}provider-metadata.json", feed_enabled=True,
    feed_openpgp_key={key!r})
started = time.perf_counter()
run = feed_run(source=source, trigger="bench")
print(run.status, run.failures[:3])
print(time.perf_counter() - started, Advisory.objects.count())
"""


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def database_recreate(url: str) -> None:
    """Drop and create the benchmark's database, so that the first run starts empty."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


if __name__ == "__main__":
    sys.exit(main())
