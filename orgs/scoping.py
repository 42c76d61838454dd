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

Advisories carry a TLP 2.0 label and an audience, and the same rule decides who reads them:
CLEAR and GREEN, every signed-in user; AMBER, whoever sees one of the audience's
organizations (its members, and analysts granted it); AMBER+STRICT, members of the
audience's organizations only; RED, the named users only, never through an organization's
token. Those who write advisories read every one, as they read drafts. The audience's
organizations are those it names and those of the sectors and tiers it lists.
``hidden_advisory_ids(user)`` is the rule's answer - the few restricted advisories ``user``
may not read - and every query of advisories, flags and what is made of flags excludes
them (``advisory_lookup``). ``advisory_reach_sql`` is the same rule for the matching engine:
flags of a restricted advisory exist only in the organizations that may read it.
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


# TLP levels (``advisories.choices.Tlp``) that restrict who reads an advisory.
TLP_AMBER, TLP_AMBER_STRICT, TLP_RED = "amber", "amber_strict", "red"
RESTRICTED_TLPS = (TLP_AMBER, TLP_AMBER_STRICT, TLP_RED)
# The levels an organization's notification channels may carry: a channel (an address list,
# a webhook) speaks to the organization, and RED is for named people only.
CHANNEL_TLPS = ("clear", "green", TLP_AMBER, TLP_AMBER_STRICT)


def json_codes_have_sql(codes: str, code: str) -> tuple[str, list[Any]]:
    """SQL and parameters: whether ``codes``, a JSON array of codes (an advisory's audience
    sectors or tiers), holds the code ``code``. On PostgreSQL that is jsonb's own ``?``, which
    reads the array without printing it as text for every row (a full re-match's statement
    over 500,000 of 10,000,000 items: 0.62 s with the text, 0.54 s with ``?``); on SQLite the
    code's quoted form is looked for in the array's text."""
    if connection.vendor == "postgresql":
        return f"({codes} ? {code})", []
    return f"(CAST({codes} AS TEXT) LIKE %s || {code} || %s)", ['%"', '"%']


# The organizations an audience names: looked up per row, or as one set (``audience_sql``).
_NAMED_LOOKED_UP = (
    "EXISTS (SELECT 1 FROM advisories_advisory_audience_organizations ao"
    " WHERE ao.advisory_id = {a}.id AND ao.organization_id = {o}.id)"
)
_NAMED_HASHED = (
    "({a}.id, {o}.id) IN (SELECT ao.advisory_id, ao.organization_id"
    " FROM advisories_advisory_audience_organizations ao)"
)


def audience_sql(
    advisory: str, organization: str, *, hashed: bool = False
) -> tuple[str, list[Any]]:
    """SQL and parameters: whether the organization row aliased ``organization`` is in the
    audience of the advisory row aliased ``advisory``.

    The organizations an audience names are looked up per row by the table's index, or with
    ``hashed`` as one uncorrelated (advisory, organization) set, which PostgreSQL hashes once
    per statement: for statements over many rows, which it also lets run in parallel workers
    (a correlated subquery keeps a plan out of them: a full re-match's statement over 500,000
    of 10,000,000 items took 0.70 s with it, 0.60 s hashed). For a request's few rows the
    lookups are cheaper (a member's hidden advisories among 10,000 audience rows: 1.9 ms
    looked up, 3.9 ms hashed).
    """
    sectors, sector_params = json_codes_have_sql(
        f"{advisory}.audience_sectors", f"{organization}.sector"
    )
    tiers, tier_params = json_codes_have_sql(
        f"{advisory}.audience_tiers", f"{organization}.criticality_tier"
    )
    named = (_NAMED_HASHED if hashed else _NAMED_LOOKED_UP).format(a=advisory, o=organization)
    return f"({named} OR {sectors} OR {tiers})", [*sector_params, *tier_params]


def advisory_reach_sql(advisory: str, organization: str) -> tuple[str, list[Any]]:
    """SQL and parameters: whether the organization row ``organization`` may hold flags of the
    advisory row ``advisory``: every one for CLEAR and GREEN, the audience's for AMBER and
    AMBER+STRICT, for RED those where a named user is a member. For statements over many
    rows: hashed sets, as ``audience_sql(hashed=True)``."""
    audience, params = audience_sql(advisory, organization, hashed=True)
    sql = (
        f"({advisory}.tlp NOT IN (%s, %s, %s)"  # noqa: S608 - aliases, not input
        f" OR ({advisory}.tlp IN (%s, %s) AND {audience})"
        f" OR ({advisory}.tlp = %s AND ({advisory}.id, {organization}.id) IN"
        " (SELECT au.advisory_id, am.organization_id"
        " FROM advisories_advisory_audience_users au JOIN orgs_membership am"
        " ON am.user_id = au.user_id)))"
    )
    return sql, [*RESTRICTED_TLPS, TLP_AMBER, TLP_AMBER_STRICT, *params, TLP_RED]


