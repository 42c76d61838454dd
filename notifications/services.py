"""Writes of notification channels: create, change, delete, rotate the signing secret, send a
test. Organization admins manage their organization's channels; every change is audited, with
the URL masked and the secret left out, since the audit trail is read by more people than
should call the webhook.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

import outbound
from advisories.choices import AdvisoryKind
from audit.services import audit_record
from notifications.choices import URL_CHANNEL_KINDS, ChannelKind, DeliveryKind, NotificationEvent
from notifications.delivery import deliveries_enqueue
from notifications.models import Channel, Delivery
from orgs.choices import Role
from orgs.models import Organization
from orgs.scoping import Actor, has_role

# What a caller may set on a channel; the kind and the organization are fixed at creation.
CHANNEL_FIELDS = frozenset(
    {"name", "enabled", "mode", "min_severity", "advisory_kinds", "events", "recipients", "url"}
)
MAX_RECIPIENTS = 20


def _require_admin(actor: Actor, organization: Organization) -> None:
    if not has_role(actor, organization, Role.ADMIN):
        raise PermissionDenied(
            f"Managing notification channels needs the admin role in {organization.name}."
        )


def _secret() -> str:
    return secrets.token_urlsafe(32)


def channel_snapshot(channel: Channel) -> dict[str, Any]:
    """The channel's settings for the audit trail: the URL masked, the secret left out."""
    return {
        "name": channel.name,
        "kind": channel.kind,
        "enabled": channel.enabled,
        "mode": channel.mode,
        "min_severity": channel.min_severity,
        "advisory_kinds": list(channel.advisory_kinds),
        "events": list(channel.events),
        "recipients": list(channel.recipients),
        "target": channel.target_display,
    }


def _choices(value: Any, allowed: list[str], field: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: "Give a list of values."})
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValidationError({field: f"Unknown values: {', '.join(unknown)}."})
    return [choice for choice in allowed if choice in value]


def _validate(channel: Channel) -> None:
    """Refuse settings that cannot work for the channel's kind, naming the field."""
    channel.name = channel.name.strip()
    channel.events = _choices(channel.events, list(NotificationEvent.values), "events")
    if not channel.events:
        raise ValidationError({"events": "Choose at least one event."})
    channel.advisory_kinds = _choices(
        channel.advisory_kinds, list(AdvisoryKind.values), "advisory_kinds"
    )
    if channel.kind == ChannelKind.EMAIL:
        if channel.url:
            raise ValidationError({"url": "An email channel has recipients, not a URL."})
        if not isinstance(channel.recipients, list | tuple) or not channel.recipients:
            raise ValidationError({"recipients": "Give at least one email address."})
        if len(channel.recipients) > MAX_RECIPIENTS:
            raise ValidationError({"recipients": f"At most {MAX_RECIPIENTS} addresses."})
        addresses = [str(address).strip() for address in channel.recipients]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError({"recipients": f"Not an email address: {address}"}) from None
        channel.recipients = list(dict.fromkeys(addresses))
    elif channel.kind in URL_CHANNEL_KINDS:
        if channel.recipients:
            raise ValidationError({"recipients": "Only email channels have recipients."})
        _validate_url(channel.url.strip())
        channel.url = channel.url.strip()
    channel.full_clean()


def _validate_url(url: str) -> None:
    """A URL the guarded client could call. A host name is checked again, resolved, at every
    send (its addresses may change); an address written in the URL can be refused now."""
    if not url:
        raise ValidationError({"url": "Give the URL to post to."})
    try:
        target = outbound.url_target(url)
    except outbound.OutboundRefused as error:
        raise ValidationError({"url": str(error)}) from None
    try:
        address = ipaddress.ip_address(target.host)
    except ValueError:
        return
    if outbound.address_refused(address) and not outbound.host_allowed(target.host):
        raise ValidationError({"url": f"{target.host} is not a public address."})


