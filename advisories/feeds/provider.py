"""Walking a CSAF provider: its provider-metadata.json, ROLIE feeds or directory layout.

A run reads the provider metadata, then every ROLIE feed it lists (``rolie.feeds``) and every
directory distribution (``directory_url``: ``changes.csv``, or ``index.txt`` when there is no
changes file). A ROLIE feed that asks for credentials the source lacks (a TLP-restricted one)
is skipped with a note; the source's ``feed_token`` is sent to its provider's origin.
Feeds are fetched conditionally (ETag / Last-Modified), and a document is
fetched only when its timestamp differs from the one the last successful import saw. Each
document is downloaded and checked against its published hashes and, when the source has an
OpenPGP key, its signature, by ``FEED_FETCH_CONCURRENCY`` threads that work one batch ahead;
only checked documents are imported, in the feed's order, in batches of ``BATCH_SIZE`` (one
transaction and one matching request each); after each batch the run's counts are saved, so
that its progress shows while it runs. A bad document is recorded on the run and skipped; it
never stops the run, and it is tried again next time.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from django.conf import settings

import outbound
from advisories.feeds.errors import FeedError, FetchError, FetchUnauthorized
from advisories.feeds.http import fetch
from advisories.feeds.integrity import hash_verify, signature_verify
from advisories.feeds.services import BATCH_SIZE, csaf_import_batch
from advisories.feeds.validation import parse_json
from advisories.models import FeedRun, Source

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    """One document a provider lists, with where its hash and signature files are."""

    url: str
    updated: str
    hash_urls: tuple[tuple[str, str], ...]
    signature_url: str


def provider_sync(
    *,
    source: Source,
    run: FeedRun,
    session: outbound.Session,
    state: dict[str, Any],
    deadline: float | None = None,
) -> None:
    """Walk ``source``'s provider and import what changed, counting everything on ``run``.

    ``state`` is the source's feed state; it is updated in place and saved by the caller.
    ``deadline`` (a ``time.monotonic()`` value) stops the walk early, leaving the rest for
    the next run, so that a first run over a large provider ends within its task's limit.
    """
    metadata = parse_json(
        fetch(source.feed_url, session=session).content, name="the provider metadata"
    )
    distributions = metadata.get("distributions")
    if not isinstance(distributions, list) or not distributions:
        raise FeedError(f"{source.feed_url}: the provider metadata lists no distributions.")
    documents: dict[str, str] = state.setdefault("documents", {})
    pending = list(_entries(distributions, session=session, state=state, run=run))
    run.documents = len(pending)
    _progress_save(run)
    wanted = [
        entry
        for entry in pending
        if not (entry.updated and documents.get(entry.url) == entry.updated)
    ]
    run.unchanged += len(pending) - len(wanted)
    chunks = [wanted[start : start + BATCH_SIZE] for start in range(0, len(wanted), BATCH_SIZE)]
    # Downloads (with their hash and signature checks) run in a few threads, one batch ahead
    # of the imports, which stay in this thread, in the feed's order, a batch at a time.
    with ThreadPoolExecutor(max_workers=settings.FEED_FETCH_CONCURRENCY) as pool:

        def submit(chunk: list[FeedEntry]) -> list[Future[_Downloaded]]:
            return [
                pool.submit(_download, entry, source=source, session=session) for entry in chunk
            ]

        ahead: list[Future[_Downloaded]] = []
        for number, chunk in enumerate(chunks):
            if deadline is not None and time.monotonic() > deadline:
                for future in ahead:
                    future.cancel()
                left = sum(map(len, chunks[number:]))
                # The feeds were read whole: unless they are read again, what is left would
                # wait for the provider's next change ("not modified" until then).
                state.pop("feeds", None)
                run.notes.append(
                    f"Stopped early to stay within the time limit; {left} document(s) are "
                    "left for the next run."
                )
                return
            current = ahead or submit(chunk)
            ahead = submit(chunks[number + 1]) if number + 1 < len(chunks) else []
            batch: list[tuple[FeedEntry, bytes]] = []
            for entry, future in zip(chunk, current, strict=True):
                downloaded = future.result()
                run.fetched += downloaded.fetched
                if downloaded.failure:
                    _failed(run, entry.url, downloaded.failure)
                else:
                    batch.append((entry, downloaded.content))
            _batch_import(batch, source=source, run=run, documents=documents)


def _failed(run: FeedRun, url: str, reason: str) -> None:
    run.failed += 1
    run.failures.append({"document": url, "reason": reason})


def _batch_import(
    batch: list[tuple[FeedEntry, bytes]], *, source: Source, run: FeedRun, documents: dict[str, str]
) -> None:
    """Import the fetched documents of a batch and count them; save the run's progress."""
    if not batch:
        return
    try:
        result = csaf_import_batch(
            documents=[(entry.url, content) for entry, content in batch], source=source
        )
    except Exception as error:  # a batch that breaks as a whole is retried next run
        logger.exception("Importing a batch of %s documents from %s failed", len(batch), source)
        for entry, _content in batch:
            _failed(run, entry.url, f"unexpected error: {error.__class__.__name__}")
        _progress_save(run)
        return
    for position, _name, outcome in result.results:
        entry = batch[position][0]
        documents[entry.url] = entry.updated
        if outcome.outcome == "imported":
            run.imported += 1
        elif outcome.outcome == "updated":
            run.updated += 1
        else:
            run.unchanged += 1
            if outcome.outcome == "ignored":
                run.notes.append(outcome.message)
    for position, failure in result.failures:
        _failed(run, batch[position][0].url, failure.error.describe(limit=5))
    _progress_save(run)