def advisory_reach_organization_ids(advisory_id: int) -> frozenset[int]:
    """The organizations that may hold flags of the advisory and be told about it
    (``advisory_reach_sql``): a campaign of a restricted advisory asks no one else to act."""
    reach, params = advisory_reach_sql("a", "o")
    sql = (
        "SELECT o.id FROM orgs_organization o JOIN advisories_advisory a ON a.id = %s"  # noqa: S608
        f" WHERE {reach}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [advisory_id, *params])
        return frozenset(row[0] for row in cursor.fetchall())


def _writes_advisories(user: Actor) -> bool:
    from orgs.permissions import can_edit_catalogue

    return can_edit_catalogue(user)


def hidden_advisory_ids(user: Actor) -> frozenset[int]:
    """The ids of the restricted advisories (AMBER, AMBER+STRICT, RED) that ``user`` may not
    read (see the module docstring). Restricted advisories are few, so the answer is a short
    list that queries exclude; a request that only reads asks the database once."""
    if _writes_advisories(user):
        return frozenset()
    narrowed_to = _token_organization_id(user)
    memo = _reading_request_memo.get()
    key = ("hidden advisories", user.pk, narrowed_to)
    if memo is not None and key in memo:
        return memo[key]  # type: ignore[return-value]
    ids = _hidden_advisory_ids(user, narrowed_to)
    if memo is not None:
        memo[key] = ids
    return ids


def _hidden_advisory_ids(user: Actor, narrowed_to: int | None) -> frozenset[int]:
    restricted = f"a.tlp IN ({', '.join(['%s'] * len(RESTRICTED_TLPS))})"
    if not user.is_authenticated or not user.is_active:
        sql, params = f"SELECT a.id FROM advisories_advisory a WHERE {restricted}", []  # noqa: S608
    else:
        visible = organization_ids(user)
        if visible is None:
            seen, seen_params = "1 = 1", []
        elif visible:
            seen = f"o.id IN ({', '.join(['%s'] * len(visible))})"
            seen_params = sorted(visible)
        else:
            seen, seen_params = "1 = 0", []
        audience, audience_params = audience_sql("a", "o")
        token = "" if narrowed_to is None else " AND m.organization_id = %s"
        token_params = [] if narrowed_to is None else [narrowed_to]
        sql = (
            f"SELECT a.id FROM advisories_advisory a WHERE {restricted} AND NOT ("  # noqa: S608
            f"(a.tlp = %s AND EXISTS (SELECT 1 FROM orgs_organization o"
            f" WHERE {seen} AND {audience}))"
            " OR (a.tlp = %s AND EXISTS (SELECT 1 FROM orgs_membership m"
            " JOIN orgs_organization o ON o.id = m.organization_id"
            f" WHERE m.user_id = %s{token} AND {audience}))"
            " OR (a.tlp = %s AND %s AND EXISTS (SELECT 1"
            " FROM advisories_advisory_audience_users au"
            " WHERE au.advisory_id = a.id AND au.user_id = %s)))"
        )
        params = [
            TLP_AMBER,
            *seen_params,
            *audience_params,
            TLP_AMBER_STRICT,
            user.pk,
            *token_params,
            *audience_params,
            TLP_RED,
            # RED is for the named person: an organization's token does not carry it.
            narrowed_to is None,
            user.pk,
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*RESTRICTED_TLPS, *params])
        return frozenset(row[0] for row in cursor.fetchall())


def highest_role(user: Actor) -> Role | None:
    """The most ``user`` may do in any organization: the higher of their platform role and
    their best membership (an organization token narrows both to its organization), or
    ``None`` for someone who sees no organization. Pages offer only what this role can use."""
    if not user.is_authenticated or not user.is_active:
        return None
    from orgs.models import Membership

    memberships = Membership.objects.filter(user_id=user.pk)
    narrowed_to = _token_organization_id(user)
    if narrowed_to is not None:
        memberships = memberships.filter(organization_id=narrowed_to)
    held = memberships.order_by().values_list("role", flat=True).distinct()
    roles = {Role(role) for role in held}
    platform = platform_role(user)
    if platform is not None:
        roles.add(platform)
    return max(roles, key=ROLE_RANK.__getitem__) if roles else None


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
    """A queryset of tenant data; ``org_lookup`` is the path from the model to its organization,
    ``advisory_lookup`` the path to the advisory it is about, if it is about one (a flag)."""

    org_lookup = "organization"
    advisory_lookup: str | None = None

    def visible_to(self: _Q, user: Actor) -> _Q:
        """Rows of the organizations ``user`` may see (about advisories they may read)."""
        return self.in_organizations(organization_ids(user)).of_readable_advisories(user)

    def with_role(self: _Q, user: Actor, minimum: Role) -> _Q:
        """Rows of the organizations where ``user`` holds at least ``minimum`` (about
        advisories they may read)."""
        ids = organization_ids(user, minimum=minimum)
        return self.in_organizations(ids).of_readable_advisories(user)

    def of_readable_advisories(self: _Q, user: Actor) -> _Q:
        """Rows about advisories ``user`` may read (all rows of a model not about one)."""
        if self.advisory_lookup is None:
            return self
        hidden = hidden_advisory_ids(user)
        if not hidden:
            return self
        return self.exclude(**{f"{self.advisory_lookup}__in": sorted(hidden)})

    def in_organizations(self: _Q, ids: frozenset[int] | None) -> _Q:
        """Rows of the organizations of ``ids`` (``None``: all of them), as ``organization_ids``
        gives them."""
        if ids is None:
            return self
        return self.filter(**{f"{self.org_lookup}__in": sorted(ids)})


class OrganizationQuerySet(OrgScopedQuerySet):
    org_lookup = "pk"
