"""Single sign-on: which provider an e-mail address signs in with, and what a provider's
people get here (just-in-time accounts, memberships and platform roles from its rules).

allauth runs the protocol; the rows that say whose provider it is and what its groups mean
are ``IdentityProvider`` and ``ProviderRule`` (orgs/models.py), edited by staff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from audit.services import audit_record
from orgs.choices import ROLE_RANK, Role
from orgs.models import IdentityProvider, Membership, Organization, ProviderRule, User

# The platform roles a rule may grant: the rule's field and the user's.
PLATFORM_ROLES = {"advisory_editor": "is_advisory_editor", "global_analyst": "is_global_analyst"}


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def provider_for_email(email: str) -> SocialApp | None:
    """The identity provider's application an address's domain belongs to, if any."""
    domain = email_domain(email)
    if not domain:
        return None
    for provider in IdentityProvider.objects.select_related("app"):
        if domain in provider.domains():
            return provider.app
    return None


def passwords_refused(user: User) -> Organization | None:
    """The first organization of ``user`` that has switched local passwords off, if any."""
    return (
        Organization.objects.filter(memberships__user=user, local_passwords_allowed=False)
        .order_by("name")
        .first()
    )


def sociallogin_claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said about the person: the ID token's claims, then the userinfo
    endpoint's over them (allauth keeps both in the account's extra data)."""
    data = sociallogin.account.extra_data or {}
    if "userinfo" not in data and "id_token" not in data:
        return dict(data)
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def _values(claim: Any) -> set[str]:
    if claim is None:
        return set()
    if isinstance(claim, str | int | bool):
        return {str(claim)}
    if isinstance(claim, Iterable):
        return {str(value) for value in claim}
    return set()


def _rule_matches(rule: ProviderRule, claims: dict[str, Any]) -> bool:
    return rule.value in _values(claims.get(rule.claim))


@transaction.atomic
def provisioning_apply(
    *,
    user: User,
    provider: IdentityProvider,
    claims: dict[str, Any],
    request: HttpRequest | None = None,
) -> None:
    """Give ``user`` exactly what ``provider``'s rules grant for these claims.

    The provider governs the organizations its rules name and the platform roles they grant:
    there, a role no rule grants any more is taken away; elsewhere nothing is touched (roles an
    admin grants by hand stay). An organization's last owner stays its owner."""
    rules = list(provider.rules.select_related("organization"))
    matched = [rule for rule in rules if _rule_matches(rule, claims)]
    organizations = {rule.organization_id: rule.organization for rule in rules if rule.organization}
    for organization_id, organization in organizations.items():
        roles = [Role(r.role) for r in matched if r.organization_id == organization_id]
        wanted = max(roles, key=ROLE_RANK.__getitem__) if roles else None
        _membership_apply(user, organization, wanted, provider, request)
    for rule_field, user_field in PLATFORM_ROLES.items():
        if not any(getattr(rule, rule_field) for rule in rules):
            continue
        wanted_flag = any(getattr(rule, rule_field) for rule in matched)
        if getattr(user, user_field) != wanted_flag:
            setattr(user, user_field, wanted_flag)
            user.save(update_fields=[user_field])
            _audit(
                "auth.sso_platform_role_granted"
                if wanted_flag
                else "auth.sso_platform_role_removed",
                user,
                None,
                provider,
                request,
                {"role": rule_field},
            )


def _membership_apply(
    user: User,
    organization: Organization,
    wanted: Role | None,
    provider: IdentityProvider,
    request: HttpRequest | None,
) -> None:
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization=organization).first()
    )
    current = membership.role if membership else None
    if current == wanted:
        return
    if current == Role.OWNER and _last_owner(organization):
        return
    if wanted is None:
        assert membership is not None  # current differs from wanted
        membership.delete()
        action = "auth.sso_role_removed"
    elif membership is None:
        Membership.objects.create(user=user, organization=organization, role=wanted)
        action = "auth.sso_role_granted"
    else:
        membership.role = wanted
        membership.save(update_fields=["role", "updated_at"])
        action = "auth.sso_role_changed"
    _audit(action, user, organization, provider, request, {"role": wanted}, {"role": current})


def _last_owner(organization: Organization) -> bool:
    owners = Membership.objects.select_for_update().filter(
        organization=organization, role=Role.OWNER
    )
    return len(owners.values_list("pk", flat=True)) <= 1


