"""The CISA Known Exploited Vulnerabilities catalog read into entries, without the database.

One entry becomes one advisory (see :func:`advisories.feeds.services.kev_import`). The
decisions:

* kind ``vulnerability``, ``known_exploited``; ``dueDate`` is the action deadline,
  ``requiredAction`` the action details, ``shortDescription`` the summary (with a line when
  ``knownRansomwareCampaignUse`` is ``Known``), ``dateAdded`` the issue date;
* severity ``high``: the catalog carries no score, and CISA lists only vulnerabilities with
  reliable evidence of exploitation in the wild, for which it sets remediation deadlines;
* the recommended action is read from the start of ``requiredAction``, whose wording CISA
  keeps to a few forms: "Apply updates ..." is update, "Apply mitigations/remediations ..."
  is mitigate, end-of-life products to "disconnect" or "discontinue" are replace, anything
  else is assess;
* the target is the product, all versions, with the caveat :data:`NO_VERSIONS_CAVEAT`: the
  catalog names no versions, so its flags are *possible*, never confirmed for every version;
* the URLs in ``notes`` become references.

An entry that breaks the catalog's rules is reported with its JSON path and skipped; the
others are still imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from advisories.choices import RecommendedAction
from advisories.feeds.errors import DocumentInvalid, Problem
from vendors.matching.names import normalize_name

RAW_FORMAT = "cisa-kev"
_CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_URL_RE = re.compile(r"https?://[^\s;]+")
_REQUIRED_TEXT = ("cveID", "vendorProject", "product", "vulnerabilityName", "requiredAction")
NO_VERSIONS_CAVEAT = (
    "the CISA KEV catalog names no affected versions: check the vendor's advisory for yours"
)
"""The caveat on a KEV entry's product target (see the module docstring)."""


@dataclass(frozen=True)
class KevEntry:
    """One catalog entry, checked and mapped; ``raw`` is the entry as published."""

    cve_id: str
    vendor: str
    product: str
    title: str
    summary: str
    issued_on: date
    action_deadline: date | None
    action_details: str
    recommended_action: str
    references: tuple[str, ...]
    raw: dict[str, Any]


@dataclass(frozen=True)
class KevCatalog:
    version: str
    entries: tuple[KevEntry, ...]
    problems: tuple[Problem, ...]


def kev_parse(catalog: dict[str, Any]) -> KevCatalog:
    """Check and map a catalog; raises ``DocumentInvalid`` when it is not a KEV catalog."""
    vulnerabilities = catalog.get("vulnerabilities")
    if not isinstance(vulnerabilities, list):
        raise DocumentInvalid(
            "This is not a KEV catalog.", [Problem("/vulnerabilities", "a list is required")]
        )
    entries: list[KevEntry] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, raw in enumerate(vulnerabilities):
        path = f"/vulnerabilities/{index}"
        entry = _entry(raw, path, problems)
        if entry is None:
            continue
        if entry.cve_id in seen:
            problems.append(Problem(f"{path}/cveID", f"{entry.cve_id} is listed twice"))
            continue
        seen.add(entry.cve_id)
        entries.append(entry)
    return KevCatalog(str(catalog.get("catalogVersion", "")), tuple(entries), tuple(problems))


def _entry(raw: object, path: str, problems: list[Problem]) -> KevEntry | None:
    if not isinstance(raw, dict):
        problems.append(Problem(path, "an entry must be an object"))
        return None
    missing = [
        key for key in _REQUIRED_TEXT if not isinstance(raw.get(key), str) or not raw[key].strip()
    ]
    if missing:
        problems += [Problem(f"{path}/{key}", "a non-empty string is required") for key in missing]
        return None
    if not normalize_name(raw["vendorProject"]) or not normalize_name(
        raw["product"], legal_forms=False
    ):
        problems.append(Problem(path, "the vendor or product name has no letters or digits"))
        return None
    cve_id = raw["cveID"].strip().upper()
    if not _CVE_RE.match(cve_id):
        problems.append(Problem(f"{path}/cveID", f"{raw['cveID']!r} is not a CVE id"))
        return None
    reported = len(problems)
    issued_on = _date(raw.get("dateAdded"), f"{path}/dateAdded", problems)
    deadline = _date(raw["dueDate"], f"{path}/dueDate", problems) if raw.get("dueDate") else None
    if issued_on is None or len(problems) > reported:
        return None
    summary = str(raw.get("shortDescription", "")).strip()
    if raw.get("knownRansomwareCampaignUse") == "Known":
        summary += "\n\nKnown to be used in ransomware campaigns."
    action = raw["requiredAction"].strip()
    return KevEntry(
        cve_id=cve_id,
        vendor=raw["vendorProject"].strip(),
        product=raw["product"].strip(),
        title=raw["vulnerabilityName"].strip()[:300],
        summary=summary.strip(),
        issued_on=issued_on,
        action_deadline=deadline,
        action_details=action,
        recommended_action=_recommended_action(action),
        references=_note_urls(str(raw.get("notes", ""))),
        raw=raw,
    )


def _date(value: object, path: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(path, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _note_urls(notes: str) -> tuple[str, ...]:
    urls = (url.rstrip(".,)") for url in _URL_RE.findall(notes))
    return tuple(dict.fromkeys(url for url in urls if len(url) <= 1000))


def _recommended_action(required_action: str) -> str:
    text = required_action.lower()
    if text.startswith("apply update"):
        return RecommendedAction.UPDATE
    if text.startswith(("apply mitigation", "apply remediation")):
        return RecommendedAction.MITIGATE
    if "end-of-life" in text or "discontinue" in text or "disconnect" in text:
        return RecommendedAction.REPLACE
    return RecommendedAction.ASSESS
