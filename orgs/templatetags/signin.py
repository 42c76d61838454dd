"""What the sign-in page offers besides the password form."""

from allauth.socialaccount.adapter import get_adapter
from django import template
from django.http import HttpRequest

from orgs.models import IdentityProvider

register = template.Library()


@register.simple_tag(takes_context=True)
def sign_in_providers(context: template.Context) -> dict[str, object]:
    """Providers reached by e-mail domain are behind the e-mail field (a button each would list
    every customer on a public page); the others get a button."""
    request: HttpRequest = context["request"]
    routed = set(IdentityProvider.objects.exclude(email_domains="").values_list("app", flat=True))
    providers = [
        provider
        for provider in get_adapter().list_providers(request)
        if not provider.app.settings.get("hidden")
    ]
    return {
        "by_email": bool(routed),
        "buttons": sorted(
            (provider for provider in providers if provider.app.pk not in routed),
            key=lambda provider: provider.name,
        ),
    }
