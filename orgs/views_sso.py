"""Single sign-on pages: the e-mail address that sends a person to their organization's
identity provider."""

from __future__ import annotations

import logging

import requests
from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orgs.sso import button_provider, email_domain, provider_for_email

logger = logging.getLogger(__name__)


class SingleSignOnForm(forms.Form):
    email = forms.EmailField(label="Work e-mail", max_length=254, required=False)
    provider = forms.CharField(max_length=200, required=False)


@require_POST
def sso_start_view(request: HttpRequest) -> HttpResponse:
    """Hand the person over to an identity provider: their address's domain's, or the one
    whose button they pressed. An unknown domain goes back to the password form, which says
    why.

    The hand-over is a page whose link the browser follows, not a redirect: the
    Content-Security-Policy's ``form-action 'self'`` forbids a form's redirect to another site.
    """
    form = SingleSignOnForm(request.POST)
    if not form.is_valid() or not (form.cleaned_data["email"] or form.cleaned_data["provider"]):
        messages.error(request, "Enter your work e-mail address (name@example.org).")
        return redirect("account_login")
    email = form.cleaned_data["email"]
    if email:
        app = provider_for_email(email)
        if app is None:
            messages.info(
                request,
                f"No single sign-on is set up for {email_domain(email)}: "
                "sign in with your username and password.",
            )
            return redirect("account_login")
    else:
        app = button_provider(form.cleaned_data["provider"])
        if app is None:
            raise Http404("No such identity provider.")
    return _hand_over(request, app, email)


def _hand_over(request: HttpRequest, app: SocialApp, email: str) -> HttpResponse:
    login = app.get_provider(request)
    options = {}
    if email and isinstance(login, OAuth2Provider):
        options["auth_params"] = {**login.get_auth_params(), "login_hint": email}
    try:
        response = login.redirect(
            request,
            process=AuthProcess.LOGIN,
            next_url=get_next_redirect_url(request),
            **options,
        )
    except requests.RequestException as error:
        logger.warning("identity provider %s unreachable: %s", app.provider_id, error)
        context = {"provider_name": app.name}
        return render(request, "account/sso_unreachable.html", context, status=502)
    if not isinstance(response, HttpResponseRedirect):
        return response  # allauth's page for an error before the hand-over
    context = {"provider_name": app.name, "url": response["Location"]}
    return render(request, "account/sso_redirect.html", context)
