"""Bounded downloads for feeds: timeouts, a size cap, conditional requests.

Every feed download goes through :func:`fetch` with a ``requests.Session`` that the caller
owns, so that tests serve files from a local HTTP server and production can add proxies or
certificates in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests

from advisories.feeds.errors import FetchError

# A CSAF document is kilobytes, the KEV catalog about a megabyte; anything near this cap is
# either broken or hostile, and must not be read into memory whole.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# (connect, read) seconds: a provider that does not answer must not hold a worker.
TIMEOUT = (10, 60)
USER_AGENT = "Vendorwatch advisory feeds"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """A downloaded body, or ``not_modified`` when the server said it has not changed."""

    url: str
    content: bytes
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


def feed_session() -> requests.Session:
    """A session for one feed run: connection reuse and our user agent."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _too_large(what: str, max_bytes: int) -> FetchError:
    return FetchError(f"{what} is larger than {max_bytes // (1024 * 1024)} MB; refused.")


def fetch(
    url: str,
    *,
    session: requests.Session,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    etag: str = "",
    last_modified: str = "",
) -> Fetched:
    """GET ``url``; with ``etag``/``last_modified``, a 304 answer returns ``not_modified``."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(f"{url}: only http and https URLs can be fetched.")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with session.get(url, headers=headers, timeout=TIMEOUT, stream=True) as response:
            if response.status_code == 304:
                return Fetched(
                    url=url, content=b"", etag=etag, last_modified=last_modified, not_modified=True
                )
            if response.status_code >= 400:
                raise FetchError(f"{url}: the server answered HTTP {response.status_code}.")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(url, max_bytes)
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(url, max_bytes)
            return Fetched(
                url=url,
                content=bytes(body),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except requests.RequestException as error:
        raise FetchError(f"{url}: could not be fetched ({error.__class__.__name__}).") from error


def read_file(path: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """A local file's bytes, refused before reading when it is over the cap."""
    try:
        if path.stat().st_size > max_bytes:
            raise _too_large(str(path), max_bytes)
        return path.read_bytes()
    except OSError as error:
        raise FetchError(f"{path}: cannot be read ({error.strerror}).") from error


def read_location(
    location: str, *, session: requests.Session | None = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> bytes:
    """The bytes at ``location``: an http(s) URL or a local file path."""
    if location.lower().startswith(("http://", "https://")):
        return fetch(location, session=session or feed_session(), max_bytes=max_bytes).content
    return read_file(Path(location), max_bytes=max_bytes)
