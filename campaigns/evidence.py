"""What an evidence file may be: its name, type and size, checked before anything is stored.

A file's type is judged by its name's extension and its first bytes together, so that a
renamed executable is not taken for a PDF. Names are shown, never used as paths: one with
path characters is refused rather than quietly cut down to its last part.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class EvidenceFile:
    """An uploaded file as the caller received it."""

    name: str
    content: bytes


@dataclass(frozen=True)
class CheckedEvidence:
    name: str
    content: bytes
    content_type: str
    sha256: str


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# extension → (content type, test of the first bytes, what the error calls it)
_ZIP = b"PK\x03\x04"
ALLOWED_TYPES: dict[str, tuple[str, object, str]] = {
    ".pdf": ("application/pdf", b"%PDF-", "PDF"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n", "PNG image"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff", "JPEG image"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff", "JPEG image"),
    ".txt": ("text/plain", _is_text, "text file"),
    ".csv": ("text/csv", _is_text, "CSV file"),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ZIP,
        "XLSX workbook",
    ),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
        "DOCX document",
    ),
}
ALLOWED_EXTENSIONS = ", ".join(sorted(ALLOWED_TYPES))
_PATH_CHARACTERS = ("/", "\\", "\x00")


def _refuse(message: str) -> ValidationError:
    return ValidationError({"evidence": message})


def evidence_name_check(name: str) -> str:
    """The name as it will be shown, or a ValidationError naming what is wrong with it."""
    if any(char in name for char in _PATH_CHARACTERS) or name.strip() in ("", ".", ".."):
        raise _refuse(
            f"{name!r}: a file name may not contain path characters (/ or \\) or be empty; "
            "give the file's own name."
        )
    if any(not char.isprintable() for char in name):
        raise _refuse(f"{name!r}: the file name contains control characters.")
    if len(name) > 200:
        raise _refuse(f"{name[:40]!r}…: the file name is longer than 200 characters.")
    return name.strip()


def evidence_check(upload: EvidenceFile) -> CheckedEvidence:
    """Check one file; the error names the file and what is wrong."""
    name = evidence_name_check(upload.name)
    extension = PurePosixPath(name).suffix.lower()
    if extension not in ALLOWED_TYPES:
        raise _refuse(f"{name}: evidence may be {ALLOWED_EXTENSIONS} files.")
    content_type, signature, label = ALLOWED_TYPES[extension]
    size = len(upload.content)
    if not size:
        raise _refuse(f"{name}: the file is empty.")
    limit = settings.CAMPAIGN_EVIDENCE_MAX_BYTES
    if size > limit:
        raise _refuse(f"{name}: larger than {limit:,} bytes, the most an evidence file may have.")
    fits = (
        upload.content.startswith(signature)
        if isinstance(signature, bytes)
        else signature(upload.content)  # type: ignore[operator]
    )
    if not fits:
        raise _refuse(f"{name}: the content is not a {label}, whatever its name says.")
    return CheckedEvidence(
        name, upload.content, content_type, hashlib.sha256(upload.content).hexdigest()
    )


def evidence_check_all(uploads: list[EvidenceFile]) -> list[CheckedEvidence]:
    """Check every file before any is stored: one bad file refuses them all."""
    limit = settings.CAMPAIGN_EVIDENCE_MAX_FILES
    if len(uploads) > limit:
        raise _refuse(f"At most {limit} evidence files per attestation; {len(uploads)} given.")
    return [evidence_check(upload) for upload in uploads]
