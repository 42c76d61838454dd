"""Server-side request forgery, tried as an attacker would: every way of writing an address
of this machine, against a listener on 127.0.0.1, given directly and through a redirect from a
server the operator allowed, as a webhook's URL, a source's feed URL and a document URL a
provider's feed lists. The listener never receives a connection, and what the user is told
never says whether a port is open."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import outbound
from advisories.choices import FeedKind, FeedRunStatus
from advisories.feeds.runs import feed_run
from notifications.choices import ChannelKind
from notifications.services import channel_create, channel_test
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

# The redirecting server listens here, an address the operator allows; the listener that must
# stay untouched is on 127.0.0.1, which nobody allowed.
ALLOWED = "127.0.0.2"


class Listener:
    """A TCP port on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _peer = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def forms(port: int) -> list[str]:
    """127.0.0.1:port written every way a URL can write it."""
    return [
        f"http://127.0.0.1:{port}/x",
        f"http://localhost:{port}/x",
        f"http://127.1:{port}/x",
        f"http://2130706433:{port}/x",
        f"http://0x7f000001:{port}/x",
        f"http://0177.0.0.1:{port}/x",
        f"http://0.0.0.0:{port}/x",
        f"http://[::1]:{port}/x",
        f"http://[::ffff:127.0.0.1]:{port}/x",
        f"http://[::127.0.0.1]:{port}/x",
        f"http://[2002:7f00:1::]:{port}/x",
        f"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/x",
        f"http://[64:ff9b::7f00:1]:{port}/x",
        f"http://[64:ff9b:1::7f00:1]:{port}/x",
        f"http://LOCALHOST.:{port}/x",
    ]


FORM_IDS = [
    "dotted",
    "localhost",
    "short",
    "decimal",
    "hex",
    "octal",
    "unspecified",
    "ipv6-loopback",
    "ipv4-mapped",
    "ipv4-compatible",
    "6to4",
    "teredo",
    "nat64",
    "nat64-local",
    "localhost-fqdn",
]


class Allowed:
    """A server on 127.0.0.1's neighbour 127.0.0.2, which the operator allowed: it redirects
    ``/go?to=<url>`` there and serves ``files`` as JSON."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.files: dict[str, Any] = {}

    def via(self, url: str) -> str:
        return f"{self.base}/go?to={quote(url, safe='')}"


@pytest.fixture
def allowed(settings: Any) -> Iterator[Allowed]:
    settings.OUTBOUND_ALLOWED_HOSTS = [ALLOWED]
    state = Allowed("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/go":
                self.send_response(302)
                self.send_header("Location", parse_qs(parts.query)["to"][0])
                body = b""
            elif parts.path in state.files:
                self.send_response(200)
                body = json.dumps(state.files[parts.path]).encode()
            else:
                self.send_response(404)
                body = b""
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((ALLOWED, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://{ALLOWED}:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("index", range(15), ids=FORM_IDS)
def test_the_guard_refuses_every_form_directly_and_through_a_redirect(listener, allowed, index):
    url = forms(listener.port)[index]

    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", url)
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", allowed.via(url), redirects=outbound.MAX_REDIRECTS)

    assert listener.accepted == 0


@pytest.mark.parametrize("index", range(15), ids=FORM_IDS)
def test_a_webhook_reaches_no_form_of_this_machine(
    tenants, listener, allowed, index, django_capture_on_commit_callbacks
):
    url = forms(listener.port)[index]
    for target in (url, allowed.via(url)):
        try:
            webhook, _secret = channel_create(
                organization=tenants.org_a,
                kind=ChannelKind.WEBHOOK,
                actor=tenants.owner,
                name=f"hook {target[-20:]}",
                url=target,
            )
        except Exception as refused:  # an address written in the URL is refused at once
            assert "not a public address" in str(refused)
            continue
        with django_capture_on_commit_callbacks(execute=True):
            delivery = channel_test(channel=webhook, actor=tenants.owner)
        delivery.refresh_from_db()
        # Refused at once, or (a redirect) not followed: no retry either way.
        assert delivery.status == "failed", delivery.last_error
        assert delivery.last_error.startswith(("Refused", "HTTP 302")), delivery.last_error

    assert listener.accepted == 0


@pytest.mark.parametrize("index", range(15), ids=FORM_IDS)
def test_a_feed_url_reaches_no_form_of_this_machine(listener, allowed, index):
    url = forms(listener.port)[index]
    for target in (url, allowed.via(url)):
        source = SourceFactory(feed_kind=FeedKind.CISA_KEV, feed_url=target)
        run = feed_run(source=source)
        assert run.status == FeedRunStatus.FAILED
        assert "refused" in run.message

    assert listener.accepted == 0


def test_document_urls_a_provider_lists_reach_no_form_of_this_machine(listener, allowed):
    """The provider (allowed) lists a document on each form of 127.0.0.1, and one behind a
    redirect: every one fails its entry with the reason, and the listener hears nothing."""
    documents = [*forms(listener.port), allowed.via(forms(listener.port)[0])]
    feed = {
        "feed": {
            "entry": [
                {"id": str(n), "updated": "2026-01-01T00:00:00Z", "content": {"src": url}}
                for n, url in enumerate(documents)
            ]
        }
    }
    allowed.files["/feed.json"] = feed
    allowed.files["/metadata.json"] = {
        "distributions": [{"rolie": {"feeds": [{"url": f"{allowed.base}/feed.json"}]}}]
    }
    source = SourceFactory(
        feed_kind=FeedKind.CSAF_PROVIDER, feed_url=f"{allowed.base}/metadata.json"
    )

    run = feed_run(source=source)

    assert run.failed == len(documents), run.failures
    assert all("refused" in failure["reason"] for failure in run.failures), run.failures
    assert listener.accepted == 0


def test_an_error_never_tells_an_open_port_from_a_closed_one(settings):
    """Where an operator allowed the host, a port that is closed, one that accepts and hangs
    up, and one that answers no HTTP all give the user the same message."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    hangs_up = Listener()
    talks = socket.socket()
    talks.bind(("127.0.0.1", 0))
    talks.listen(4)
    chatty = talks.getsockname()[1]

    def babble() -> None:
        connection, _peer = talks.accept()
        connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        connection.close()

    threading.Thread(target=babble, daemon=True).start()
    messages = set()
    try:
        for port in (closed, hangs_up.port, chatty):
            source = SourceFactory(
                feed_kind=FeedKind.CISA_KEV, feed_url=f"http://127.0.0.1:{port}/kev.json"
            )
            run = feed_run(source=source)
            assert run.status == FeedRunStatus.FAILED
            messages.add(run.message.replace(str(port), "PORT"))
    finally:
        hangs_up.close()
        talks.close()

    assert len(messages) == 1, messages
