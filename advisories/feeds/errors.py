"""What goes wrong with a feed or a document, said so that an editor can act on it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding about a document: where (a JSON pointer, ``""`` for the whole) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


class FeedError(Exception):
    """A feed or a document that cannot be imported; nothing of it has been stored."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)

    def describe(self, limit: int = 20) -> str:
        """The message and the first ``limit`` problems, one a line."""
        lines = [str(self)]
        lines += [f"  {problem}" for problem in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


class FetchError(FeedError):
    """A download failed: network, HTTP status, or a body over the size cap."""


class FetchUnauthorized(FetchError):
    """The server asks for credentials we do not have (HTTP 401 or 403): a provider's
    TLP-restricted feed, say."""


class DocumentInvalid(FeedError):
    """A document is not valid JSON, not valid CSAF 2.0, or lacks what we need of it."""


class IntegrityFailure(FeedError):
    """A document does not match its published hash or OpenPGP signature."""