@transaction.atomic
def channel_create(
    *,
    organization: Organization,
    kind: str,
    actor: Actor,
    request: HttpRequest | None = None,
    **fields: Any,
) -> tuple[Channel, str]:
    """Add a channel to ``organization``. Returns it with its signing secret (webhooks; empty
    for the others), which is shown this once."""
    _require_admin(actor, organization)
    unknown = set(fields) - CHANNEL_FIELDS
    if unknown:
        raise ValidationError(f"Unknown channel fields: {', '.join(sorted(unknown))}.")
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": f"Unknown kind: {kind}."})
    channel = Channel(
        organization=organization,
        kind=kind,
        created_by=actor if actor.is_authenticated else None,
        **fields,
    )
    secret = _secret() if kind == ChannelKind.WEBHOOK else ""
    channel.secret = secret
    _validate(channel)
    channel.save()
    audit_record(
        action="notification_channel.create",
        actor=actor,
        organization=organization,
        obj=channel,
        after=channel_snapshot(channel),
        request=request,
    )
    return channel, secret


@transaction.atomic
def channel_update(
    *,
    channel: Channel,
    data: Mapping[str, Any],
    actor: Actor,
    request: HttpRequest | None = None,
) -> Channel:
    """Change a channel's name, rules or destination."""
    channel = Channel.objects.select_for_update().select_related("organization").get(pk=channel.pk)
    _require_admin(actor, channel.organization)
    unknown = set(data) - CHANNEL_FIELDS
    if unknown:
        raise ValidationError(f"Unknown channel fields: {', '.join(sorted(unknown))}.")
    before, old_url = channel_snapshot(channel), channel.url
    for name, value in data.items():
        setattr(channel, name, value)
    _validate(channel)
    channel.save()
    after = channel_snapshot(channel)
    changed = [name for name in after if after[name] != before[name]]
    if channel.url != old_url and "target" not in changed:
        # The masked target hides a change of path, which is the part that matters.
        changed.append("url")
    if changed:
        audit_record(
            action="notification_channel.update",
            actor=actor,
            organization=channel.organization,
            obj=channel,
            before={name: before.get(name, "(hidden)") for name in changed},
            after={name: after.get(name, "(changed)") for name in changed},
            request=request,
        )
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel, actor: Actor, request: HttpRequest | None = None) -> None:
    """Remove a channel and its delivery log."""
    _require_admin(actor, channel.organization)
    audit_record(
        action="notification_channel.delete",
        actor=actor,
        organization=channel.organization,
        obj=channel,
        before=channel_snapshot(channel),
        request=request,
    )
    channel.delete()


@transaction.atomic
def channel_secret_rotate(
    *, channel: Channel, actor: Actor, request: HttpRequest | None = None
) -> str:
    """Give a webhook channel a new signing secret and return it (shown this once); the old
    one stops working at once."""
    channel = Channel.objects.select_for_update().select_related("organization").get(pk=channel.pk)
    _require_admin(actor, channel.organization)
    if channel.kind != ChannelKind.WEBHOOK:
        raise ValidationError("Only webhook channels sign their requests.")
    channel.secret = _secret()
    channel.save(update_fields=["secret", "updated_at"])
    audit_record(
        action="notification_channel.rotate_secret",
        actor=actor,
        organization=channel.organization,
        obj=channel,
        after={"rotated_at": timezone.now().isoformat()},
        request=request,
    )
    return channel.secret


@transaction.atomic
def channel_test(*, channel: Channel, actor: Actor, request: HttpRequest | None = None) -> Delivery:
    """Send the channel a test message now (even when it is disabled); its outcome appears in
    the delivery log."""
    _require_admin(actor, channel.organization)
    delivery = Delivery.objects.create(
        organization=channel.organization,
        channel=channel,
        kind=DeliveryKind.TEST,
        next_attempt_at=timezone.now(),
    )
    audit_record(
        action="notification_channel.test",
        actor=actor,
        organization=channel.organization,
        obj=channel,
        after={"delivery": delivery.pk},
        request=request,
    )
    transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
    return delivery
