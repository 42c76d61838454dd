"""A delivery's message in each channel's format: email text, signed webhook JSON, Slack
blocks, a Microsoft Teams Adaptive Card.

Pure functions of a :class:`~notifications.selectors.Message`: no database, no network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
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


# Line breaks and other control characters (C0, DEL, C1) and the Unicode line and paragraph
# separators and bidirectional overrides: in a plain-text line they start a new line or
# reorder what follows.
_PLAIN_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def _plain(text: str) -> str:
    """User text (an advisory title, an item's name, a note) as one line of an email: a name
    that holds a line break or a text-direction override cannot forge a line of its own (a
    fake link, a fake instruction) or a header of the message."""
    return _PLAIN_BREAKS.sub(" ", text)


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
    title = _plain(message.title)
    lines = [title, ""]
    if not message.entries and message.kind == "test":
        lines.append(TEST_TEXT)
    for entry in message.entries:
        lines.append(f"- {_plain(_line(entry))}")
        lines.append(f"  {_plain(entry.item)}")
        lines.append(f"  {_plain(_details(entry))}")
        if entry.note:
            lines.append(f"  Note: {_plain(entry.note)}")
        lines.append(f"  {entry.advisory_url}")
    if message.more:
        lines.append(f"… and {message.more} more.")
    lines += ["", f"Vendorwatch — {absolute_url('/')}"]
    return f"[Vendorwatch] {title}"[:200], "\n".join(lines) + "\n"


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

# What Adaptive Cards' Markdown reads as markup: emphasis, links, headings, quotes, lists, code,
# and the backslash that escapes the rest.
_TEAMS_MARKDOWN = re.compile(r"[\\`*_~\[\]()#>!|{}<+-]")
# "2024. Budget" at the start of a text would become item 2024 of a numbered list.
_TEAMS_NUMBERED = re.compile(r"^(\d+)\.")


def _teams_escape(text: str) -> str:
    """User text as Adaptive Card Markdown shows it literally: each character that is markup
    backslash-escaped, so that ``[click](https://evil.example)`` in an item's name is text,
    not a link (Slack's payload escapes its own markup the same way)."""
    escaped = _TEAMS_MARKDOWN.sub(lambda match: "\\" + match.group(0), _plain(text))
    return _TEAMS_NUMBERED.sub(r"\1\\.", escaped)


def teams_payload(message: Message) -> dict[str, Any]:
    """A Teams incoming-webhook (or Workflows webhook) message carrying an Adaptive Card."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Medium",
            "weight": "Bolder",
            "text": _teams_escape(message.title),
            "wrap": True,
        }
    ]
    if not message.entries and message.kind == "test":
        body.append({"type": "TextBlock", "text": TEST_TEXT, "wrap": True})
    for entry in message.entries:
        facts = [
            {"title": "Item", "value": _teams_escape(entry.item)},
            {"title": "Event", "value": _teams_escape(entry.headline)},
            {"title": "Severity", "value": entry.severity_label},
            {"title": "Status", "value": entry.status_label},
            {"title": "Priority", "value": str(entry.priority)},
        ]
        if entry.due_date:
            facts.append({"title": "Due", "value": f"{entry.due_date:%Y-%m-%d}"})
        if entry.note:
            facts.append({"title": "Note", "value": _teams_escape(entry.note)})
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "weight": "Bolder",
                        "wrap": True,
                        "text": f"[{_teams_escape(entry.advisory_identifier)}]"
                        f"({entry.advisory_url}) {_teams_escape(entry.advisory_title)}",
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
