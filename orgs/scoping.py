"""The one place that decides which organizations' data a user may see.

Every query of tenant data goes through ``visible_to(user)`` on the model's manager (or through
``visible_organization_ids``); views, API viewsets and tasks never filter by organization by
hand. A request authenticated by an organization token carries that token on ``user.api_token``
(set by the token authentication), so the token's narrower scope applies to every query made
for that request without any view having to remember it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models

from orgs.choices import ROLE_RANK, Role

if TYPE_CHECKING:
    from orgs.models import Organization, User

# Whoever a query is made for: a signed-in user (possibly carrying an API token) or anonymous.
Actor: TypeAlias = "User | AnonymousUser"

_Q = TypeVar("_Q", bound="OrgScopedQuerySet[Any]")


def _is_platform_reader(user: Actor) -> bool:
    # Advisory editors read every organization too: to preview and publish an advisory they
    # must see which organizations and items it would flag.
    return bool(
        user.is_superuser
        or getattr(user, "is_global_analyst", False)
        or getattr(user, "is_advisory_editor", False)
    )


def sees_all_organizations(user: Actor) -> bool:
    """Superusers, global analysts and advisory editors see every organization, unless an
    organization token narrows the request to one."""
    if not user.is_authenticated or not user.is_active:
        return False
    token = getattr(user, "api_token", None)
    if token is not None and token.organization_id is not None:
        return False
    return _is_platform_reader(user)


def visible_organization_ids(user: Actor) -> models.QuerySet[Any, Any] | None:
    """Ids of the organizations ``user`` may see, as a subquery; ``None`` means all of them."""
    from orgs.models import Organization

    if sees_all_organizations(user):
        return None
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none().values("pk")
    ids = Organization.objects.filter(memberships__user=user)
    token = getattr(user, "api_token", None)
    if token is not None and token.organization_id is not None:
        if _is_platform_reader(user):
            ids = Organization.objects.all()
        ids = ids.filter(pk=token.organization_id)
    return ids.values("pk")


def visible_organization_id_set(
    user: Actor, *, member_of: frozenset[int] | None = None
) -> frozenset[int] | None:
    """The ids of the organizations ``user`` may see, fetched; ``None`` means all of them.

    The same organizations as ``visible_organization_ids``, derived in Python from the user's
    memberships: list requests ask for them on every call, and a query of constant text costs
    a fraction of building and compiling that subquery. ``member_of``, when given, are the ids
    of the user's memberships read already (with the request's token), and no query is made.
    """
    if sees_all_organizations(user):
        return None
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    token = getattr(user, "api_token", None)
    narrowed_to = token.organization_id if token is not None else None
    if narrowed_to is not None and _is_platform_reader(user):
        return frozenset({narrowed_to})
    if member_of is None:
        from orgs.models import Membership

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT organization_id FROM {Membership._meta.db_table} WHERE user_id = %s",  # noqa: S608
                [user.pk],
            )
            member_of = frozenset(row[0] for row in cursor.fetchall())
    if narrowed_to is not None:
        return member_of & {narrowed_to}
    return member_of


_REQUEST_MEMO = "_vendorwatch_visible_organization_ids"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_visible_organization_ids(request: Any) -> frozenset[int] | None:
    """``visible_organization_id_set(request.user)``, fetched once per reading request.

    A list request scopes its rows and checks its ``organization`` filter against the same
    ids: one small query instead of a subquery in each. Only requests that read keep the ids:
    a request that writes may change memberships before it reads them again. A reading request
    authenticated by a token asks no query at all: the token's lookup read the user's
    memberships in its own statement (``token.member_of_ids``, on PostgreSQL), a moment
    earlier in the same request.
    """
    if request.method not in _READS:
        return visible_organization_id_set(request.user)
    memo: frozenset[int] | None | bool = getattr(request, _REQUEST_MEMO, False)
    if memo is False:
        token = getattr(request.user, "api_token", None)
        memo = visible_organization_id_set(
            request.user, member_of=getattr(token, "member_of_ids", None)
        )
        setattr(request, _REQUEST_MEMO, memo)
    return memo  # type: ignore[return-value]


def role_in(user: Actor, organization: Organization) -> Role | None:
    """The user's effective role in ``organization``, or ``None`` when it is not visible.

    Superusers act as owners, global analysts as analysts, advisory editors as viewers, members
    by their membership; an organization token limits all of that to its own organization.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    token = getattr(user, "api_token", None)
    if token is not None and token.organization_id not in (None, organization.pk):
        return None
    if user.is_superuser:
        return Role.OWNER
    membership_role = (
        organization.memberships.filter(user=user).values_list("role", flat=True).first()
    )
    roles = [Role(membership_role)] if membership_role else []
    if getattr(user, "is_global_analyst", False):
        roles.append(Role.ANALYST)
    elif getattr(user, "is_advisory_editor", False):
        roles.append(Role.VIEWER)
    if not roles:
        return None
    return max(roles, key=lambda role: ROLE_RANK[role])


def has_role(user: Actor, organization: Organization, minimum: Role) -> bool:
    """Whether ``user`` holds at least ``minimum`` in ``organization``."""
    role = role_in(user, organization)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


class OrgScopedQuerySet(models.QuerySet[Any]):
    """A queryset of tenant data; ``org_lookup`` is the path from the model to its organization."""

    org_lookup = "organization"

    def visible_to(self: _Q, user: Actor) -> _Q:
        ids = visible_organization_ids(user)
        if ids is None:
            return self
        return self.filter(**{f"{self.org_lookup}__in": ids})

    def in_organizations(self: _Q, ids: frozenset[int] | None) -> _Q:
        """``visible_to`` when the visible ids are fetched already (``None``: all of them), as
        ``request_visible_organization_ids`` gives them."""
        if ids is None:
            return self
        return self.filter(**{f"{self.org_lookup}__in": sorted(ids)})

    def with_role(self: _Q, user: Actor, minimum: Role) -> _Q:
        """Rows of the organizations where ``user`` holds at least ``minimum``."""
        from orgs.models import Organization

        scoped = self.visible_to(user)
        if not user.is_authenticated:
            return scoped.none()
        platform_rank = (
            ROLE_RANK[Role.OWNER]
            if user.is_superuser
            else ROLE_RANK[Role.ANALYST]
            if getattr(user, "is_global_analyst", False)
            else ROLE_RANK[Role.VIEWER]
            if getattr(user, "is_advisory_editor", False)
            else 0
        )
        if ROLE_RANK[minimum] <= platform_rank:
            return scoped
        allowed = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[minimum]]
        orgs = Organization.objects.filter(
            memberships__user=user, memberships__role__in=allowed
        ).values("pk")
        return scoped.filter(**{f"{self.org_lookup}__in": orgs})


class OrganizationQuerySet(OrgScopedQuerySet):
    org_lookup = "pk"
