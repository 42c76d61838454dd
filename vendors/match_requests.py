"""Asking the matcher for work, by task name, without importing it.

The catalogue, the inventory and the advisories sit below the matcher in the dependency graph
(``exposure`` uses all three; none of them imports ``exposure``), so their services ask for
matching by Celery task name. The durable record of the request is the row's
``match_requested_at``, set by the caller in the same transaction as the change; the task sent
after commit is only the fast path. If the broker cannot be reached the error is logged and
the marker stays: the matcher's sweeper (``exposure.sweep_pending``) re-sends the work.

Task names are the contract with ``exposure.tasks``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

MATCH_ADVISORIES = "exposure.match_advisories"
MATCH_ORGANIZATION = "exposure.match_organization"
MATCH_CATALOGUE = "exposure.match_catalogue"


def matching_request_on_commit(task_name: str, *args: Any) -> None:
    """Send ``task_name(*args)`` once the current transaction commits (now, if there is none)."""
    transaction.on_commit(partial(matching_request_send, task_name, *args))


def matching_request_send(task_name: str, *args: Any) -> None:
    """Send ``task_name(*args)`` now; a broker outage is logged, not raised.

    With ``CELERY_TASK_ALWAYS_EAGER`` (no broker: the quick-start, the test suite) the task
    runs here, in this process, and its errors propagate like any other code's.
    """
    app = current_app
    if app.conf.task_always_eager:
        if task_name not in app.tasks:
            # Task modules are imported lazily by the Celery app; import them the first time.
            # Not on every call: with Django, importing them runs the system checks, which
            # costs more than a small matching run.
            app.loader.import_default_modules()
        app.tasks[task_name].apply(args=list(args), throw=True)
        return
    try:
        app.send_task(task_name, args=list(args))
    except BrokerError:
        logger.warning(
            "broker unreachable: %s%s left pending for the sweeper", task_name, _brief(args)
        )


def _brief(args: Sequence[Any]) -> str:
    return repr(tuple(args))[:200]
