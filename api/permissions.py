"""Permission classes of the REST API.

Which rows a request may *see* is decided by the querysets (``visible_to``), so a foreign object
answers 404 like a missing one. These classes decide what a request may *change*: by the
token's access, by platform role for the shared catalogue, and by the role held in the object's
organization for tenant data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from django.urls import reverse
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from orgs.choices import Role, TokenAccess
from orgs.models import ApiToken, Organization
from orgs.permissions import can_edit_catalogue
from orgs.scoping import has_role

if TYPE_CHECKING:
    # Importing DRF's views here would import this module again through DRF's settings.
    from rest_framework.views import APIView


class TokenAccessPermission(BasePermission):
    """A read-only token may only read, whatever its user could do."""

    message = "This API token is read-only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.access != TokenAccess.READ_WRITE:
            return request.method in SAFE_METHODS
        return True


class CatalogueEditorOrReadOnly(BasePermission):
    """Every signed-in user reads the catalogue; advisory editors and superusers write it."""

    message = "Only advisory editors may change the catalogue and advisories."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or can_edit_catalogue(request.user)


class OrganizationRolePermission(BasePermission):
    """Changing an organization's rows needs a role in that organization.

    The viewset names the role per action in ``required_roles`` (an action it does not name
    needs ``default_write_role``); ``organization_of(obj)`` says whose row it is. Creation is
    checked by the viewset against the organization in the request body, which this class
    cannot see before validation.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        role = required_role(view, request)
        if role is None:
            return True
        organization: Organization = view.organization_of(obj)  # type: ignore[attr-defined]
        return has_role(request.user, organization, role)


def required_role(view: APIView, request: Request) -> Role | None:
    """The role ``view``'s current action needs in the object's organization; ``None`` for
    reads that need nothing beyond seeing the row."""
    action = getattr(view, "action", None)
    roles: dict[str, Role] = getattr(view, "required_roles", {})
    if action in roles:
        return roles[action]
    if request.method in SAFE_METHODS:
        return None
    return getattr(view, "default_write_role", Role.OWNER)


class RecentlyConfirmedSession(BasePermission):
    """A sensitive write from a browser session (issuing a token, changing a membership) needs
    the password or second factor confirmed in the last minutes, as the pages ask for it. The
    viewset names those actions in ``sensitive_actions``.

    A token was itself issued after such a confirmation and carries no session to confirm, so
    token requests pass; their access and roles are checked by the other classes.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) not in getattr(view, "sensitive_actions", ()):
            return True
        if isinstance(request.auth, ApiToken):
            return True
        if not is_reauthentication_required(request._request, app=""):
            return True
        self.message = (
            "This action needs a recent confirmation of your password or second factor: "
            f"confirm at {reverse('account_reauthenticate')} and send the request again."
        )
        return False
