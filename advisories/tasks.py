"""Celery tasks of advisories: thin entry points that load ids and call one service."""

from __future__ import annotations

import logging
import time

from celery import shared_task

from advisories.feeds.runs import FeedRunBusy, feed_run, runs_sweep
from advisories.models import Source

logger = logging.getLogger(__name__)

# A first run over a large provider fetches thousands of documents; the walk stops itself
# this long after it started (the rest waits for the next run), before Celery's limits.
FEED_RUN_BUDGET_SECONDS = 25 * 60


@shared_task
def feeds_sync_enabled() -> None:
    """Queue one run for every source whose feed is enabled (the beat schedule calls this)."""
    for source_id in Source.objects.filter(feed_enabled=True).values_list("pk", flat=True):
        feed_sync.delay(source_id)


@shared_task(soft_time_limit=28 * 60, time_limit=30 * 60)
def feed_sync(source_id: int, trigger: str = "schedule") -> None:
    """Run one source's feed and record it (see ``advisories.feeds.runs``)."""
    source = Source.objects.filter(pk=source_id, feed_enabled=True).first()
    if source is None:
        return
    try:
        feed_run(
            source=source, trigger=trigger, deadline=time.monotonic() + FEED_RUN_BUDGET_SECONDS
        )
    except FeedRunBusy as busy:
        logger.info("%s", busy)


@shared_task(name="advisories.feed_runs_sweep")
def feed_runs_sweep() -> None:
    """Close the feed runs whose worker died, saying so (see ``advisories.feeds.runs``)."""
    runs_sweep()
