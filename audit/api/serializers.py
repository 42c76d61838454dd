"""Serializers of the audit API."""

from audit.models import AuditEntry
from config.api_serializers import StrictModelSerializer


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
