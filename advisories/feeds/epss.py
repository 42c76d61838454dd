"""FIRST's daily EPSS scores read into per-CVE scores, without the database.

The file (``epss_scores-YYYY-MM-DD.csv.gz``, or the same CSV unpacked) starts with a comment
line naming the model and the day it scored, then a header and one line per CVE::

    #model_version:v2025.03.14,score_date:2026-01-14T12:55:00Z
    cve,epss,percentile
    CVE-2026-0001,0.00043,0.12146

Columns are found by their header names; a file without the ``cve``, ``epss`` and
``percentile`` columns is refused. A line that breaks the format (a CVE id that is not one, a
score that is not a probability, a CVE listed twice) is reported with its line number and
skipped; the others are still read.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import zlib
from dataclasses import dataclass
from datetime import date

from advisories.feeds.errors import DocumentInvalid, Problem

_CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_SCORE_DATE_RE = re.compile(r"score_date:(\d{4}-\d{2}-\d{2})")
_MODEL_RE = re.compile(r"model_version:([^,\s]+)")
_GZIP_MAGIC = b"\x1f\x8b"
# The unpacked file is some 10 MB for 300,000 CVEs; far more is broken or hostile.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_COLUMNS = ("cve", "epss", "percentile")


@dataclass(frozen=True)
class EpssScore:
    """One CVE's score: the probability of exploitation in the next 30 days, and its
    percentile among every scored CVE (both 0–1)."""

    cve_id: str
    epss: float
    percentile: float


@dataclass(frozen=True)
class EpssFile:
    model_version: str
    scored_on: date | None
    scores: tuple[EpssScore, ...]
    problems: tuple[Problem, ...]


def epss_unpack(content: bytes) -> bytes:
    """The CSV's bytes: gunzipped when they are gzip, as they are otherwise; refused when
    the packed file is broken or unpacks to more than :data:`MAX_UNPACKED_BYTES`."""
    if not content.startswith(_GZIP_MAGIC):
        return content
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = unpacker.decompress(content, MAX_UNPACKED_BYTES + 1)
    except zlib.error as error:
        raise DocumentInvalid(f"The EPSS file is not valid gzip ({error}).") from error
    if len(body) > MAX_UNPACKED_BYTES:
        raise DocumentInvalid(
            f"The EPSS file unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB; refused."
        )
    if not unpacker.eof:
        raise DocumentInvalid("The EPSS file is cut short: its gzip stream does not end.")
    return body


def epss_parse(content: bytes) -> EpssFile:
    """Read an EPSS file; raises ``DocumentInvalid`` when it is not one."""
    try:
        text = epss_unpack(content).decode("utf-8-sig")
    except (UnicodeDecodeError, gzip.BadGzipFile) as error:
        raise DocumentInvalid("The EPSS file is not UTF-8 text.") from error
    lines = io.StringIO(text, newline="")
    comments: list[str] = []
    header: list[str] | None = None
    line_number = 0
    reader = csv.reader(lines)
    for row in reader:
        line_number = reader.line_num
        if row and row[0].startswith("#"):
            comments.append(",".join(row))
            continue
        if row:
            header = [name.strip().lower() for name in row]
            break
    if header is None or not set(_COLUMNS) <= set(header):
        raise DocumentInvalid(
            "This is not an EPSS file.",
            [Problem(f"line {line_number or 1}", "a header 'cve,epss,percentile' is required")],
        )
    where = {name: header.index(name) for name in _COLUMNS}
    scores: list[EpssScore] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        score = _score(row, where, f"line {reader.line_num}", problems)
        if score is None:
            continue
        if score.cve_id in seen:
            problems.append(Problem(f"line {reader.line_num}", f"{score.cve_id} is listed twice"))
            continue
        seen.add(score.cve_id)
        scores.append(score)
    comment = " ".join(comments)
    model = _MODEL_RE.search(comment)
    day = _SCORE_DATE_RE.search(comment)
    return EpssFile(
        model_version=model.group(1) if model else "",
        scored_on=_day(day.group(1)) if day else None,
        scores=tuple(scores),
        problems=tuple(problems),
    )


def _score(
    row: list[str], where: dict[str, int], path: str, problems: list[Problem]
) -> EpssScore | None:
    if len(row) <= max(where.values()):
        problems.append(Problem(path, f"{len(row)} columns where the header has {len(where)}"))
        return None
    cve_id = row[where["cve"]].strip().upper()
    if not _CVE_RE.match(cve_id):
        problems.append(Problem(path, f"{row[where['cve']]!r} is not a CVE id"))
        return None
    values: list[float] = []
    for name in ("epss", "percentile"):
        raw = row[where[name]].strip()
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 1:
            problems.append(Problem(path, f"{name} {raw!r} is not a number from 0 to 1"))
            return None
        values.append(value)
    return EpssScore(cve_id=cve_id, epss=values[0], percentile=values[1])


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
