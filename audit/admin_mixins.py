"""Auditing for admin pages that edit a model directly (no service of its own to call).

Most admin pages write through their app's services, which audit. Rows that are plain
records — an advisory's source, CVE ids and references — are edited here as the admin saves
them, and each save or delete leaves an entry like any other write: the action is
``<model>.admin_create`` / ``admin_update`` / ``admin_delete``, with the changed fields'
values before and after.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.services import audit_record, audit_snapshot


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose saves and deletes are recorded in the audit trail."""

    def _action(self, obj: models.Model, verb: str) -> str:
        return f"{obj._meta.model_name}.admin_{verb}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        names = list(form.changed_data) if change else None
        before = audit_snapshot(type(obj).objects.get(pk=obj.pk), fields=names) if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and not names:
                return
            audit_record(
                action=self._action(obj, "update" if change else "create"),
                actor=request.user,
                obj=obj,
                before=before,
                after=audit_snapshot(obj, fields=names),
                request=request,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = audit_snapshot(obj)
        action, label, pk = self._action(obj, "delete"), str(obj), obj.pk
        with transaction.atomic():
            super().delete_model(request, obj)
            audit_record(
                action=action,
                actor=request.user,
                object_type=obj._meta.label_lower,
                object_id=str(pk),
                object_repr=label,
                before=before,
                request=request,
            )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class RecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows that the application writes (runs, history, compiled data): shown, never edited
    or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
