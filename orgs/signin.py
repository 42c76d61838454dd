"""How django-allauth signs people in to Vendorwatch.

Accounts are made by administrators, by the demo loader or by an identity provider at first
sign-in; nobody signs themselves up with a local password.
"""

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.models import SocialApp
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, ResolverMatch, resolve, reverse

from orgs.sso import passwords_refused, sign_on_app_of, signed_on_recently

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None:
            organization = passwords_refused(user)
            if organization is not None:
                # Said only once the password is right, so it tells a guesser nothing.
                raise forms.ValidationError(
                    f"{organization.name} signs in with single sign-on, not passwords: "
                    "enter your work e-mail address above.",
                    code="sso_required",
                )
        return user

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # The app's sensitive actions (API tokens, notification channels) name no allauth app.
        if not app:
            required = bool(settings.REAUTHENTICATE_SENSITIVE_ACTIONS)
        else:
            required = bool(super().is_reauthentication_required(app=app, **kwargs))
        request = context.request
        if required and request is not None and sign_on_app_of(request.user) is not None:
            # Someone without a password confirms by signing in at their provider again.
            return not signed_on_recently(request)
        return required

    def get_reauthentication_methods(self, user: Any) -> list[dict[str, Any]]:
        # Whoever has a second factor confirms with it: the password alone (perhaps the very
        # thing that leaked) must not unlock a sensitive action.
        methods: list[dict[str, Any]] = super().get_reauthentication_methods(user)
        if user.is_authenticated and is_mfa_enabled(user):
            return [m for m in methods if m["id"].startswith("mfa_")]
        app = sign_on_app_of(user)
        if app is not None:
            url = reverse("sso_reauthenticate")
            methods.append({"id": "sso", "description": f"Sign in at {app.name}", "url": url})
        return methods


def requires_second_factor(user: Any) -> bool:
    """The policy: whoever can publish advisories, administer the site or see every
    organization must sign in with a second factor (when SECOND_FACTOR_REQUIRED is on), and so
    must the members of an organization that requires it (always)."""
    platform = settings.SECOND_FACTOR_REQUIRED and (
        user.is_staff or user.is_superuser or user.is_advisory_editor or user.is_global_analyst
    )
    return (
        bool(platform)
        or user.memberships.filter(organization__second_factor_required=True).exists()
    )


# What counts as a second factor for the policy (recovery codes come with either).
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]

# The pages a person held by the policy may still reach: setting up the second factor (and
# confirming their password for it), and signing out.
ENROLMENT_PAGES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_generate_recovery_codes",
        "account_reauthenticate",
        # Confirming it is you at your identity provider, for people without a password.
        "sso_reauthenticate",
        "openid_connect_login",
        "openid_connect_callback",
        "saml_login",
        "saml_acs",
        "saml_finish_acs",
        "account_logout",
        "healthz",
    }
)


class SecondFactorPolicyMiddleware:
    """Lead a signed-in user whom the policy covers, and who has no second factor yet, to
    enrolment before any other page. A session call of the API gets 403 instead (API tokens
    are checked in the view and are not sessions; creating one needs a page this blocks)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(settings.STATIC_URL)
            and _page_name(request.path_info) not in ENROLMENT_PAGES
            and requires_second_factor(user)
            and not is_mfa_enabled(user, SECOND_FACTORS)
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Set up two-factor authentication before using the API."},
                    status=403,
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _page_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    """Ending sessions (a user's own on the sessions page, or an admin's action on a user)
    enters the audit trail: who ended whose session, from which address it was used."""

    def end_sessions(self, sessions: Iterable[Any]) -> None:
        from audit.services import audit_record

        request = self.request
        actor = getattr(request, "user", None)
        for session in sessions:
            session.end()
            audit_record(
                action="auth.session_end",
                actor=actor,
                obj=session.user,
                after={"ip": session.ip, "user_agent": session.user_agent[:200]},
                request=request,
            )


class SingleSignOnErrorMiddleware:
    """An identity provider that cannot be reached (down, a wrong issuer URL) gets a page that
    says so, instead of a server error; nobody is signed in or created."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, requests.RequestException):
            return None
        match = _match(request.path_info)
        if match is None or not (match.url_name or "").startswith("openid_connect_"):
            return None
        provider_id = match.kwargs.get("provider_id", "")
        app = SocialApp.objects.filter(provider_id=provider_id).first()
        name = app.name if app is not None else provider_id
        logger.warning("identity provider %s unreachable: %s", provider_id, exception)
        return render(request, "account/sso_unreachable.html", {"provider_name": name}, status=502)


def _match(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None


# The pages whose forms send the browser on to an identity provider (the sign-in page's buttons,
# and allauth's confirmation page of a provider's sign-in).
SIGN_IN_FORM_PAGES = frozenset(
    {"account_login", "openid_connect_login", "saml_login", "sso_reauthenticate"}
)


def identity_provider_origins() -> list[str]:
    """The origins of the configured providers' sign-in endpoints, where a sign-in form's
    POST is redirected to (an OpenID Connect issuer, a SAML single sign-on URL)."""
    origins = set()
    for app in SocialApp.objects.filter(provider__in=("openid_connect", "saml")):
        config = app.settings or {}
        if app.provider == "saml":
            idp = config.get("idp") or {}
            url = idp.get("sso_url") or idp.get("metadata_url") or ""
        else:
            url = config.get("server_url") or ""
        parts = urlsplit(str(url))
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


class SignInFormActionMiddleware:
    """Browsers apply the Content-Security-Policy's ``form-action`` to the redirects that follow
    a form's POST too, so a single sign-on button (posted to the app, redirected to the
    provider) is refused under ``form-action 'self'``. The pages with such buttons allow the
    configured providers' origins as well; every other page keeps the plain policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The page as the request was routed (none when no route matched): resolving its path
        # again cost every request, API calls included, a second walk of the URL patterns.
        match = request.resolver_match
        if match is not None and match.url_name in SIGN_IN_FORM_PAGES:
            origins = identity_provider_origins()
            if origins:
                response.headers["Content-Security-Policy"] = (
                    settings.CONTENT_SECURITY_POLICY.replace(
                        "form-action 'self'", "form-action 'self' " + " ".join(origins)
                    )
                )
        return response
