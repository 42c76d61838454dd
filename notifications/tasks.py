"""Celery entry points of notifications and SLAs: each takes ids and calls one service.

Task names are the contract with the beat schedule (``config/settings.py``) and with the
matcher, which wakes the dispatcher by name after each run.
"""

from __future__ import annotations

from celery import shared_task

from notifications.delivery import DELIVER, deliveries_resume_stalled, delivery_attempt
from notifications.dispatch import digests_close, flag_events_dispatch
from notifications.sla import overdue_reminders_send, risk_acceptances_expire


@shared_task(name="notifications.dispatch")
def dispatch() -> None:
    """Turn new flag events into deliveries."""
    flag_events_dispatch()


@shared_task(name=DELIVER, acks_late=True)
def deliver(delivery_id: int, attempt: int) -> None:
    """Make one attempt at sending a delivery; schedule the next one when it may be retried.

    Retries are new tasks with a countdown rather than Celery's own retry, because the
    attempt number is part of the claim (see ``notifications.delivery``).
    """
    retry_in = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if retry_in is not None:
        deliver.apply_async((delivery_id, attempt + 1), countdown=retry_in)


@shared_task(name="notifications.resume_stalled")
def resume_stalled() -> None:
    """Re-send deliveries whose task was lost."""
    deliveries_resume_stalled()


@shared_task(name="notifications.digests_close")
def close_digests() -> None:
    """End the day's digests and send them."""
    digests_close()


@shared_task(name="notifications.overdue_reminders")
def overdue_reminders() -> None:
    """Remind assignees and channels of overdue flags, once a day."""
    overdue_reminders_send()


@shared_task(name="notifications.risk_acceptances_expire")
def expire_risk_acceptances() -> None:
    """Reopen the flags whose risk acceptance has expired."""
    risk_acceptances_expire()
