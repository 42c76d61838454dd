"""SAML 2.0 single sign-on: allauth's ``saml`` provider runs the protocol (python3-saml checks
signatures, audience, recipient and validity times). An organization's connection is a
``SocialApp`` whose ``client_id`` is the organization's slug (its sign-in, assertion consumer
and metadata URLs are under ``/accounts/saml/<slug>/``) with an ``IdentityProvider`` row for
its e-mail domains and group rules, as an OpenID Connect provider has (orgs/sso.py). Staff
add and change it here; this module also says in plain words why an answer was refused."""

from __future__ import annotations

import hashlib
from typing import Any

from allauth.socialaccount.models import SocialApp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from orgs.models import IdentityProvider, Organization
from orgs.sso import identity_provider_store

# The attribute names most providers send (the LDAP OIDs; ADFS and Entra ID send their own
# claim URIs, which an admin enters instead).
EMAIL_ATTRIBUTE = "urn:oid:0.9.2342.19200300.100.1.3"
FIRST_NAME_ATTRIBUTE = "urn:oid:2.5.4.42"
LAST_NAME_ATTRIBUTE = "urn:oid:2.5.4.4"


def saml_certificate(text: str) -> str:
    """The identity provider's signing certificate as PEM, or a ValidationError naming the
    field: a connection with an unreadable certificate would refuse every sign-in."""
    try:
        certificate = x509.load_pem_x509_certificate(text.strip().encode())
    except ValueError:
        raise ValidationError(
            {
                "certificate": "Not a PEM certificate: paste the identity provider's signing "
                "certificate, with its BEGIN CERTIFICATE and END CERTIFICATE lines."
            }
        ) from None
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _fingerprint(pem: str) -> str:
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    return "SHA-256 " + hashlib.sha256(der).hexdigest()


def saml_provider_snapshot(provider: IdentityProvider) -> dict[str, Any]:
    """A SAML provider as the audit trail keeps it (the certificate by its fingerprint)."""
    config = provider.app.settings or {}
    idp = config.get("idp", {})
    return {
        "name": provider.app.name,
        "provider_id": provider.app.provider_id,
        "entity_id": idp.get("entity_id", ""),
        "sso_url": idp.get("sso_url", ""),
        "certificate": _fingerprint(idp["x509cert"]) if idp.get("x509cert") else "",
        "attribute_mapping": config.get("attribute_mapping", {}),
        "organization": str(provider.organization or ""),
        "email_domains": provider.domains(),
    }


@transaction.atomic
def saml_provider_save(
    *,
    actor: Any,
    provider: IdentityProvider | None = None,
    name: str,
    organization: Organization,
    entity_id: str,
    sso_url: str,
    certificate: str,
    email_attribute: str,
    first_name_attribute: str = "",
    last_name_attribute: str = "",
    email_domains: str = "",
    request: HttpRequest | None = None,
) -> IdentityProvider:
    """Add an organization's SAML identity provider (``provider`` None) or change it. Staff
    only; an organization has one; it stays the organization's (its people's accounts are
    bound to it). Nothing is written unless all of it is valid."""
    if not (actor.is_authenticated and actor.is_staff):
        raise PermissionDenied("Only staff configure single sign-on.")
    if provider is not None and provider.organization_id != organization.pk:
        raise ValidationError(
            {"organization": "A SAML provider stays with its organization: add a new one."}
        )
    before = saml_provider_snapshot(provider) if provider else None
    app = provider.app if provider else SocialApp(provider="saml")
    taken = SocialApp.objects.filter(provider="saml", client_id=organization.slug)
    if taken.exclude(pk=app.pk).exists():
        raise ValidationError(
            {"organization": f"{organization.name} already has a SAML identity provider."}
        )
    provider_id = f"saml-{organization.slug}"
    if SocialApp.objects.filter(provider_id=provider_id).exclude(pk=app.pk).exists():
        raise ValidationError(
            {"organization": f"Another provider already has the id {provider_id}."}
        )
    mapping = {
        "email": [email_attribute],
        "first_name": [first_name_attribute] if first_name_attribute else [],
        "last_name": [last_name_attribute] if last_name_attribute else [],
    }
    app.name, app.provider_id, app.client_id = name, provider_id, organization.slug
    app.settings = {
        "idp": {
            "entity_id": entity_id,
            "sso_url": sso_url,
            "x509cert": saml_certificate(certificate),
        },
        "attribute_mapping": {key: names for key, names in mapping.items() if names},
        # An answer whose assertion is not signed by the certificate above is refused.
        "advanced": {"want_assertion_signed": True},
    }
    return identity_provider_store(
        app=app,
        provider=provider,
        organization=organization,
        email_domains=email_domains,
        actor=actor,
        before=before,
        snapshot=saml_provider_snapshot,
        request=request,
    )


# python3-saml's reasons (``auth.get_last_error_reason()``), by a phrase each contains.
_PROBLEMS = (
    (
        ("signature", "Signature"),
        "The identity provider's answer does not carry a valid signature: it was changed on "
        "the way, or it was signed with a key other than the certificate configured for this "
        "organization.",
    ),
    (
        ("expired", "timestamp", "NotBefore", "NotOnOrAfter"),
        "The identity provider's answer has expired (or is not valid yet): sign in again, and "
        "if it persists, ask an administrator to check the clocks of both servers.",
    ),
    (
        ("audience", "Audience", "Recipient", "Destination"),
        "The identity provider's answer was meant for another service: ask an administrator "
        "to check the service provider entity ID and assertion consumer URL at the provider.",
    ),
)


def saml_problem(reason: str) -> str:
    """A sentence for the person signing in, from python3-saml's reason for a refusal."""
    for phrases, sentence in _PROBLEMS:
        if any(phrase in reason for phrase in phrases):
            return sentence
    return f"The identity provider's answer was refused: {reason}"
