"""API tokens: issuing, revoking and recognising them.

A token reads ``vw_<prefix>_<secret>``. The prefix is public and finds the row; the secret is 32
random bytes, of which only a SHA-256 hash is stored. A secret that long cannot be guessed, so a
fast hash is as safe as a password hash here and keeps every API request from paying for one.
The full token is shown once, when it is issued.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from config.prepared import prepared_statements
from orgs.choices import Role, TokenAccess
from orgs.models import ApiToken, Membership, Organization, User
from orgs.scoping import Actor, has_role

# Every token starts with this mark, so that secret scanners can recognise a leaked one.
MARK = "vw"
# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough to tell a live token from a forgotten one.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_visible_to(*, user: Actor) -> QuerySet[ApiToken, ApiToken]:
    """The tokens ``user`` may see and revoke: their own, and the organization tokens of the
    organizations they administer. A request made with an organization token sees only that
    organization's tokens."""
    if not user.is_authenticated or not user.is_active:
        return ApiToken.objects.none()
    administered = Organization.objects.with_role(user, Role.ADMIN).values("pk")
    tokens = ApiToken.objects.filter(Q(user=user) | Q(organization__in=administered))
    current = getattr(user, "api_token", None)
    if current is not None and current.organization_id is not None:
        tokens = tokens.filter(organization_id=current.organization_id)
    return tokens


def token_create(
    *,
    user: User,
    name: str,
    access: str = TokenAccess.READ,
    organization: Organization | None = None,
    expires_at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for ``user`` and return it with its full text, which is never stored.

    An organization token needs its creator to administer that organization. A token cannot
    issue tokens: a leaked one must not be able to mint replacements that outlive its
    revocation.
    """
    if getattr(user, "api_token", None) is not None:
        raise PermissionDenied("Tokens are issued from a signed-in session, not with a token.")
    if organization is not None and not has_role(user, organization, Role.ADMIN):
        raise ValidationError(
            {"organization": "Only an admin of the organization may issue tokens for it."}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = secrets.token_urlsafe(32)
    for _attempt in range(5):
        # 48 random bits make a clash of prefixes rare; the unique constraint makes it harmless.
        prefix = secrets.token_hex(6)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    organization=organization,
                    name=name,
                    prefix=prefix,
                    secret_hash=_secret_hash(secret),
                    access=access,
                    expires_at=expires_at,
                )
                audit_record(
                    action="token.create",
                    actor=user,
                    organization=organization,
                    obj=token,
                    after={
                        "name": name,
                        "prefix": prefix,
                        "access": access,
                        "expires_at": expires_at.isoformat() if expires_at else None,
                    },
                    request=request,
                )
        except IntegrityError:
            continue
        return token, f"{MARK}_{prefix}_{secret}"
    raise RuntimeError("Could not find a free token prefix.")


@transaction.atomic
def token_revoke(*, token: ApiToken, user: Actor, request: HttpRequest | None = None) -> ApiToken:
    """Revoke ``token`` from now on; revoking a revoked token changes nothing."""
    if not tokens_visible_to(user=user).filter(pk=token.pk).exists():
        raise PermissionDenied("You may revoke only your own tokens and your organizations'.")
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    if revoked:
        audit_record(
            action="token.revoke",
            actor=user,
            organization=token.organization,
            obj=token,
            after={"prefix": token.prefix},
            request=request,
        )
    return token


# Stands in for the prefix while the lookup's SQL is compiled (prefixes are letters and digits).
_PREFIX_STAND_IN = "-prefix-"


@dataclass(frozen=True)
class _CompiledLookup:
    """The SQL of ``ApiToken.objects.select_related("user").filter(prefix=…)`` on one database,
    with where each model's columns are in its rows and how their values are converted."""

    sql: str
    token_columns: tuple[int, ...]
    user_columns: tuple[int, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    # Where the ids of the user's organizations are in the row (PostgreSQL only), or None.
    member_of_column: int | None


_MEMBER_OF = "member_of_ids"


@cache
def _compiled_lookup(alias: str) -> _CompiledLookup:
    queryset = ApiToken.objects.using(alias).select_related("user").filter(prefix=_PREFIX_STAND_IN)
    if connections[alias].vendor == "postgresql":
        # The organizations the token's user belongs to, read in the same statement: a list
        # scopes its rows by them, and would otherwise ask for them in a query of its own.
        queryset = queryset.annotate(
            **{
                _MEMBER_OF: ArraySubquery(
                    Membership.objects.filter(user_id=OuterRef("user_id"))
                    .order_by()
                    .values("organization_id")
                )
            }
        )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    assert list(params) == [_PREFIX_STAND_IN], params
    klass_info = compiler.klass_info
    assert klass_info is not None
    (user_info,) = klass_info["related_klass_infos"]
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
    return _CompiledLookup(
        sql=sql,
        token_columns=tuple(klass_info["select_fields"]),
        user_columns=tuple(user_info["select_fields"]),
        member_of_column=compiler.annotation_col_map.get(_MEMBER_OF),
        converters=tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in converters.items()
        ),
    )


def _token_by_prefix(prefix: str) -> ApiToken | None:
    """``ApiToken.objects.select_related("user").filter(prefix=prefix).first()`` (the prefix is
    unique), from SQL the ORM compiled once: every API request looks its token up, and building
    and compiling the query anew cost more than PostgreSQL's answer (about 0.4 ms of 1 ms on a
    request that does nothing else). The rows go through the ORM's converters and ``from_db``,
    as a queryset's would; ``tests/api/test_tokens.py`` holds both equal.

    On PostgreSQL the same statement reads the ids of the organizations the token's user is a
    member of, kept as ``token.member_of_ids`` for the request that presented the token
    (``orgs.scoping.request_visible_organization_ids``)."""
    alias = router.db_for_read(ApiToken)
    lookup = _compiled_lookup(alias)
    connection = connections[alias]
    # Prepared once per connection: planning the join costs as much as running it.
    with connection.cursor() as cursor, prepared_statements(connection):
        cursor.execute(lookup.sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, functions, expression in lookup.converters:
        for function in functions:
            values[position] = function(values[position], expression, connection)
    token = ApiToken.from_db(
        alias, _attnames(ApiToken), [values[at] for at in lookup.token_columns]
    )
    user = User.from_db(alias, _attnames(User), [values[at] for at in lookup.user_columns])
    ApiToken.user.field.set_cached_value(token, user)
    if lookup.member_of_column is not None:
        member_of: list[int] = values[lookup.member_of_column]
        token.member_of_ids = frozenset(member_of)  # type: ignore[attr-defined]
    return token


@cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token ``raw`` stands for, with its user loaded; ``None`` when it is malformed,
    unknown, wrong, expired or revoked, or its user is inactive."""
    scheme, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != MARK or not prefix or not secret:
        return None
    token = _token_by_prefix(prefix)
    if token is None or not hmac.compare_digest(token.secret_hash, _secret_hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        # A conditional update: of many concurrent requests, one writes.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at=None) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_status(token: ApiToken) -> str:
    """Whether ``token`` still works: ``active``, ``expired`` or ``revoked``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"
