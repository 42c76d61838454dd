"""Our CSAF provider: what ``/.well-known/csaf/`` serves, as the CSAF 2.0 standard lays it out.

One folder per TLP label (``white`` for CLEAR, ``green``, ``amber`` for AMBER and AMBER+STRICT,
``red``), each with its documents under the year of their first release, an ``index.txt``, a
``changes.csv`` (newest first) and a ROLIE feed; beside every document its SHA-512 and, when
a signing key is configured (``CSAF_OPENPGP_SECRET_KEY``), its detached OpenPGP signature,
made by Sequoia. ``provider-metadata.json`` lists the feeds and the public key.

Lists are read from the advisories' rows, never by building documents, so that they stay fast
whatever the number of documents; a document is built, checked (``documents``), hashed and
signed when it is first asked for, and kept in the cache until the advisory changes. Who may
read what is the one tenant rule's answer (``advisories_visible_to``); CLEAR is public.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pysequoia
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db.models import Max, QuerySet

from advisories.choices import Tlp
from advisories.models import Advisory
from advisories.publishing.documents import (
    CsafExportRefused,
    advisory_csaf_checked,
    csaf_bytes,
    csaf_filename,
    exportable_advisories,
)
from advisories.selectors import advisories_visible_to
from orgs.scoping import Actor

FOLDERS = {
    Tlp.CLEAR: "white",
    Tlp.GREEN: "green",
    Tlp.AMBER: "amber",
    Tlp.AMBER_STRICT: "amber",
    Tlp.RED: "red",
}
FOLDER_LABELS = {"white": "WHITE", "green": "GREEN", "amber": "AMBER", "red": "RED"}
PUBLIC_FOLDER = "white"
CACHE_SECONDS = 24 * 3600


def folder_levels(folder: str) -> list[str]:
    """The TLP levels whose documents a folder holds."""
    return [tlp for tlp, name in FOLDERS.items() if name == folder]


def feed_name(folder: str) -> str:
    return f"csaf-feed-tlp-{folder}.json"


@dataclass(frozen=True)
class Listed:
    """One document as the lists show it, read from its advisory's row."""

    pk: int
    identifier: str
    title: str
    path: str  # inside the folder: <year>/<file name>
    published: datetime
    updated: datetime


def readable_in(folder: str, reader: Actor) -> QuerySet[Advisory, Any]:
    """The exported advisories of ``folder`` that ``reader`` may read (CLEAR: anyone)."""
    advisories = exportable_advisories().filter(tlp__in=folder_levels(folder))
    if folder == PUBLIC_FOLDER:
        return advisories
    return advisories.filter(pk__in=advisories_visible_to(user=reader).values("pk"))


def listed(folder: str, reader: Actor) -> list[Listed]:
    """The documents of ``folder`` that ``reader`` may read, newest change first."""
    rows = (
        readable_in(folder, reader)
        .annotate(revised=Max("revisions__created_at"))
        .values_list("pk", "identifier", "title", "published_at", "revised", "updated_at")
    )
    documents = [
        Listed(
            pk=pk,
            identifier=identifier,
            title=title,
            path=f"{published.year}/{csaf_filename(identifier)}",
            published=published,
            updated=revised or updated,
        )
        for pk, identifier, title, published, revised, updated in rows
        # Exported advisories are published, so they have a publication date.
        if published is not None
    ]
    return sorted(documents, key=lambda item: (item.updated, item.pk), reverse=True)


def find(folder: str, path: str, reader: Actor) -> Advisory | None:
    """The advisory whose document lies at ``path`` in ``folder``, if ``reader`` may read it.

    Looked up by its identifier, not by listing the folder: a walk asks for every document,
    so a request must not cost as much as the whole list. The file name loses the case and
    every character outside a-z, 0-9, '+' and '-' ('_'), so the query finds the identifiers
    that could have that name and the name each one really has decides."""
    year, _, filename = path.partition("/")
    stem = filename.removesuffix(".json")
    if not year.isdigit() or filename == stem or not stem:
        return None
    pattern = "".join("." if char == "_" else re.escape(char) for char in stem)
    candidates = readable_in(folder, reader).filter(
        identifier__iregex=f"^{pattern}$", published_at__isnull=False
    )
    for advisory in candidates:
        if advisory.published_at is not None and (
            f"{advisory.published_at.year}/{csaf_filename(advisory.identifier)}" == path
        ):
            return advisory
    return None


@dataclass(frozen=True)
class Served:
    """A document as served: its bytes, their SHA-512 and their signature (empty without a
    key), or why it cannot be served."""

    content: bytes = b""
    sha512: str = ""
    signature: bytes = b""
    refused: tuple[str, ...] = ()