def _progress_save(run: FeedRun) -> None:
    """Save the run's counts now, so that its page and the API show how far it has got."""
    run.save(
        update_fields=[
            "documents",
            "fetched",
            "imported",
            "updated",
            "unchanged",
            "failed",
            "failures",
            "notes",
        ]
    )


@dataclass(frozen=True)
class _Downloaded:
    """A document's content once checked, or why it was refused; ``fetched`` when the
    document itself (not necessarily its hash or signature) was downloaded."""

    content: bytes = b""
    fetched: bool = False
    failure: str = ""


def _download(entry: FeedEntry, *, source: Source, session: outbound.Session) -> _Downloaded:
    """Fetch and check one document; runs in a download thread, so it touches no database
    and never raises: a broken document must not stop the others."""
    try:
        content = fetch(entry.url, session=session).content
    except FeedError as error:
        return _Downloaded(failure=error.describe(limit=5))
    except Exception as error:
        logger.exception("Fetching %s from %s failed", entry.url, source)
        return _Downloaded(failure=f"unexpected error: {error.__class__.__name__}")
    try:
        _document_check(entry, content, source=source, session=session)
    except FeedError as error:
        return _Downloaded(fetched=True, failure=error.describe(limit=5))
    except Exception as error:
        logger.exception("Checking %s from %s failed", entry.url, source)
        return _Downloaded(fetched=True, failure=f"unexpected error: {error.__class__.__name__}")
    return _Downloaded(content=content, fetched=True)


def _document_check(
    entry: FeedEntry, content: bytes, *, source: Source, session: outbound.Session
) -> None:
    """Check the document against its published hashes and, with a key, its signature."""
    for algorithm, url in entry.hash_urls:
        try:
            published = fetch(url, session=session, max_bytes=4096).content
        except FetchError:
            if (algorithm, url) in _guessed_hashes(entry.url):
                continue  # a directory provider need not publish both hash files
            raise
        hash_verify(content, published, algorithm=algorithm, name=entry.url)
    if source.feed_openpgp_key.strip():
        signature = fetch(entry.signature_url, session=session, max_bytes=64 * 1024).content
        signature_verify(content, signature, public_keys=source.feed_openpgp_key, name=entry.url)


