"""Filters of the audit trail, shared by its page and the API."""

import django_filters

from audit.models import AuditEntry
from listing.filtersets import DateTimeFromToRangeFilter, IntegerFilter, SearchFilterSet


class AuditEntryFilterSet(SearchFilterSet):
    """``q`` searches the actor's name, the action and the object's description."""

    search_fields = ("actor_name", "action", "object_repr")

    action = django_filters.CharFilter(max_length=60)
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", max_length=60, label="Action starts with"
    )
    organization = IntegerFilter(field_name="organization_id")
    actor = IntegerFilter(field_name="actor_id")
    object_type = django_filters.CharFilter(max_length=60)
    object_id = django_filters.CharFilter(max_length=64)
    created = DateTimeFromToRangeFilter(field_name="created_at")

    class Meta:
        model = AuditEntry
        fields = ["action", "organization", "actor", "object_type", "object_id", "via"]
