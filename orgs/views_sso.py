"""Single sign-on pages: the e-mail address that sends a person to their organization's
identity provider."""

from __future__ import annotations

import logging

import requests
from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orgs.sso import email_domain, provider_for_email

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
    login = app.get_provider(request)
    options = {}
    if isinstance(login, OAuth2Provider):
        options["auth_params"] = {**login.get_auth_params(), "login_hint": email}
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
