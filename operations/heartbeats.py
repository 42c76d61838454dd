"""Heartbeats of long jobs, so that a sweeper can tell a job whose worker died from one that
is still working.

A job (an inventory import, a feed run) applies its work in a long transaction, whose writes
nobody sees until it commits; its progress, too, may stall for a while in one big statement.
So a thread beside it stamps the job's ``heartbeat_at`` every ``JOB_HEARTBEAT_SECONDS`` on a
database connection of its own, committed at once. When the worker is killed (out of memory,
a deploy, a lost machine), its transaction is rolled back by PostgreSQL and the stamps stop;
the job's sweeper (a beat task) finds ``heartbeat_at`` older than ``JOB_STALE_SECONDS`` and
requeues the job or fails it, saying why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


@contextmanager
def heartbeat(rows: QuerySet[Any, Any], *, field: str = "heartbeat_at") -> Iterator[None]:
    """Stamp ``field`` of ``rows`` with the time now, and every ``JOB_HEARTBEAT_SECONDS``,
    while the block runs."""
    every = settings.JOB_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat() -> None:
        try:
            while True:
                try:
                    rows.update(**{field: timezone.now()})
                except DatabaseError as error:  # the next beat may get through
                    logger.warning("heartbeat of %s not recorded: %s", rows.model.__name__, error)
                if stop.wait(every):
                    return
        finally:
            # The thread's own connection: Django keeps one per thread.
            connections.close_all()

    thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 10)


def stale_before() -> datetime:
    """Jobs whose last heartbeat is older than this have lost their worker."""
    return timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
