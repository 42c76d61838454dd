"""Filters of channels and the delivery log, shared by their pages and the API.

A filter that names an organization or a channel offers only those the requesting user
administers, so that naming a foreign one is refused like naming one that does not exist.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest

from listing.filtersets import SearchFilterSet
from notifications.choices import ChannelKind, ChannelMode, DeliveryKind, DeliveryStatus
from notifications.models import Channel, Delivery
from notifications.selectors import channels_visible_to, organizations_administered
from orgs.models import Organization


def _organizations(request: HttpRequest | None) -> QuerySet[Organization, Any]:
    if request is None:
        return Organization.objects.none()
    return organizations_administered(user=request.user)


def _channels(request: HttpRequest | None) -> QuerySet[Channel, Any]:
    if request is None:
        return Channel.objects.none()
    return channels_visible_to(user=request.user)


class ChannelFilterSet(SearchFilterSet):
    search_fields = ("name",)

    organization = django_filters.ModelChoiceFilter(queryset=_organizations)
    kind = django_filters.MultipleChoiceFilter(choices=ChannelKind.choices)
    mode = django_filters.ChoiceFilter(choices=ChannelMode.choices)
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = Channel
        fields = ["organization", "kind", "mode", "enabled"]


class DeliveryFilterSet(SearchFilterSet):
    """``q`` searches the last error."""

    search_fields = ("last_error",)

    organization = django_filters.ModelChoiceFilter(queryset=_organizations)
    channel = django_filters.ModelChoiceFilter(queryset=_channels)
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=DeliveryKind.choices)
    created = django_filters.DateFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Delivery
        fields = ["organization", "channel", "status", "kind"]
