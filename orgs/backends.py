"""Authentication backend that turns platform roles into Django model permissions."""

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission

# The apps an advisory editor curates: the catalogue and the advisories themselves.
EDITOR_APPS = ("vendors", "advisories")


class PlatformRoleBackend(BaseBackend):
    """Grant advisory editors every permission on the catalogue and advisory models.

    The ``is_advisory_editor`` flag stays the single source of truth: there is no group to keep
    in step with it, and revoking the flag revokes the admin rights at once. This backend never
    authenticates anyone; it only answers permission questions.
    """

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if (
            not user_obj.is_active
            or obj is not None
            or not getattr(user_obj, "is_advisory_editor", False)
        ):
            return set()
        if not hasattr(user_obj, "_editor_perm_cache"):
            perms = Permission.objects.filter(content_type__app_label__in=EDITOR_APPS).values_list(
                "content_type__app_label", "codename"
            )
            user_obj._editor_perm_cache = {f"{app}.{codename}" for app, codename in perms}
        return set(user_obj._editor_perm_cache)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_group_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return app_label in EDITOR_APPS and bool(self.get_group_permissions(user_obj))
