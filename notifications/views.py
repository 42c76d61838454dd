"""Pages of notifications and SLAs, for organization admins: channels (with a test button and
the signing secret shown once), the delivery log, and each organization's SLA days.

Everything here is scoped by ``notifications.selectors`` to the organizations the user
administers; anything else answers 404, like a page that does not exist.
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from listing.pages import checkboxes, filter_fields, paginate
from notifications.filtersets import DeliveryFilterSet
from notifications.forms import ChannelForm, SlaForm
from notifications.models import Channel
from notifications.selectors import (
    channels_emailing,
    channels_visible_to,
    deliveries_visible_to,
    delivery_message,
    organizations_administered,
    organizations_of_member,
)
from notifications.services import (
    channel_create,
    channel_delete,
    channel_secret_rotate,
    channel_test,
    channel_update,
)
from orgs.administration import organization_update

SLA_FIELDS = ("sla_critical_days", "sla_high_days", "sla_medium_days", "sla_low_days")


def _channel(request: HttpRequest, pk: int) -> Channel:
    return get_object_or_404(channels_visible_to(user=request.user), pk=pk)


def _form_errors(form: Any, error: ValidationError) -> None:
    """Put a service's refusal on the form, on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    """The channels of the organizations the user administers."""
    context = {
        "channels": channels_visible_to(user=request.user).order_by(
            "organization__name", "name", "pk"
        ),
        "administers": organizations_administered(user=request.user).exists(),
    }
    return render(request, "notifications/channel_list.html", context)


def _secret_page(request: HttpRequest, channel: Channel, secret: str) -> HttpResponse:
    return render(
        request, "notifications/channel_secret.html", {"channel": channel, "secret": secret}
    )


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def channel_create_view(request: HttpRequest) -> HttpResponse:
    """A new channel; a webhook's signing secret is shown on the next page, once."""
    if not organizations_administered(user=request.user).exists():
        raise Http404("You administer no organization.")
    form = ChannelForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            channel, secret = channel_create(
                organization=form.cleaned_data["organization"],
                kind=form.cleaned_data["kind"],
                actor=request.user,
                request=request,
                **form.channel_data(),
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"Channel “{channel.name}” created.")
            if secret:
                return _secret_page(request, channel, secret)
            return redirect("notifications:channel_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/channel_form.html", {"form": form}, status=status)


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def channel_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A channel's settings, its actions (test, new secret, delete) and its latest deliveries."""
    channel = _channel(request, pk)
    form = ChannelForm(request.POST or None, user=request.user, channel=channel)
    if request.method == "POST" and form.is_valid():
        try:
            channel = channel_update(
                channel=channel, data=form.channel_data(), actor=request.user, request=request
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"Channel “{channel.name}” saved.")
            return redirect("notifications:channel_edit", pk=channel.pk)
    context = {
        "channel": channel,
        "form": form,
        "deliveries": channel.deliveries.select_related(
            "organization", "channel", "recipient_user"
        ).order_by("-created_at", "-pk")[:10],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/channel_form.html", context, status=status)


@login_required
@require_POST
def channel_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    delivery = channel_test(channel=channel, actor=request.user, request=request)
    messages.success(request, "Test message queued; its outcome is in the delivery log.")
    return redirect("notifications:delivery_detail", pk=delivery.pk)


@never_cache
@login_required
@require_POST
@reauthentication_required
def channel_rotate_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    try:
        secret = channel_secret_rotate(channel=channel, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("notifications:channel_edit", pk=channel.pk)
    messages.success(request, "New signing secret issued; the old one no longer works.")
    return _secret_page(request, channel, secret)


@login_required
@reauthentication_required(allow_get=True)
def channel_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete the channel with its delivery log."""
    channel = _channel(request, pk)
    if request.method == "POST":
        name = channel.name
        channel_delete(channel=channel, actor=request.user, request=request)
        messages.success(request, f"Channel “{name}” deleted.")
        return redirect("notifications:channel_list")
    return render(request, "notifications/channel_delete.html", {"channel": channel})


@login_required
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    """The delivery log: what was sent where, what failed and why."""
    queryset = deliveries_visible_to(user=request.user)
    filterset = DeliveryFilterSet(request.GET, queryset=queryset, request=request)
    fields = filter_fields(
        filterset,
        ("organization", "channel", "status", "kind", "q"),
        widgets={"status": checkboxes(), "kind": checkboxes()},
    )
    filtered = filterset.qs if filterset.is_valid() else queryset.none()
    context = {
        "page": paginate(filtered.order_by("-created_at", "-pk"), request),
        "filter_fields": fields,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }
    return render(request, "notifications/delivery_list.html", context)


@login_required
@require_GET
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: its attempts, and what it says."""
    delivery = get_object_or_404(deliveries_visible_to(user=request.user), pk=pk)
    context = {
        "delivery": delivery,
        "attempts": delivery.attempt_log.order_by("number"),
        "message": delivery_message(delivery=delivery),
    }
    return render(request, "notifications/delivery_detail.html", context)


@login_required
@require_GET
def sla_list(request: HttpRequest) -> HttpResponse:
    """The SLA days of the organizations the user administers."""
    context = {"organizations": organizations_administered(user=request.user).order_by("name")}
    return render(request, "notifications/sla_list.html", context)


@login_required
def sla_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change an organization's SLA days. New flags fall due by them at once; existing flags
    follow when the matcher next refreshes them (at the latest, the daily full re-match)."""
    organization = get_object_or_404(organizations_administered(user=request.user), slug=slug)
    initial = {name: getattr(organization, name) for name in SLA_FIELDS}
    form = SlaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {
            name: value for name, value in form.cleaned_data.items() if initial[name] != value
        }
        try:
            if changed:
                organization_update(
                    organization=organization, actor=request.user, request=request, **changed
                )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"SLA of {organization.name} saved.")
            return redirect(reverse("notifications:sla_list"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "notifications/sla_form.html",
        {"organization": organization, "form": form},
        status=status,
    )


@login_required
@require_GET
def my_notifications(request: HttpRequest) -> HttpResponse:
    """What reaches a member, read-only: their reminders, the email channels that write to
    them, and the SLA days by which their organizations' flags fall due. Admins change these
    on the other tabs."""
    context = {
        "organizations": organizations_of_member(user=request.user).order_by("name"),
        "channels": channels_emailing(user=request.user),
        "administers": organizations_administered(user=request.user).exists(),
    }
    return render(request, "notifications/mine.html", context)
