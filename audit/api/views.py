"""The audit trail over the API: read-only, for organization admins and superusers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from api.pagination import KeysetPagination
from api.viewsets import BASE_PERMISSIONS, ID_PATTERN
from audit.api.serializers import AuditEntrySerializer
from audit.filtersets import AuditEntryFilterSet
from audit.models import AuditEntry


@extend_schema_view(
    list=extend_schema(
        summary="List audit entries",
        description="Entries of the organizations you administer, newest first. A superuser "
        "signed in sees every entry, platform ones included; through a token, the "
        "organizations' entries only. Cursor-paginated: follow `next`.",
    ),
    retrieve=extend_schema(summary="Get an audit entry"),
)
@extend_schema(tags=["audit"])
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet[AuditEntry]):
    permission_classes = BASE_PERMISSIONS
    lookup_value_regex = ID_PATTERN
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[AuditEntry, Any]:
        return AuditEntry.objects.visible_to(self.request.user)
