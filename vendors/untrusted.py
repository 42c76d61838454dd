"""Data taken in from outside (uploaded files, feed documents, API bodies): what may not be
stored of it, and JSON too deep to handle.

PostgreSQL's text and jsonb cannot hold NUL at all, and the other control characters (escape
sequences, backspaces, form feeds) have no place in names, versions or advisory text: they
reorder or hide what a person reads in a page, a terminal or an email. Tabs and line breaks
are text. Importers refuse a value holding any other, naming the field, rather than store it
or fail with a database error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# C0 controls but tab, line feed and carriage return; DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character_problem(text: str) -> str | None:
    """Why ``text`` may not be stored, if it holds a control character; ``None`` otherwise."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return f"contains the control character U+{ord(found.group()):04X}"


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) nests objects and arrays more than ``limit`` deep.

    Iterative, so that checking a deep value cannot itself run out of stack, as the code that
    would walk it later (an encoder, a validator) would.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
