"""Single sign-on pages: the e-mail address that sends a person to their organization's
identity provider, and, for staff, the providers and their group rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests
from allauth.account.decorators import reauthentication_required
from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from orgs.models import IdentityProvider, Organization, ProviderRule
from orgs.sso import (
    email_domain,
    identity_provider_rules_save,
    identity_provider_save,
    provider_for_email,
    sign_on_app_of,
)

logger = logging.getLogger(__name__)


class SingleSignOnForm(forms.Form):
    email = forms.EmailField(label="Work e-mail", max_length=254)


@require_POST
def sso_start_view(request: HttpRequest) -> HttpResponse:
    """Send the person to the identity provider of their address's domain; an unknown
    domain goes back to the password form, which says why. (The sign-in page's policy lets
    its forms go on to the providers' origins: orgs.signin.SignInFormActionMiddleware.)"""
    form = SingleSignOnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter your work e-mail address (name@example.org).")
        return redirect("account_login")
    email = form.cleaned_data["email"]
    app = provider_for_email(email)
    if app is None:
        messages.info(
            request,
            f"No single sign-on is set up for {email_domain(email)}: "
            "sign in with your username and password.",
        )
        return redirect("account_login")
    return _sign_in_at(request, app, login_hint=email)


def _sign_in_at(request: HttpRequest, app: SocialApp, **auth_params: str) -> HttpResponse:
    """Send ``request`` to sign in at ``app``'s identity provider (an OpenID Connect provider
    also gets ``auth_params``: a login hint, a fresh login), or, if it cannot be reached, the
    page that names it."""
    login = app.get_provider(request)
    options = {}
    if isinstance(login, OAuth2Provider):
        options["auth_params"] = {**login.get_auth_params(), **auth_params}
    try:
        return login.redirect(
            request,
            process=AuthProcess.LOGIN,
            next_url=get_next_redirect_url(request),
            **options,
        )
    except requests.RequestException as error:
        logger.warning("identity provider %s unreachable: %s", app.provider_id, error)
        context = {"provider_name": app.name}
        return render(request, "account/sso_unreachable.html", context, status=502)


class IdentityProviderForm(forms.Form):
    name = forms.CharField(max_length=40, help_text="What the sign-in pages call it.")
    provider_id = forms.SlugField(
        label="Provider id",
        max_length=200,
        help_text="Short and fixed: part of the redirect URI to register at the provider.",
    )
    issuer_url = forms.URLField(
        label="Issuer URL",
        max_length=500,
        help_text="Endpoints and keys are found by discovery from it.",
    )
    client_id = forms.CharField(label="Client id", max_length=191)
    secret = forms.CharField(
        label="Client secret",
        max_length=191,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current secret.",
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(),
        required=False,
        empty_label="The whole platform",
        help_text="Whose provider it is: it may then grant roles there only.",
    )
    email_domains = forms.CharField(
        label="E-mail domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line; people with these addresses are sent to this provider.",
    )

    @classmethod
    def initial_of(cls, provider: IdentityProvider) -> dict[str, Any]:
        app = provider.app
        return {
            "name": app.name,
            "provider_id": app.provider_id,
            "issuer_url": app.settings.get("server_url", ""),
            "client_id": app.client_id,
            "organization": provider.organization,
            "email_domains": provider.email_domains,
        }


ProviderRuleFormSet = forms.inlineformset_factory(
    IdentityProvider,
    ProviderRule,
    fields=("claim", "value", "organization", "role", "advisory_editor", "global_analyst"),
    extra=2,
    can_delete=True,
)


def _staff(request: HttpRequest) -> None:
    # Hidden, as other organizations' objects are: a 404, not a 403.
    if not request.user.is_staff:
        raise Http404("No such page.")


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def provider_list_view(request: HttpRequest) -> HttpResponse:
    """Staff: the identity providers (OpenID Connect, SAML) people sign in with."""
    _staff(request)
    providers = IdentityProvider.objects.select_related("app", "organization").annotate(
        rule_count=Count("rules")
    )
    return render(request, "orgs/sso_provider_list.html", {"providers": providers})


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def provider_create_view(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return provider_form_page(
        request,
        form=IdentityProviderForm(request.POST or None),
        save=identity_provider_save,
        template="orgs/sso_provider_form.html",
        edit_page="orgs:sso_provider_edit",
    )


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def provider_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    provider = get_object_or_404(IdentityProvider.objects.select_related("app"), pk=pk)
    if provider.app.provider == "saml":
        return redirect("orgs:saml_provider_edit", pk=provider.pk)
    return provider_form_page(
        request,
        form=IdentityProviderForm(
            request.POST or None, initial=IdentityProviderForm.initial_of(provider)
        ),
        save=identity_provider_save,
        template="orgs/sso_provider_form.html",
        edit_page="orgs:sso_provider_edit",
        provider=provider,
        context={
            "redirect_uri": request.build_absolute_uri(
                reverse("openid_connect_callback", kwargs={"provider_id": provider.app.provider_id})
            ),
        },
    )


def provider_form_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: Callable[..., IdentityProvider],
    template: str,
    edit_page: str,
    provider: IdentityProvider | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page that adds a provider (``provider`` None) or changes one and its group rules,
    for either protocol: ``save`` takes the form's fields. A change saves the connection and
    the rules together or neither; the rules are checked against the organization being
    saved. Once added, a provider's page is where its rules are mapped."""
    rules = (
        None if provider is None else ProviderRuleFormSet(request.POST or None, instance=provider)
    )
    if request.method == "POST" and form.is_valid():
        if provider is not None:
            provider.organization = form.cleaned_data["organization"]
        if rules is None or rules.is_valid():
            try:
                with transaction.atomic():
                    saved = save(
                        actor=request.user, request=request, provider=provider, **form.cleaned_data
                    )
                    if rules is not None:
                        identity_provider_rules_save(
                            actor=request.user, provider=saved, formset=rules, request=request
                        )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if provider is None:
                    messages.success(request, f"{saved} added: now map its groups to roles.")
                else:
                    messages.success(request, f"{saved} saved.")
                return redirect(edit_page, pk=saved.pk)
    page = {"form": form, "provider": provider, "rules": rules, **(context or {})}
    return render(request, template, page)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@never_cache
@login_required
def sso_reauthenticate_view(request: HttpRequest) -> HttpResponse:
    """Someone without a password confirms it is them by signing in at their identity provider
    again (asked to give their credentials there, not just waved through); back here, the held
    page opens."""
    app = sign_on_app_of(request.user)
    if app is None:
        raise Http404("You sign in with a password.")
    if request.method != "POST":
        context = {"provider_name": app.name, "next": get_next_redirect_url(request) or ""}
        return render(request, "account/sso_reauthenticate.html", context)
    return _sign_in_at(request, app, prompt="login")
