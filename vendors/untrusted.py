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


def text_problem(text: str) -> str | None:
    """Why ``text`` may not be stored: a control character, or an unpaired surrogate (which
    JSON's ``\\ud800`` escapes can smuggle in, and which is not UTF-8); ``None`` if it may."""
    problem = control_character_problem(text)
    if problem or text.isascii():
        return problem
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate, which is not text"
    return None


def json_text_problems(value: Any, *, limit: int = 50) -> list[tuple[tuple[Any, ...], str]]:
    """Each string of ``value`` (parsed JSON; object keys too) that may not be stored: its
    path (keys and indexes) and why, in document order, at most ``limit`` of them."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack and len(problems) < limit:
        path, item = stack.pop()
        children: list[tuple[tuple[Any, ...], Any]] = []
        if isinstance(item, Mapping):
            for key, child in item.items():
                key_problem = text_problem(key) if isinstance(key, str) else None
                if key_problem:
                    problems.append(((*path, key), f"the key {key_problem}"))
                children.append(((*path, key), child))
        elif isinstance(item, list):
            children = [((*path, index), child) for index, child in enumerate(item)]
        elif isinstance(item, str):
            problem = text_problem(item)
            if problem:
                problems.append((path, problem))
        stack.extend(reversed(children))
    return problems[:limit]


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
