from django import template

from orgs.saml import saml_problem as _saml_problem

register = template.Library()


@register.filter
def saml_problem(reason: str) -> str:
    """Why an identity provider's SAML answer was refused, in plain words."""
    return _saml_problem(reason)
