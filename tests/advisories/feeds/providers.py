"""Build a CSAF provider (ROLIE or directory layout) in a local server's directory."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pysequoia

from tests.advisories.feeds.conftest import LocalServer

WELL_KNOWN = ".well-known/csaf"

# The shape of the OASIS example provider metadata and ROLIE feed; the shared example files
# are used instead when a test reads them.
METADATA_TEMPLATE: dict[str, Any] = {
    "canonical_url": "",
    "distributions": [{"rolie": {"feeds": [{"summary": "", "tlp_label": "WHITE", "url": ""}]}}],
    "last_updated": "2026-01-01T00:00:00.000Z",
    "list_on_CSAF_aggregators": True,
    "metadata_version": "2.0",
    "mirror_on_CSAF_aggregators": True,
    "publisher": {
        "category": "vendor",
        "name": "Acme PSIRT",
        "namespace": "https://psirt.acme.example",
    },
    "role": "csaf_trusted_provider",
}
FEED_TEMPLATE: dict[str, Any] = {
    "feed": {
        "id": "acme-csaf-feed-tlp-white",
        "title": "Acme CSAF feed (TLP:WHITE)",
        "link": [{"rel": "self", "href": ""}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": "2026-01-01T00:00:00.000Z",
        "entry": [],
    }
}


def signing_key() -> tuple[pysequoia.Tsk, str]:
    """A fresh OpenPGP key and its armored public part, as a provider would publish."""
    key = pysequoia.Tsk.generate("Acme PSIRT <psirt@acme.example>")
    return key, str(key.extract_certificate())


def publish_document(
    server: LocalServer,
    path: str,
    content: bytes,
    *,
    key: pysequoia.Tsk | None = None,
    sha512: str | None = None,
) -> None:
    """Serve a document with its .sha512/.sha256 files and, given a key, its signature."""
    server.write(path, content)
    server.write(f"{path}.sha512", f"{sha512 or hashlib.sha512(content).hexdigest()}  x.json\n")
    server.write(f"{path}.sha256", f"{hashlib.sha256(content).hexdigest()}  x.json\n")
    if key is not None:
        signature = pysequoia.sign(key.signer(), content, mode=pysequoia.SignatureMode.DETACHED)
        server.write(f"{path}.asc", signature)


def publish_rolie(
    server: LocalServer,
    documents: dict[str, tuple[bytes, str]],
    *,
    metadata_template: dict[str, Any] = METADATA_TEMPLATE,
    feed_template: dict[str, Any] = FEED_TEMPLATE,
    key: pysequoia.Tsk | None = None,
    sha512: dict[str, str] | None = None,
) -> str:
    """Serve a provider whose one ROLIE feed lists ``documents`` (name -> (content, updated)).

    Returns the provider metadata's URL.
    """
    base = f"{server.url}/{WELL_KNOWN}"
    feed = copy.deepcopy(feed_template)
    feed["feed"]["link"] = [{"rel": "self", "href": f"{base}/feed-tlp-white.json"}]
    entry_template = (feed_template["feed"].get("entry") or [{}])[0]
    feed["feed"]["entry"] = []
    for name, (content, updated) in documents.items():
        url = f"{base}/white/{name}"
        publish_document(
            server, f"{WELL_KNOWN}/white/{name}", content, key=key, sha512=(sha512 or {}).get(name)
        )
        entry = copy.deepcopy(entry_template)
        entry.update(
            id=name.removesuffix(".json"),
            title=name,
            link=[
                {"rel": "self", "href": url},
                {"rel": "hash", "href": f"{url}.sha512"},
                {"rel": "signature", "href": f"{url}.asc"},
            ],
            published=updated,
            updated=updated,
            content={"type": "application/json", "src": url},
        )
        feed["feed"]["entry"].append(entry)
    server.write(f"{WELL_KNOWN}/feed-tlp-white.json", json.dumps(feed))
    metadata = copy.deepcopy(metadata_template)
    metadata["canonical_url"] = f"{base}/provider-metadata.json"
    metadata["distributions"] = [
        {
            "rolie": {
                "feeds": [
                    {
                        "summary": "TLP:WHITE",
                        "tlp_label": "WHITE",
                        "url": f"{base}/feed-tlp-white.json",
                    }
                ]
            }
        }
    ]
    server.write(f"{WELL_KNOWN}/provider-metadata.json", json.dumps(metadata))
    return metadata["canonical_url"]


def publish_directory(server: LocalServer, documents: dict[str, tuple[bytes, str]]) -> str:
    """Serve a provider with a directory distribution: documents, hashes and changes.csv."""
    base = f"{server.url}/{WELL_KNOWN}"
    rows = []
    for name, (content, updated) in documents.items():
        publish_document(server, f"{WELL_KNOWN}/white/2026/{name}", content)
        rows.append(f'"2026/{name}","{updated}"')
    server.write(f"{WELL_KNOWN}/white/changes.csv", "\n".join(rows) + "\n")
    metadata = copy.deepcopy(METADATA_TEMPLATE)
    metadata["canonical_url"] = f"{base}/provider-metadata.json"
    metadata["distributions"] = [{"directory_url": f"{base}/white/"}]
    server.write(f"{WELL_KNOWN}/provider-metadata.json", json.dumps(metadata))
    return metadata["canonical_url"]
