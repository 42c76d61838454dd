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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from orgs.choices import Role, TokenAccess
from orgs.models import ApiToken, Organization, User
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


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token ``raw`` stands for, with its user loaded; ``None`` when it is malformed,
    unknown, wrong, expired or revoked, or its user is inactive."""
    scheme, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != MARK or not prefix or not secret:
        return None
    try:
        token = ApiToken.objects.select_related("user").get(prefix=prefix)
    except ApiToken.DoesNotExist:
        return None
    if not hmac.compare_digest(token.secret_hash, _secret_hash(secret)):
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