def _audit(
    action: str,
    user: User,
    organization: Organization | None,
    provider: IdentityProvider,
    request: HttpRequest | None,
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> None:
    audit_record(
        action=action,
        organization=organization,
        obj=user,
        before=before,
        after={**after, "provider": provider.app.provider_id},
        request=request,
        via="sso",
    )


def _provider_of(sociallogin: SocialLogin) -> IdentityProvider | None:
    app = sociallogin.provider.app
    if app is None or app.pk is None:
        return None
    return IdentityProvider.objects.filter(app=app).select_related("app").first()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Accounts of a provider's people are made at their first sign-in (nobody else signs
    up), and its rules are applied at that sign-in and every later one."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        provider = _provider_of(sociallogin)
        if provider is None:
            return False
        email = sociallogin.user.email or ""
        domains = provider.domains()
        if domains and email_domain(email) not in domains:
            return False
        # An address another account has (that the provider may not take over: staff, or
        # outside its domains) makes no second account.
        return not (email and User.objects.filter(email__iexact=email).exists())

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        # The account and its roles are made together, or not at all.
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            self._provision(request, sociallogin)
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        with transaction.atomic():
            if not sociallogin.is_existing:
                self._connect_by_domain(request, sociallogin)
            if sociallogin.is_existing:
                self._provision(request, sociallogin)

    def _connect_by_domain(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Someone who already has an account here (from before single sign-on, say) and
        whose address is in one of the provider's domains signs in to that account: the
        provider answers for its domains. An organization's provider never takes over staff."""
        provider = _provider_of(sociallogin)
        email = sociallogin.user.email or ""
        if provider is None or not email or email_domain(email) not in provider.domains():
            return
        users = User.objects.filter(email__iexact=email, is_active=True)
        if provider.organization_id is not None:
            users = users.filter(is_staff=False, is_superuser=False)
        found = list(users[:2])
        if len(found) != 1:
            return
        sociallogin.connect(request, found[0])
        audit_record(
            action="auth.sso_connected",
            obj=found[0],
            after={"provider": provider.app.provider_id},
            request=request,
            via="sso",
        )

    def _provision(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        provider = _provider_of(sociallogin)
        if provider is not None:
            provisioning_apply(
                user=sociallogin.user,
                provider=provider,
                claims=sociallogin_claims(sociallogin),
                request=request,
            )


def provider_rules_snapshot(provider: IdentityProvider) -> list[str]:
    """The provider's rules as the audit trail keeps them."""
    return [
        f"{rule.claim}={rule.value} → "
        + ", ".join(
            filter(
                None,
                [
                    f"{rule.role} of {rule.organization}" if rule.organization else "",
                    "advisory editor" if rule.advisory_editor else "",
                    "global analyst" if rule.global_analyst else "",
                ],
            )
        )
        for rule in provider.rules.select_related("organization")
    ]


def _may_configure(actor: Any) -> None:
    if not (actor.is_authenticated and actor.is_staff):
        raise PermissionDenied("Only staff configure single sign-on.")


def _provider_snapshot(provider: IdentityProvider) -> dict[str, Any]:
    # Never the client secret.
    return {
        "name": provider.app.name,
        "provider_id": provider.app.provider_id,
        "issuer_url": provider.app.settings.get("server_url", ""),
        "client_id": provider.app.client_id,
        "organization": str(provider.organization or ""),
        "email_domains": provider.domains(),
    }


@transaction.atomic
def identity_provider_save(
    *,
    actor: Any,
    provider: IdentityProvider | None = None,
    name: str,
    provider_id: str,
    issuer_url: str,
    client_id: str,
    secret: str = "",
    organization: Organization | None = None,
    email_domains: str = "",
    request: HttpRequest | None = None,
) -> IdentityProvider:
    """Add an OpenID Connect provider (``provider`` None) or change one: its allauth
    application (issuer URL, client id, secret; an empty secret keeps the current one) and
    whose it is. Staff only; nothing is written unless all of it is valid."""
    _may_configure(actor)
    before = _provider_snapshot(provider) if provider else None
    app = provider.app if provider else SocialApp(provider="openid_connect")
    if SocialApp.objects.filter(provider_id=provider_id).exclude(pk=app.pk).exists():
        raise ValidationError(
            {"provider_id": f"Another provider already has the id {provider_id}."}
        )
    if not secret and not app.secret:
        raise ValidationError({"secret": "Enter the client secret."})
    app.name, app.provider_id, app.client_id = name, provider_id, client_id
    app.secret = secret or app.secret
    app.settings = {**(app.settings or {}), "server_url": issuer_url}
    return identity_provider_store(
        app=app,
        provider=provider,
        organization=organization,
        email_domains=email_domains,
        actor=actor,
        before=before,
        snapshot=_provider_snapshot,
        request=request,
    )


def identity_provider_store(
    *,
    app: SocialApp,
    provider: IdentityProvider | None,
    organization: Organization | None,
    email_domains: str,
    actor: Any,
    before: dict[str, Any] | None,
    snapshot: Callable[[IdentityProvider], dict[str, Any]],
    request: HttpRequest | None,
) -> IdentityProvider:
    """The last step of adding or changing a provider of either protocol: its allauth
    application ``app`` (filled in by the caller) and whose it is, both validated, then the
    audit entry (``snapshot`` of it before and after; ``before`` None for a new one). The
    caller holds the transaction."""
    app.full_clean()
    app.save()
    provider = provider or IdentityProvider(app=app)
    provider.organization = organization
    provider.email_domains = email_domains
    provider.full_clean()
    provider.save()
    audit_record(
        action="identityprovider.update" if before else "identityprovider.create",
        actor=actor,
        organization=organization,
        obj=provider,
        before=before,
        after=snapshot(provider),
        request=request,
    )
    return provider


@transaction.atomic
def identity_provider_rules_save(
    *, actor: Any, provider: IdentityProvider, formset: Any, request: HttpRequest | None = None
) -> None:
    """Save a validated formset of ``provider``'s rules; the rules before and after are
    audited."""
    _may_configure(actor)
    before = provider_rules_snapshot(provider)
    formset.save()
    after = provider_rules_snapshot(provider)
    if before != after:
        audit_record(
            action="identityprovider.rules",
            actor=actor,
            organization=provider.organization,
            obj=provider,
            before={"rules": before},
            after={"rules": after},
            request=request,
        )


def sign_on_app_of(user: Any) -> SocialApp | None:
    """The identity provider of someone who has no password here (an account made by single
    sign-on): the one they last signed in with."""
    if not user.is_authenticated or user.has_usable_password():
        return None
    account = user.socialaccount_set.order_by("-last_login").first()
    if account is None:
        return None
    return SocialApp.objects.filter(provider_id=account.provider).first()


def signed_on_recently(request: HttpRequest) -> bool:
    """Whether the person signed in at their identity provider within the re-authentication
    window: for someone without a password, that is how they confirm it is them."""
    records = get_authentication_records(request, request.user)
    times = [record["at"] for record in records if record.get("method") == "socialaccount"]
    return bool(times) and time.time() - max(times) < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
