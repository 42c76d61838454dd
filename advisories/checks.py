"""Checks of what an editor or an API client enters for an advisory, beyond each field's type.

The editor form and the API serializer both ask ``advisory_field_errors``, so that a CVSS
vector, its score and severity, and the deadline are held to the same rules whichever way an
advisory is written. Feed imports keep what the source says (see ``advisories/feeds/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from advisories.choices import Severity


@dataclass(frozen=True)
class CvssReading:
    """A CVSS vector as the ``cvss`` library scores it."""

    version: str
    base_score: Decimal
    severity: Severity


def cvss_read(vector: str) -> CvssReading:
    """Score ``vector`` (CVSS 2.0, 3.0, 3.1 or 4.0); ``ValueError`` says why it cannot be read."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:4."):
            v4 = CVSS4(text)
            score, label, version = Decimal(str(v4.base_score)), v4.severity, "4.0"
        elif text.startswith("CVSS:3."):
            v3 = CVSS3(text)
            score, label, version = v3.base_score, v3.severities()[0], text[5:8]
        elif text.startswith("CVSS:"):
            raise ValueError(f"CVSS version {text.split('/')[0][5:]!r} is not one we can score.")
        elif text.startswith("AV:"):
            v2 = CVSS2(text)
            score, label, version = v2.base_score, v2.severities()[0], "2.0"
        else:
            raise ValueError(
                "Not a CVSS vector: expected e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H."
            )
    except CVSSError as error:
        raise ValueError(f"Not a valid CVSS vector: {error}.") from None
    return CvssReading(
        version=version,
        base_score=Decimal(score).quantize(Decimal("0.1")),
        severity=Severity((label or "none").lower()),
    )


def advisory_field_errors(
    *,
    cvss_vector: str,
    cvss_score: Decimal | None,
    severity: str | None,
    issued_on: date | None,
    action_deadline: date | None,
) -> dict[str, str]:
    """Field name to message for every rule these values break together.

    A CVSS vector must be readable, and a score or severity given beside it must be the
    vector's; a deadline cannot fall before the date the advisory was issued.
    """
    errors: dict[str, str] = {}
    if cvss_vector.strip():
        try:
            reading = cvss_read(cvss_vector)
        except ValueError as error:
            errors["cvss_vector"] = str(error)
        else:
            if cvss_score is not None and Decimal(cvss_score) != reading.base_score:
                errors["cvss_score"] = (
                    f"The vector scores {reading.base_score} (CVSS {reading.version}), "
                    f"not {cvss_score}."
                )
            if severity and severity != reading.severity:
                errors["severity"] = (
                    f"The vector's score {reading.base_score} is "
                    f"{reading.severity.label.lower()} severity, not {severity}."
                )
    if issued_on and action_deadline and action_deadline < issued_on:
        errors["action_deadline"] = (
            f"The deadline {action_deadline.isoformat()} is before the issue date "
            f"{issued_on.isoformat()}."
        )
    return errors
