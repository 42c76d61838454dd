"""A delivery's message in each channel's format: email text, signed webhook JSON, Slack
blocks, a Microsoft Teams Adaptive Card.

Pure functions of a :class:`~notifications.selectors.Message`: no database, no network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from notifications.selectors import Entry, Message, absolute_url

USER_AGENT = "Vendorwatch-Webhook/1.0"
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Vendorwatch-Timestamp"
TEST_TEXT = "If you can read this, the channel works."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _line(entry: Entry) -> str:
    return f"[{entry.severity_label}] {entry.advisory_identifier}: {entry.advisory_title}"


def _details(entry: Entry) -> str:
    parts = [entry.headline, f"status {entry.status_label}", f"priority {entry.priority}"]
    if entry.due_date:
        parts.append(f"due {entry.due_date:%Y-%m-%d}")
    if entry.assignee:
        parts.append(f"assigned to {entry.assignee}")
    return " · ".join(parts)


# --- email -----------------------------------------------------------------------------------


def email_render(message: Message) -> tuple[str, str]:
    """The subject and plain-text body of ``message``."""
    lines = [message.title, ""]
    if not message.entries and message.kind == "test":
        lines.append(TEST_TEXT)
    for entry in message.entries:
        lines.append(f"- {_line(entry)}")
        lines.append(f"  {entry.item}")
        lines.append(f"  {_details(entry)}")
        if entry.note:
            lines.append(f"  Note: {entry.note}")
        lines.append(f"  {entry.advisory_url}")
    if message.more:
        lines.append(f"… and {message.more} more.")
    lines += ["", f"Vendorwatch — {absolute_url('/')}"]
    return f"[Vendorwatch] {message.title}"[:200], "\n".join(lines) + "\n"


# --- generic webhook -------------------------------------------------------------------------


def webhook_payload(message: Message) -> dict[str, Any]:
    """The JSON document a generic webhook receives."""
    return {
        "delivery": message.delivery_id,
        "type": message.kind,
        "title": message.title,
        "organization": {"id": message.organization_id, "name": message.organization},
        "period": {"start": _iso(message.period_start), "end": _iso(message.period_end)},
        "total": message.total,
        "flags": [
            {
                "event": entry.kind,
                "summary": entry.headline,
                "at": _iso(entry.at),
                "flag": {
                    "id": entry.flag_id,
                    "status": entry.status,
                    "priority": entry.priority,
                    "due_date": _iso(entry.due_date),
                    "item": entry.item,
                    "assignee": entry.assignee or None,
                },
                "change": {"from": entry.from_status, "to": entry.to_status, "note": entry.note},
                "advisory": {
                    "id": entry.advisory_id,
                    "identifier": entry.advisory_identifier,
                    "title": entry.advisory_title,
                    "kind": entry.advisory_kind,
                    "severity": entry.severity,
                    "url": entry.advisory_url,
                },
            }
            for entry in message.entries
        ],
    }


def json_body(document: dict[str, Any]) -> bytes:
    """``document`` as the exact bytes that are sent (and signed)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with the channel's secret over ``timestamp + "." + body``.

    Signing the timestamp with the body lets a receiver refuse a replayed request whose
    timestamp is old, which it could not if the timestamp were not covered.
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_headers(
    *, secret: str, timestamp: str, body: bytes, message: Message
) -> dict[str, str]:
    """The headers of a signed webhook request."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Vendorwatch-Delivery": str(message.delivery_id),
        "X-Vendorwatch-Event": message.kind,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret=secret, timestamp=timestamp, body=body),
    }


# --- Slack -----------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict[str, Any]:
    """A Slack incoming-webhook message: a header block, one section per flag, a footer."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}}
    ]
    if not message.entries and message.kind == "test":
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": TEST_TEXT}})
    for entry in message.entries:
        text = (
            f"*<{entry.advisory_url}|{_slack_escape(entry.advisory_identifier)}>* "
            f"{_slack_escape(entry.advisory_title)}\n"
            f"{_slack_escape(entry.item)}\n{_slack_escape(_details(entry))}"
        )
        if entry.note:
            text += f"\n_{_slack_escape(entry.note)}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    footer = f"<{absolute_url('/')}|Vendorwatch>"
    if message.more:
        footer = f"… and {message.more} more · {footer}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": message.title, "blocks": blocks}


# --- Microsoft Teams -------------------------------------------------------------------------


def teams_payload(message: Message) -> dict[str, Any]:
    """A Teams incoming-webhook (or Workflows webhook) message carrying an Adaptive Card."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Medium",
            "weight": "Bolder",
            "text": message.title,
            "wrap": True,
        }
    ]
    if not message.entries and message.kind == "test":
        body.append({"type": "TextBlock", "text": TEST_TEXT, "wrap": True})
    for entry in message.entries:
        facts = [
            {"title": "Item", "value": entry.item},
            {"title": "Event", "value": entry.headline},
            {"title": "Severity", "value": entry.severity_label},
            {"title": "Status", "value": entry.status_label},
            {"title": "Priority", "value": str(entry.priority)},
        ]
        if entry.due_date:
            facts.append({"title": "Due", "value": f"{entry.due_date:%Y-%m-%d}"})
        if entry.note:
            facts.append({"title": "Note", "value": entry.note})
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "weight": "Bolder",
                        "wrap": True,
                        "text": f"[{entry.advisory_identifier}]({entry.advisory_url}) "
                        f"{entry.advisory_title}",
                    },
                    {"type": "FactSet", "facts": facts},
                ],
            }
        )
    if message.more:
        body.append({"type": "TextBlock", "text": f"… and {message.more} more.", "wrap": True})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [
                        {
                            "type": "Action.OpenUrl",
                            "title": "Open Vendorwatch",
                            "url": absolute_url("/"),
                        }
                    ],
                },
            }
        ],
    }
