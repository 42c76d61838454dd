"""The audit trail: an append-only record of every write and sign-in."""

from typing import Any, NoReturn

from django.db import models


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Entries can be added and read, never changed or removed in bulk."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit entries are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit entries are append-only.")

    def visible_to(self, user: Any) -> "AuditEntryQuerySet":
        """Entries of the organizations where ``user`` is an admin, and only those about
        advisories they may read (TLP); platform entries for superusers only."""
        from orgs.choices import Role
        from orgs.models import Organization
        from orgs.scoping import hidden_advisory_ids

        if not user.is_authenticated:
            return self.none()
        if user.is_superuser and getattr(user, "api_token", None) is None:
            return self
        admin_orgs = Organization.objects.with_role(user, Role.ADMIN).values_list("pk", flat=True)
        entries = self.filter(organization_id__in=admin_orgs)
        hidden = hidden_advisory_ids(user)
        return entries.exclude(advisory_id__in=sorted(hidden)) if hidden else entries


class AuditEntry(models.Model):
    """Who did what to which object, when, from where, with the values before and after.

    Actor and organization are kept as ids plus the names they had at the time, not as foreign
    keys: an entry must outlive the user or organization it mentions, and must never change
    when they do.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True)
    organization_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, help_text="What happened, e.g. advisory.publish.")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    advisory_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The advisory the entry is about (itself, a flag of it, its campaign): "
        "its TLP decides who reads the entry.",
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=20, blank=True, help_text="web, api, admin, task or command.")

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["organization_id", "-created_at"], name="audit_org_time_idx"),
            models.Index(fields=["actor_id", "-created_at"], name="audit_actor_time_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_time_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit entries are append-only.")
