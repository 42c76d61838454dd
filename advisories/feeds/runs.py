"""One run of a source's feed, recorded as a ``FeedRun`` whatever happens.

:func:`feed_run` is what the scheduled task and ``manage.py sync_feeds`` call. It claims the
source (at most one running run per source, enforced by the database), dispatches on the
source's feed kind, and records the counts, the failures and how long it took. Each document
is imported in its own transaction, so what succeeded before a failure stays imported.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import outbound
from advisories.choices import FeedKind, FeedRunStatus
from advisories.feeds.errors import FeedError
from advisories.feeds.http import feed_session, fetch
from advisories.feeds.provider import provider_sync
from advisories.feeds.services import epss_import, kev_import
from advisories.models import FeedRun, Source
from operations.heartbeats import heartbeat, stale_before

logger = logging.getLogger(__name__)

# A run still marked running after this long, with no heartbeat at all (one from before
# heartbeats), died with its worker (the task's hard time limit is far shorter).
STALE_AFTER = timedelta(hours=2)


class FeedRunBusy(Exception):
    """Another run of the same source is in progress."""


def feed_run(
    *,
    source: Source,
    trigger: str = "",
    session: outbound.Session | None = None,
    deadline: float | None = None,
) -> FeedRun:
    """Run ``source``'s feed once and return its record; raises ``FeedRunBusy`` if it runs."""
    run = _claim(source, trigger)
    started = time.monotonic()
    # A deep copy: the walk changes nested maps, and the original tells whether to save.
    state: dict[str, Any] = copy.deepcopy(source.feed_state or {})
    own_session = session is None
    session = session or feed_session(token=source.feed_token, provider_url=source.feed_url)
    try:
        with heartbeat(FeedRun.objects.filter(pk=run.pk, status=FeedRunStatus.RUNNING)):
            if source.feed_kind == FeedKind.CSAF_PROVIDER:
                provider_sync(
                    source=source, run=run, session=session, state=state, deadline=deadline
                )
            elif source.feed_kind == FeedKind.CISA_KEV:
                _file_sync(
                    source=source,
                    run=run,
                    session=session,
                    state=state,
                    load=kev_import,
                    unchanged_note="The catalog has not changed since the last run.",
                )
            elif source.feed_kind == FeedKind.FIRST_EPSS:
                _epss_sync(source=source, run=run, session=session, state=state)
            else:
                raise FeedError(f"{source} has no feed to run.")
        run.status = FeedRunStatus.PARTIAL if run.failed else FeedRunStatus.SUCCEEDED
    except FeedError as error:
        run.status = FeedRunStatus.FAILED
        run.message = error.describe()
    except Exception as error:  # the run is recorded as failed rather than left running
        logger.exception("The feed run of %s failed", source)
        run.status = FeedRunStatus.FAILED
        run.message = f"Unexpected error: {error.__class__.__name__}: {error}"
    finally:
        if own_session:
            session.close()
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.monotonic() - started, 3)
    run.save()
    if state != source.feed_state:
        source.feed_state = state
        source.save(update_fields=["feed_state", "updated_at"])
    return run


def runs_sweep(*, source: Source | None = None) -> int:
    """Close as failed the running runs (of ``source``, or of every source) whose worker
    died: no heartbeat for ``JOB_STALE_SECONDS``. What their batches imported stays; the next
    run fetches the rest. Returns how many were closed."""
    now = timezone.now()
    runs = FeedRun.objects.filter(status=FeedRunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before())
        | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_AFTER)
    )
    if source is not None:
        runs = runs.filter(source=source)
    return runs.update(
        status=FeedRunStatus.FAILED,
        finished_at=now,
        message=(
            "Abandoned: its worker stopped before finishing (no sign of life for "
            f"{settings.JOB_STALE_SECONDS:g} s). The next run fetches what it left."
        ),
    )


def _claim(source: Source, trigger: str) -> FeedRun:
    now = timezone.now()
    runs_sweep(source=source)
    try:
        with transaction.atomic():
            return FeedRun.objects.create(
                source=source, feed_kind=source.feed_kind, trigger=trigger[:20], started_at=now
            )
    except IntegrityError as error:
        raise FeedRunBusy(f"A run of {source}'s feed is already in progress.") from error


def _file_sync(
    *,
    source: Source,
    run: FeedRun,
    session: outbound.Session,
    state: dict[str, Any],
    load: Callable[..., Any],
    unchanged_note: str,
) -> Any:
    """A feed that is one file (the KEV catalog, the EPSS scores): fetch it unless it has not
    changed since the last run, ``load`` it, and record its counts and the lines it refused.
    Returns what ``load`` returned, or ``None`` when the file had not changed."""
    fetched = fetch(
        source.feed_url,
        session=session,
        etag=state.get("etag", ""),
        last_modified=state.get("last_modified", ""),
    )
    if fetched.not_modified:
        run.notes.append(unchanged_note)
        return None
    run.fetched = 1
    result = load(content=fetched.content, source=source)
    run.imported, run.updated, run.unchanged = result.created, result.updated, result.unchanged
    run.failed = len(result.problems)
    run.failures = [
        {"document": f"{source.feed_url}#{problem.path}", "reason": problem.message}
        for problem in result.problems
    ]
    state.update(etag=fetched.etag, last_modified=fetched.last_modified)
    return result


def _epss_sync(
    *, source: Source, run: FeedRun, session: outbound.Session, state: dict[str, Any]
) -> None:
    """FIRST publishes the scores once a day; the hourly run fetches them only when the file
    changed. Counts are of CVEs: newly scored, score changed, left alone, lines skipped."""
    result = _file_sync(
        source=source,
        run=run,
        session=session,
        state=state,
        load=epss_import,
        unchanged_note="The scores have not changed since the last run.",
    )
    if result is None:
        return
    run.documents = result.created + result.updated + result.unchanged
    scored = result.scored_on.isoformat() if result.scored_on else "an unnamed day"
    run.notes.append(f"EPSS model {result.model_version or 'unnamed'}, scores of {scored}.")
