"""Serializers of the audit API."""

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer

from api.serializers import StrictModelSerializer
from audit.models import AuditEntry


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A role change",
            value={
                "id": 90311,
                "created_at": "2026-11-27T10:18:44Z",
                "actor_id": 7,
                "actor_name": "o.krause",
                "organization_id": 3,
                "organization_name": "Stadtwerke Nordhafen",
                "action": "membership.role_change",
                "object_type": "orgs.membership",
                "object_id": "41",
                "object_repr": "Jana Becker — Admin of Stadtwerke Nordhafen",
                "before": {"user": 12, "role": "analyst"},
                "after": {"user": 12, "role": "admin"},
                "ip_address": "203.0.113.24",
                "via": "api",
            },
            response_only=True,
        )
    ]
)
class AuditEntrySerializer(StrictModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_id",
            "actor_name",
            "organization_id",
            "organization_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "ip_address",
            "via",
        ]
        read_only_fields = fields
