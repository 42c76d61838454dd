"""Staff pages of an organization's SAML identity provider: the connection (entity ID, single
sign-on URL, signing certificate, attribute names, e-mail domains) and its group rules, which
are an OpenID Connect provider's rules (orgs/views_sso.py)."""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.cache import never_cache

from orgs.models import IdentityProvider, Organization
from orgs.saml import (
    EMAIL_ATTRIBUTE,
    FIRST_NAME_ATTRIBUTE,
    LAST_NAME_ATTRIBUTE,
    saml_provider_save,
)
from orgs.views_sso import _staff, provider_form_page


class SamlProviderForm(forms.Form):
    name = forms.CharField(max_length=40, help_text="What the sign-in pages call it.")
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(),
        help_text="Whose provider it is: its rules grant roles there only.",
    )
    entity_id = forms.CharField(
        label="Identity provider entity ID", max_length=500, help_text="The IdP's issuer."
    )
    sso_url = forms.URLField(
        label="Single sign-on URL",
        max_length=500,
        help_text="Where sign-in requests go (HTTP-Redirect binding).",
    )
    certificate = forms.CharField(
        label="Signing certificate",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="PEM. Assertions not signed with its key are refused.",
    )
    email_attribute = forms.CharField(
        label="E-mail attribute", max_length=200, initial=EMAIL_ATTRIBUTE
    )
    first_name_attribute = forms.CharField(
        label="First name attribute", max_length=200, required=False, initial=FIRST_NAME_ATTRIBUTE
    )
    last_name_attribute = forms.CharField(
        label="Last name attribute", max_length=200, required=False, initial=LAST_NAME_ATTRIBUTE
    )
    email_domains = forms.CharField(
        label="E-mail domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line; people with these addresses are sent to this provider.",
    )

    @classmethod
    def initial_of(cls, provider: IdentityProvider) -> dict[str, Any]:
        config = provider.app.settings or {}
        idp, mapping = config.get("idp", {}), config.get("attribute_mapping", {})
        return {
            "name": provider.app.name,
            "organization": provider.organization,
            "entity_id": idp.get("entity_id", ""),
            "sso_url": idp.get("sso_url", ""),
            "certificate": idp.get("x509cert", ""),
            "email_attribute": (mapping.get("email") or [""])[0],
            "first_name_attribute": (mapping.get("first_name") or [""])[0],
            "last_name_attribute": (mapping.get("last_name") or [""])[0],
            "email_domains": provider.email_domains,
        }


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def saml_provider_create_view(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return provider_form_page(
        request,
        form=SamlProviderForm(request.POST or None),
        save=saml_provider_save,
        template="orgs/saml_provider_form.html",
        edit_page="orgs:saml_provider_edit",
    )


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def saml_provider_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    provider = get_object_or_404(IdentityProvider.objects.select_related("app"), pk=pk)
    if provider.app.provider != "saml":
        raise Http404("No such SAML provider.")
    form = SamlProviderForm(request.POST or None, initial=SamlProviderForm.initial_of(provider))
    form.fields["organization"].disabled = True
    slug = provider.app.client_id
    return provider_form_page(
        request,
        form=form,
        save=saml_provider_save,
        template="orgs/saml_provider_form.html",
        edit_page="orgs:saml_provider_edit",
        provider=provider,
        context={
            "service_provider": {
                "entity_id": request.build_absolute_uri(reverse("saml_metadata", args=[slug])),
                "acs_url": request.build_absolute_uri(reverse("saml_acs", args=[slug])),
            },
        },
    )
