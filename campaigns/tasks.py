"""Celery entry points of campaigns: each calls one service."""

from __future__ import annotations

from celery import shared_task

from campaigns.reminders import campaign_reminders_send
from campaigns.services import campaigns_progress_record


@shared_task(name="campaigns.progress_record")
def progress_record() -> None:
    """Sample every open campaign's progress from the flags."""
    campaigns_progress_record()


@shared_task(name="campaigns.reminders_send")
def reminders_send() -> None:
    """Remind organizations of milestones due soon and escalate the ones they missed."""
    campaign_reminders_send()
