"""Bounded downloads for feeds: through the guarded outbound client, with a size cap and
conditional requests.

Every feed download (a provider's metadata, its ROLIE feeds and directory listings, each
document with its hash and signature files, the KEV catalog) goes through :func:`fetch`, and
so through ``outbound``: a feed URL that an editor entered, or one a provider's feed lists,
never reaches a loopback, private or otherwise internal address, in any disguise, directly or
through a redirect. A run passes one session, so that its connections are reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

import outbound
from advisories.feeds.errors import FetchError, FetchUnauthorized

# A CSAF document is kilobytes, the KEV catalog about a megabyte; anything near this cap is
# either broken or hostile, and must not be read into memory whole.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Seconds: a provider that does not answer must not hold a worker; a whole download of the
# largest document allowed must still fit.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
TOTAL_TIMEOUT = 300
USER_AGENT = "Vendorwatch advisory feeds"


@dataclass(frozen=True)
class Fetched:
    """A downloaded body, or ``not_modified`` when the server said it has not changed."""

    url: str
    content: bytes
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


@dataclass
class FeedSession(outbound.Session):
    """A feed run's session; it carries the source's API token (a CSAF provider's non-public
    folders ask for one) to the provider's own origin only, and never through a redirect."""

    token: str = ""
    token_origin: str = ""

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        redirects: int = 0,
        **options: Any,
    ) -> outbound.Response:
        if self.token and _origin(url) == self.token_origin:
            headers = {**(headers or {}), "Authorization": f"Bearer {self.token}"}
            redirects = 0
        return super().request(method, url, headers=headers, redirects=redirects, **options)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def feed_session(*, token: str = "", provider_url: str = "") -> outbound.Session:
    """A session for one feed run: connection reuse (a connection per download thread), our
    user agent, and the source's token for its provider's origin."""
    return FeedSession(
        headers={"User-Agent": USER_AGENT},
        connections=settings.FEED_FETCH_CONCURRENCY,
        token=token,
        token_origin=_origin(provider_url) if token else "",
    )


def _too_large(what: str, max_bytes: int) -> FetchError:
    return FetchError(f"{what} is larger than {max_bytes // (1024 * 1024)} MB; refused.")


def fetch(
    url: str,
    *,
    session: outbound.Session,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    etag: str = "",
    last_modified: str = "",
) -> Fetched:
    """GET ``url`` (following up to ``outbound.MAX_REDIRECTS`` redirects, each checked);
    with ``etag``/``last_modified``, a 304 answer returns ``not_modified``."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limits = outbound.Limits(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        total_timeout=TOTAL_TIMEOUT,
        max_bytes=max_bytes,
    )
    try:
        response = session.request(
            "GET", url, headers=headers, limits=limits, redirects=outbound.MAX_REDIRECTS
        )
    except outbound.AnswerTooLarge:
        raise _too_large(url, max_bytes) from None
    except outbound.OutboundRefused as error:
        raise FetchError(f"{url}: refused: {error}") from None
    except outbound.OutboundFailed as error:
        raise FetchError(f"{url}: could not be fetched: {error}") from None
    if response.status == 304:
        return Fetched(
            url=url, content=b"", etag=etag, last_modified=last_modified, not_modified=True
        )
    if response.status in (401, 403):
        raise FetchUnauthorized(f"{url}: the server answered HTTP {response.status}.")
    if response.status >= 300:
        raise FetchError(f"{url}: the server answered HTTP {response.status}.")
    return Fetched(
        url=url,
        content=response.body,
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
    )


def read_file(path: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """A local file's bytes, refused before reading when it is over the cap."""
    try:
        if path.stat().st_size > max_bytes:
            raise _too_large(str(path), max_bytes)
        return path.read_bytes()
    except OSError as error:
        raise FetchError(f"{path}: cannot be read ({error.strerror}).") from error


def read_location(
    location: str, *, session: outbound.Session | None = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> bytes:
    """The bytes at ``location``: an http(s) URL or a local file path."""
    if location.lower().startswith(("http://", "https://")):
        return fetch(location, session=session or feed_session(), max_bytes=max_bytes).content
    return read_file(Path(location), max_bytes=max_bytes)