def _guessed_hashes(url: str) -> tuple[tuple[str, str], ...]:
    return (("sha512", f"{url}.sha512"), ("sha256", f"{url}.sha256"))


def _entries(
    distributions: list[Any], *, session: outbound.Session, state: dict[str, Any], run: FeedRun
) -> Iterator[FeedEntry]:
    feeds_state: dict[str, dict[str, str]] = state.setdefault("feeds", {})
    for distribution in distributions:
        if not isinstance(distribution, dict):
            continue
        for feed in (distribution.get("rolie") or {}).get("feeds", []):
            try:
                yield from _rolie_entries(
                    feed["url"], session=session, feeds_state=feeds_state, run=run
                )
            except FetchUnauthorized as error:
                # A TLP-restricted feed the source has no token for (or whose token may not
                # read it): the other feeds are read all the same.
                run.notes.append(f"{error} Skipped: it needs a token that may read it.")
        if distribution.get("directory_url"):
            yield from _directory_entries(
                distribution["directory_url"], session=session, feeds_state=feeds_state, run=run
            )


def _conditional(
    url: str, *, session: outbound.Session, feeds_state: dict[str, dict[str, str]], run: FeedRun
) -> bytes | None:
    """The feed file's body, or ``None`` (noted on the run) when it has not changed."""
    seen = feeds_state.get(url, {})
    fetched = fetch(
        url,
        session=session,
        etag=seen.get("etag", ""),
        last_modified=seen.get("last_modified", ""),
    )
    if fetched.not_modified:
        run.notes.append(f"{url} has not changed since the last run.")
        return None
    feeds_state[url] = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    return fetched.content


def _rolie_entries(
    url: str, *, session: outbound.Session, feeds_state: dict[str, dict[str, str]], run: FeedRun
) -> Iterator[FeedEntry]:
    content = _conditional(url, session=session, feeds_state=feeds_state, run=run)
    if content is None:
        return
    feed = parse_json(content, name=url).get("feed", {})
    for entry in feed.get("entry", []):
        links = entry.get("link", [])
        document_url = (entry.get("content") or {}).get("src") or _link(links, "self")
        if not document_url:
            run.notes.append(f"{url}: entry {entry.get('id', '?')} has no document link.")
            continue
        document_url = urljoin(url, document_url)
        hashes = tuple(
            (algorithm, urljoin(url, link["href"]))
            for link in links
            if link.get("rel") == "hash"
            for algorithm in ("sha512", "sha256")
            if link["href"].lower().endswith(f".{algorithm}")
        )
        signature = _link(links, "signature")
        yield FeedEntry(
            url=document_url,
            updated=str(entry.get("updated", "")),
            hash_urls=hashes,
            signature_url=urljoin(url, signature) if signature else f"{document_url}.asc",
        )


def _link(links: list[dict[str, str]], rel: str) -> str:
    return next((link["href"] for link in links if link.get("rel") == rel), "")


def _directory_entries(
    directory_url: str,
    *,
    session: outbound.Session,
    feeds_state: dict[str, dict[str, str]],
    run: FeedRun,
) -> Iterator[FeedEntry]:
    base = directory_url.rstrip("/") + "/"
    try:
        content = _conditional(
            f"{base}changes.csv", session=session, feeds_state=feeds_state, run=run
        )
        rows = [] if content is None else list(csv.reader(io.StringIO(content.decode("utf-8"))))
    except FetchError:
        # No changes.csv: index.txt lists the documents without timestamps, so each is
        # fetched every run and its import (idempotent) tells whether it changed.
        content = _conditional(
            f"{base}index.txt", session=session, feeds_state=feeds_state, run=run
        )
        rows = [] if content is None else [[line] for line in content.decode("utf-8").split()]
    for row in rows:
        if not row or not row[0].strip():
            continue
        url = urljoin(base, row[0].strip())
        yield FeedEntry(
            url=url,
            updated=row[1].strip() if len(row) > 1 else "",
            hash_urls=_guessed_hashes(url),
            signature_url=f"{url}.asc",
        )
