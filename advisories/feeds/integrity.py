"""Checking a downloaded document against what its provider published beside it.

CSAF providers publish ``<document>.sha512`` / ``.sha256`` files and a detached, ASCII-armored
OpenPGP signature ``<document>.asc``. Hashes catch a damaged or swapped file; the signature,
checked against the key configured on the source (never a key fetched from the same server),
catches a forged one. OpenPGP is done by Sequoia (``pysequoia``), which needs no gpg binary.
"""

from __future__ import annotations

import hashlib
import re

import pysequoia

from advisories.feeds.errors import IntegrityFailure

_HEX = re.compile(r"^[0-9a-fA-F]+$")
ALGORITHMS = {"sha256": 64, "sha512": 128}


def hash_verify(content: bytes, published: bytes, *, algorithm: str, name: str) -> None:
    """Compare ``content``'s digest with a published hash file ("<hex>  <filename>")."""
    text = published.decode("ascii", errors="replace").strip()
    expected = text.split()[0].lower() if text else ""
    if len(expected) != ALGORITHMS[algorithm] or not _HEX.match(expected):
        raise IntegrityFailure(f"{name}: the published {algorithm.upper()} file holds no hash.")
    actual = hashlib.new(algorithm, content).hexdigest()
    if actual != expected:
        raise IntegrityFailure(
            f"{name}: its {algorithm.upper()} is {actual[:16]}..., the provider published "
            f"{expected[:16]}...; refused."
        )


def signature_verify(content: bytes, signature: bytes, *, public_keys: str, name: str) -> None:
    """Check a detached OpenPGP signature by one of the armored ``public_keys``."""
    try:
        certificates = pysequoia.Cert.split_bytes(public_keys.encode())
    except RuntimeError as error:
        raise IntegrityFailure(
            f"The source's OpenPGP key cannot be read: {_first_line(error)}"
        ) from error
    try:
        parsed = pysequoia.Sig.from_bytes(signature)
        pysequoia.verify(bytes=content, store=lambda _ids: certificates, signature=parsed)
    except RuntimeError as error:
        raise IntegrityFailure(
            f"{name}: the OpenPGP signature is not valid for the source's key "
            f"({_first_line(error)}); refused."
        ) from error


def _first_line(error: Exception) -> str:
    # Sequoia's messages carry a backtrace after the first line when RUST_BACKTRACE is set.
    return str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
