"""A small value type for SQL text with its positional parameters.

The engine assembles statements from fragments (a scope's filters, one branch per target kind,
the priority expression); keeping each fragment's ``%s`` parameters next to its text means
they can be combined in any order without miscounting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.backends.utils import CursorWrapper

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CONSTANT = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Sql:
    """SQL text with ``%s`` placeholders and the parameters that fill them, in order.

    A literal percent sign must be written ``%%``: statements are always executed with a
    parameter list, so both drivers unescape it.
    """

    text: str
    params: Sequence[Any] = field(default_factory=tuple)

    @staticmethod
    def join(separator: str, parts: Iterable[Sql]) -> Sql:
        """Join fragments with ``separator``, keeping their parameters in order."""
        texts: list[str] = []
        params: list[Any] = []
        for part in parts:
            texts.append(part.text)
            params.extend(part.params)
        return Sql(separator.join(texts), tuple(params))


def compose(template: str, **parts: Sql | str) -> Sql:
    """Fill ``{name}`` slots of ``template`` with fragments, parameters in order of appearance.

    A fragment used twice contributes its parameters twice, as positional placeholders need.
    """
    texts: list[str] = []
    params: list[Any] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        texts.append(template[position : match.start()])
        part = parts[match.group(1)]
        if isinstance(part, Sql):
            texts.append(part.text)
            params.extend(part.params)
        else:
            texts.append(part)
        position = match.end()
    texts.append(template[position:])
    return Sql("".join(texts), tuple(params))


def execute(cursor: CursorWrapper, sql: Sql) -> None:
    """Run ``sql`` on ``cursor`` (always with a parameter list, so ``%%`` is unescaped)."""
    cursor.execute(sql.text, list(sql.params))


def param(value: Any) -> Sql:
    """One bound parameter, to fill a slot of :func:`compose`."""
    return Sql("%s", [value])


def literal(value: str) -> str:
    """A code constant (a choice value such as ``resolved``) as an SQL string literal.

    Only plain lowercase words are accepted: this is for our own constants, never for input.
    """
    if not _CONSTANT.fullmatch(value):
        raise ValueError(f"{value!r} is not a code constant")
    return f"'{value}'"


def conjunction(conditions: Iterable[Sql]) -> Sql:
    """``a AND b AND …``; ``1 = 1`` when there are none."""
    present = [condition for condition in conditions if condition.text]
    if not present:
        return Sql("1 = 1")
    return Sql.join(" AND ", (Sql(f"({c.text})", c.params) for c in present))
