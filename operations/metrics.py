"""Counters of what went wrong and was survived, per process.

``metric_count("cache.unavailable")`` counts one event; ``/healthz`` shows the counts of the
process that answers it, and a warning is logged at most once a minute per counter, so that
an outage is seen in the logs without every request writing a line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60.0

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_logged_at: dict[str, float] = {}


def metric_count(name: str, *, reason: object = None) -> None:
    """Count one ``name`` event; log it (with ``reason``) if not logged in the last minute."""
    now = time.monotonic()
    with _lock:
        _counts[name] += 1
        total = _counts[name]
        last = _logged_at.get(name)
        due = last is None or now - last >= LOG_EVERY_SECONDS
        if due:
            _logged_at[name] = now
    if due:
        logger.warning("%s (%s so far in this process): %s", name, total, reason)


def metric_counts() -> dict[str, int]:
    """Every counter of this process."""
    with _lock:
        return dict(_counts)
