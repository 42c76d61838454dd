"""Base classes of the API's viewsets: what catalogue and tenant endpoints have in common.

Catalogue viewsets (vendors, products, sources, advisories) are readable by every signed-in
user and writable by advisory editors. Tenant viewsets start from ``visible_to(user)``, so a
row of an organization the user cannot see answers 404, and check the role held in the row's
organization before any change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

from api.permissions import (
    CatalogueEditorOrReadOnly,
    OrganizationRolePermission,
    TokenAccessPermission,
)
from orgs.choices import Role
from orgs.models import Organization
from orgs.scoping import has_role

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass

BASE_PERMISSIONS: tuple[_PermissionClass, ...] = (IsAuthenticated, TokenAccessPermission)
# Ids are numbers: "/flags/abc/" matches no route and answers 404 before any view runs.
ID_PATTERN = "[0-9]+"


class CatalogueViewSetMixin:
    """Everyone signed in reads; advisory editors and superusers write."""

    permission_classes: Sequence[_PermissionClass] = (
        *BASE_PERMISSIONS,
        CatalogueEditorOrReadOnly,
    )
    lookup_value_regex = ID_PATTERN


class TenantViewSetMixin:
    """Rows of organizations, limited to those the user may see, changed by role.

    ``required_roles`` names the role an action needs in the row's organization; other writes
    need ``default_write_role``.
    """

    permission_classes: Sequence[_PermissionClass] = (
        *BASE_PERMISSIONS,
        OrganizationRolePermission,
    )
    lookup_value_regex = ID_PATTERN
    default_write_role: ClassVar[Role] = Role.ANALYST
    required_roles: ClassVar[dict[str, Role]] = {}
    request: Any

    def get_queryset(self) -> QuerySet[Any, Any]:
        queryset: QuerySet[Any, Any] = super().get_queryset()  # type: ignore[misc]
        return queryset.visible_to(self.request.user)  # type: ignore[attr-defined,no-any-return]

    def organization_of(self, obj: Model) -> Organization:
        """The organization a row belongs to."""
        organization: Organization = obj.organization  # type: ignore[attr-defined]
        return organization

    def require_role(self, organization: Organization, role: Role) -> None:
        """Refuse with 403 unless the user holds ``role`` in ``organization``."""
        if not has_role(self.request.user, organization, role):
            raise PermissionDenied(
                f"This needs the {role.label.lower()} role in {organization.name}."
            )
