"""Sending deliveries: one attempt at a time, retried with exponential backoff, logged.

An attempt claims its delivery with an update conditional on the attempt number (``attempts
= n - 1`` → ``n``), so that the task's own retry and the safety net's re-send never make the
same attempt twice. The network call happens outside any transaction. A failure that another
try can fix (no connection, a timeout, 5xx, 408, 429, a mail server error) is retried after
``base × 2^(n-1)`` seconds until ``NOTIFICATIONS_MAX_ATTEMPTS``; one that cannot (an address
the SSRF guard refuses, a redirect, another 4xx, a disabled channel, an assignee without an
email address) fails at once. Every attempt is recorded (:class:`DeliveryAttempt`).
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

import outbound
from notifications import formats
from notifications.choices import ChannelKind, DeliveryKind, DeliveryStatus
from notifications.models import Delivery, DeliveryAttempt
from notifications.selectors import delivery_message

logger = logging.getLogger(__name__)

DELIVER = "notifications.deliver"
# Statuses worth another try: the receiver is overloaded, rate-limiting or timed out.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
# Response text kept in the log, enough to read the receiver's complaint.
ERROR_EXCERPT = 500


@dataclass(frozen=True)
class Outcome:
    """How one attempt went."""

    sent: bool
    retryable: bool = False
    response_code: int | None = None
    error: str = ""


def retry_delay(attempt: int) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …)."""
    return int(settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def _deliver_later(delivery_id: int, attempt: int) -> None:
    """Send the task of an attempt; a broker outage is logged, not raised: the delivery stays
    pending and :func:`deliveries_resume_stalled` sends it later."""
    # The task module imports this one; importing it here, when called, breaks the cycle.
    from notifications.tasks import deliver

    try:
        deliver.delay(delivery_id, attempt)
    except BrokerError:
        logger.warning("broker unreachable: delivery %s left pending", delivery_id)


def deliveries_enqueue(delivery_ids: Iterable[int]) -> None:
    """Ask a worker to make the first attempt of each delivery."""
    for pk in delivery_ids:
        _deliver_later(pk, 1)


def deliveries_resume_stalled(*, grace: timedelta = timedelta(minutes=1)) -> list[int]:
    """Re-send pending deliveries whose next attempt is overdue by more than ``grace``: their
    task was lost (a broker outage, a worker that died mid-attempt). The claim keeps a late
    original task from repeating the attempt."""
    cutoff = timezone.now() - grace
    stalled = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:1000]
    )
    for pk, attempts in stalled:
        _deliver_later(pk, attempts + 1)
    return [pk for pk, _attempts in stalled]


def delivery_attempt(*, delivery_id: int, attempt: int) -> int | None:
    """Make attempt number ``attempt`` at sending the delivery.

    Returns the seconds after which the next attempt is due when this one failed and may be
    retried; ``None`` when it was sent, failed for good, or was not this call's to make.
    """
    now = timezone.now()
    # Until the attempt is recorded, the resumer leaves it alone for as long as a task lives.
    in_flight = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt - 1
    ).update(attempts=attempt, next_attempt_at=in_flight)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("organization", "channel", "recipient_user").get(
        pk=delivery_id
    )
    clock = time.monotonic()
    outcome = _send(delivery)
    duration_ms = int((time.monotonic() - clock) * 1000)
    retry_in = None
    if outcome.sent:
        status = DeliveryStatus.SENT
    elif outcome.retryable and attempt < settings.NOTIFICATIONS_MAX_ATTEMPTS:
        status = DeliveryStatus.PENDING
        retry_in = retry_delay(attempt)
    else:
        status = DeliveryStatus.FAILED
    finished = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=attempt,
            started_at=now,
            duration_ms=duration_ms,
            response_code=outcome.response_code,
            error=outcome.error,
            retry_in=retry_in,
        )
        Delivery.objects.filter(pk=delivery_id, attempts=attempt).update(
            status=status,
            response_code=outcome.response_code,
            last_error=outcome.error,
            sent_at=finished if outcome.sent else None,
            next_attempt_at=finished + timedelta(seconds=retry_in) if retry_in else None,
        )
    if not outcome.sent:
        logger.warning(
            "delivery %s attempt %s failed%s: %s",
            delivery_id,
            attempt,
            f", retrying in {retry_in} s" if retry_in else "",
            outcome.error,
        )
    return retry_in


def _send(delivery: Delivery) -> Outcome:
    channel = delivery.channel
    if channel is None:
        return _email_assignee(delivery)
    if not channel.enabled and delivery.kind != DeliveryKind.TEST:
        return Outcome(sent=False, error="The channel is disabled.")
    if channel.kind == ChannelKind.EMAIL:
        subject, text = formats.email_render(delivery_message(delivery=delivery))
        return _email(subject, text, list(channel.recipients))
    if channel.kind == ChannelKind.WEBHOOK:
        message = delivery_message(delivery=delivery, limit=None)
        body = formats.json_body(formats.webhook_payload(message))
        headers = formats.webhook_headers(
            secret=channel.secret, timestamp=str(int(time.time())), body=body, message=message
        )
        return _post(channel.url, body, headers)
    message = delivery_message(delivery=delivery)
    payload = (
        formats.slack_payload(message)
        if channel.kind == ChannelKind.SLACK
        else formats.teams_payload(message)
    )
    headers = {"Content-Type": "application/json", "User-Agent": formats.USER_AGENT}
    return _post(channel.url, formats.json_body(payload), headers)


def _email_assignee(delivery: Delivery) -> Outcome:
    user = delivery.recipient_user
    if user is None or not user.email:
        return Outcome(sent=False, error="The assignee has no email address.")
    subject, text = formats.email_render(delivery_message(delivery=delivery))
    return _email(subject, text, [user.email])


def _email(subject: str, text: str, recipients: list[str]) -> Outcome:
    try:
        EmailMessage(subject=subject, body=text, to=recipients).send()
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(sent=False, retryable=True, error=f"{type(error).__name__}: {error}")
    return Outcome(sent=True)


def _webhook_limits() -> outbound.Limits:
    # Read when sending, so that settings (and tests) can change them. The reply only goes
    # into an error message: a long one is cut, never a failure.
    return outbound.Limits(
        connect_timeout=settings.NOTIFICATIONS_CONNECT_TIMEOUT,
        read_timeout=settings.NOTIFICATIONS_READ_TIMEOUT,
        total_timeout=settings.NOTIFICATIONS_TOTAL_TIMEOUT,
        max_bytes=settings.NOTIFICATIONS_RESPONSE_MAX_BYTES,
        truncate=True,
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    try:
        response = outbound.request(
            "POST", url, body=body, headers=headers, limits=_webhook_limits()
        )
    except outbound.OutboundRefused as error:
        return Outcome(sent=False, error=f"Refused: {error}")
    except outbound.OutboundFailed as error:
        return Outcome(sent=False, retryable=True, error=str(error))
    code = response.status
    if 200 <= code < 300:
        return Outcome(sent=True, response_code=code)
    excerpt = response.body[:ERROR_EXCERPT].decode(errors="replace")
    if 300 <= code < 400:
        return Outcome(
            sent=False,
            response_code=code,
            error=f"HTTP {code}: redirects are not followed; give the final URL.",
        )
    retryable = code >= 500 or code in RETRYABLE_STATUSES
    return Outcome(
        sent=False, retryable=retryable, response_code=code, error=f"HTTP {code}: {excerpt}"
    )