def served(advisory: Advisory) -> Served:
    """The advisory's document, checked, hashed and signed; cached until it changes."""
    key = f"csaf:{advisory.pk}:{advisory.updated_at.timestamp()}:{signing_fingerprint()}"
    found: Served | None = django_cache.get(key)
    if found is not None:
        return found
    try:
        content = csaf_bytes(advisory_csaf_checked(advisory))
    except CsafExportRefused as refused:
        result = Served(refused=tuple(refused.reasons))
    else:
        result = Served(
            content=content,
            sha512=hashlib.sha512(content).hexdigest(),
            signature=_sign(content),
        )
    django_cache.set(key, result, CACHE_SECONDS)
    return result


@cache
def _secret_key() -> pysequoia.Tsk | None:
    configured = settings.CSAF_OPENPGP_SECRET_KEY.strip()
    if not configured:
        return None
    if not configured.startswith("-----BEGIN"):
        configured = Path(configured).read_text()
    return pysequoia.Tsk.from_bytes(configured.encode())


def signing_fingerprint() -> str:
    key = _secret_key()
    return key.extract_certificate().fingerprint.upper() if key is not None else ""


def public_key() -> str:
    """The ASCII-armored public key our documents are signed with ("" without one)."""
    key = _secret_key()
    return str(key.extract_certificate()) if key is not None else ""


def _sign(content: bytes) -> bytes:
    key = _secret_key()
    if key is None:
        return b""
    signature: bytes = pysequoia.sign(key.signer(), content, mode=pysequoia.SignatureMode.DETACHED)
    return signature


def key_changed() -> None:
    """Forget the loaded key (tests and a key rotation read the setting afresh)."""
    _secret_key.cache_clear()


def index_txt(folder: str, reader: Actor) -> str:
    return "".join(f"{item.path}\n" for item in listed(folder, reader))


def changes_csv(folder: str, reader: Actor) -> str:
    return "".join(f'"{item.path}","{_stamp(item.updated)}"\n' for item in listed(folder, reader))


def rolie_feed(folder: str, reader: Actor, *, base: str) -> dict[str, Any]:
    """The folder's ROLIE feed; ``base`` is the folder's absolute URL, ending in '/'."""
    items = listed(folder, reader)
    label = FOLDER_LABELS[folder]
    return {
        "feed": {
            "id": f"{settings.CSAF_PUBLISHER_NAME}-csaf-feed-tlp-{folder}",
            "title": f"{settings.CSAF_PUBLISHER_NAME} CSAF feed (TLP:{label})",
            "link": [{"rel": "self", "href": f"{base}{feed_name(folder)}"}],
            "category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
            ],
            "updated": _stamp(max((item.updated for item in items), default=None)),
            "entry": [_entry(item, base) for item in items],
        }
    }


def _entry(item: Listed, base: str) -> dict[str, Any]:
    url = f"{base}{item.path}"
    return {
        "id": item.identifier,
        "title": item.title,
        "link": [
            {"rel": "self", "href": url},
            {"rel": "hash", "href": f"{url}.sha512"},
            {"rel": "signature", "href": f"{url}.asc"},
        ],
        "published": _stamp(item.published),
        "updated": _stamp(item.updated),
        "content": {"type": "application/json", "src": url},
        "format": {
            "schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
            "version": "2.0",
        },
    }


def provider_metadata(*, base: str) -> dict[str, Any]:
    """``provider-metadata.json``; ``base`` is ``…/.well-known/csaf/``."""
    metadata: dict[str, Any] = {
        "canonical_url": f"{base}provider-metadata.json",
        "distributions": [
            {
                "rolie": {
                    "feeds": [
                        {
                            "summary": f"TLP:{label} advisories",
                            "tlp_label": label,
                            "url": f"{base}{folder}/{feed_name(folder)}",
                        }
                        for folder, label in FOLDER_LABELS.items()
                    ]
                }
            }
        ],
        "last_updated": _stamp(exportable_advisories().aggregate(last=Max("updated_at"))["last"]),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {
            "category": settings.CSAF_PUBLISHER_CATEGORY,
            "name": settings.CSAF_PUBLISHER_NAME,
            "namespace": settings.CSAF_PUBLISHER_NAMESPACE,
        },
        "role": "csaf_provider",
    }
    fingerprint = signing_fingerprint()
    if fingerprint:
        metadata["public_openpgp_keys"] = [
            {"fingerprint": fingerprint, "url": f"{base}openpgp/{fingerprint}.asc"}
        ]
    return metadata


def _stamp(value: datetime | None) -> str:
    if value is None:
        return "1970-01-01T00:00:00Z"
    return value.isoformat().replace("+00:00", "Z")
