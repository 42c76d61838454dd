"""Celery entry points of the matcher: each takes ids and calls one service.

Advisory, catalogue and full runs are planned as chunks of whole organizations (about
``MATCHING_CHUNK_ITEMS`` items each), one ``match_chunk`` task per chunk, so that no task's
work grows with the data and more workers finish a run sooner.

Delivery is at-least-once (``acks_late``; a task whose worker dies is given back to the
queue), which is safe because every run is idempotent. A run that finds its lock held
(``MatchingBusy``), or meets an operational database error (a serialization failure under
REPEATABLE READ, a dropped connection), is retried with exponential backoff and jitter; if the
retries run out, the work is still marked pending and the sweeper sends it again.
Serialization is JSON and time limits come from settings (``CELERY_TASK_*``).
"""

from __future__ import annotations

from typing import Any

from celery import Task, group, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from exposure.engine import MatchingBusy
from exposure.services import (
    MATCH_CHUNK,
    ChunkOverran,
    advisories_match,
    catalogue_match,
    chunk_failed,
    chunk_match,
    chunk_split,
    full_rematch_plan,
    organization_match,
    pending_sweep,
)
from vendors.match_requests import (
    MATCH_ADVISORIES,
    MATCH_CATALOGUE,
    MATCH_ORGANIZATION,
    matching_request_send,
)


class MatchingTask(Task):  # type: ignore[misc]
    """Shared delivery and retry policy of the matching tasks."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (MatchingBusy, OperationalError, InterfaceError)
    retry_backoff = 1
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 12

    def on_success(self, retval: Any, task_id: str, args: Any, kwargs: Any) -> None:
        # A run may have written flag events; wake the notifier (by name: it sits above us).
        # A task that says it wrote nothing (``False``) wakes nobody.
        if retval is not False:
            matching_request_send("notifications.dispatch")


class ChunkTask(MatchingTask):
    """A chunk whose retries ran out is marked failed, so that its run can finish."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        chunk_failed(chunk_id=args[0], error=f"{type(exc).__name__}: {exc}")


@shared_task(name=MATCH_ADVISORIES, base=MatchingTask)
def match_advisories(advisory_ids: list[int]) -> bool:
    """Plan one run of the advisories that asked and every other advisory waiting; its chunk
    tasks write the flags (so this one wakes no notifier)."""
    advisories_match(advisory_ids=advisory_ids)
    return False


@shared_task(name=MATCH_ORGANIZATION, base=MatchingTask)
def match_organization(organization_id: int) -> None:
    """Match an organization's changed items and resolve flags of its deleted ones."""
    organization_match(organization_id=organization_id)


@shared_task(name=MATCH_CATALOGUE, base=MatchingTask)
def match_catalogue(vendor_ids: list[int], product_ids: list[int]) -> bool:
    """Re-resolve after catalogue changes and plan the re-match; its chunk tasks write the
    flags."""
    catalogue_match(vendor_ids=vendor_ids, product_ids=product_ids)
    return False


@shared_task(name=MATCH_CHUNK, base=ChunkTask, bind=True)
def match_chunk(self: ChunkTask, chunk_id: int) -> bool:
    """Do one chunk of a run, unless another worker has claimed it. A chunk that overruns the
    soft time limit is split in two, sent again; one of a single organization is retried.
    Whether it may have written flags."""
    try:
        return chunk_match(chunk_id=chunk_id) is not None
    except (SoftTimeLimitExceeded, ChunkOverran) as error:
        halves = chunk_split(chunk_id=chunk_id)
        if not halves:
            raise self.retry(exc=error, countdown=1) from error
        for half in halves:
            matching_request_send(MATCH_CHUNK, half)
        return False
    except MatchingTask.autoretry_for:
        raise  # retried with backoff; marked failed if the retries run out
    except Exception as error:
        # A fault of the data or the code: trying again would fail the same way.
        chunk_failed(chunk_id=chunk_id, error=f"{type(error).__name__}: {error}")
        raise


@shared_task(name="exposure.full_rematch", base=MatchingTask)
def full_rematch() -> bool:
    """Plan a full re-match and hand its chunks to every worker as a group."""
    parent = full_rematch_plan()
    chunk_ids = list(parent.chunks.order_by("pk").values_list("pk", flat=True))
    group(match_chunk.s(chunk_id) for chunk_id in chunk_ids).apply_async()
    return False


@shared_task(name="exposure.sweep_pending", base=MatchingTask)
def sweep_pending() -> None:
    """Re-send matching work still marked pending (lost to a broker outage or a crash)."""
    pending_sweep()
