"""The one place that decides which organizations' data a user, or an API token, may see and
change.

``organization_ids(user, minimum=role)`` is the rule: a platform role reaches every
organization, memberships reach their own, an organization token narrows either to its one
organization. Every query of tenant data goes through it, by ``visible_to(user)`` or
``with_role(user, role)`` on the model's manager, or by passing its ids on (to the matching
engine's scope, say); views, API viewsets and tasks never filter by organization by hand. A
request authenticated by an organization token carries that token on ``user.api_token`` (set by
the token authentication), so the token's narrower scope applies to every query made for that
request without any view having to remember it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models
from django.http import HttpRequest, HttpResponse

from orgs.choices import ROLE_RANK, Role

if TYPE_CHECKING:
    from orgs.models import Organization, User

# Whoever a query is made for: a signed-in user (possibly carrying an API token) or anonymous.
Actor: TypeAlias = "User | AnonymousUser"

_Q = TypeVar("_Q", bound="OrgScopedQuerySet[Any]")


def platform_role(user: Actor) -> Role | None:
    """The role ``user`` holds in every organization, whatever their memberships: superusers
    act as owners, global analysts as analysts, and advisory editors as viewers (to preview
    and publish an advisory they must see which organizations and items it would flag)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.OWNER
    if getattr(user, "is_global_analyst", False):
        return Role.ANALYST
    if getattr(user, "is_advisory_editor", False):
        return Role.VIEWER
    return None


def _token_organization_id(user: Actor) -> int | None:
    """The organization an organization token narrows its request to, if any."""
    token = getattr(user, "api_token", None)
    return token.organization_id if token is not None else None


def organization_ids(user: Actor, *, minimum: Role = Role.VIEWER) -> frozenset[int] | None:
    """The ids of the organizations where ``user`` holds at least ``minimum`` (``None``: every
    organization): the organizations they may see, with the default.

    The user's platform role (``platform_role``) reaches every organization, their
    memberships reach theirs; an organization token narrows either to its own organization.
    A request that only reads asks the database once (``ReadingRequestMemo``).
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    narrowed_to = _token_organization_id(user)
    memo = _reading_request_memo.get()
    key = (user.pk, narrowed_to, minimum)
    if memo is not None and key in memo:
        return memo[key]
    ids = _organization_ids(user, minimum, narrowed_to)
    if memo is not None:
        memo[key] = ids
    return ids


def _organization_ids(user: Actor, minimum: Role, narrowed_to: int | None) -> frozenset[int] | None:
    platform = platform_role(user)
    if platform is not None and ROLE_RANK[platform] >= ROLE_RANK[minimum]:
        return None if narrowed_to is None else frozenset({narrowed_to})
    from orgs.models import Membership

    # A statement of fixed text: every API request asks it, and building and compiling the
    # same filter with the ORM cost several times its answer.
    roles = [role.value for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[minimum]]
    sql = (
        f"SELECT organization_id FROM {Membership._meta.db_table}"  # noqa: S608
        f" WHERE user_id = %s AND role IN ({', '.join(['%s'] * len(roles))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, *roles])
        ids = frozenset(row[0] for row in cursor.fetchall())
    return ids if narrowed_to is None else ids & {narrowed_to}


# What organization_ids answered during the request being served, if it only reads.
_reading_request_memo: ContextVar[dict[Any, frozenset[int] | None] | None] = ContextVar(
    "vendorwatch_organization_ids", default=None
)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadingRequestMemo:
    """Middleware: a request that only reads asks ``organization_ids`` once per user, token
    and role; a list scopes its rows and checks its organization filter by the same answer.
    A request that writes may change memberships between two questions, so it asks afresh
    each time, as does anything outside a request (a task, a command, a test)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reading_request_memo.set({} if request.method in _READS else None)
        try:
            return self.get_response(request)
        finally:
            _reading_request_memo.reset(token)


def sees_all_organizations(user: Actor) -> bool:
    """Whether ``user`` sees every organization (a platform role, not narrowed by a token)."""
    return organization_ids(user) is None


def role_in(user: Actor, organization: Organization) -> Role | None:
    """The user's effective role in ``organization`` (the higher of their membership's and
    their platform role), or ``None`` when it is not visible to them."""
    if not user.is_authenticated or not user.is_active:
        return None
    narrowed_to = _token_organization_id(user)
    if narrowed_to not in (None, organization.pk):
        return None
    membership_role = (
        organization.memberships.filter(user=user).values_list("role", flat=True).first()
    )
    roles = [role for role in (platform_role(user), membership_role) if role]
    if not roles:
        return None
    return max((Role(role) for role in roles), key=lambda role: ROLE_RANK[role])


def has_role(user: Actor, organization: Organization, minimum: Role) -> bool:
    """Whether ``user`` holds at least ``minimum`` in ``organization``."""
    role = role_in(user, organization)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


class OrgScopedQuerySet(models.QuerySet[Any]):
    """A queryset of tenant data; ``org_lookup`` is the path from the model to its organization."""

    org_lookup = "organization"

    def visible_to(self: _Q, user: Actor) -> _Q:
        """Rows of the organizations ``user`` may see."""
        return self.in_organizations(organization_ids(user))

    def with_role(self: _Q, user: Actor, minimum: Role) -> _Q:
        """Rows of the organizations where ``user`` holds at least ``minimum``."""
        return self.in_organizations(organization_ids(user, minimum=minimum))

    def in_organizations(self: _Q, ids: frozenset[int] | None) -> _Q:
        """Rows of the organizations of ``ids`` (``None``: all of them), as ``organization_ids``
        gives them."""
        if ids is None:
            return self
        return self.filter(**{f"{self.org_lookup}__in": sorted(ids)})


class OrganizationQuerySet(OrgScopedQuerySet):
    org_lookup = "pk"
