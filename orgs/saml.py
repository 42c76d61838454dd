"""SAML 2.0 single sign-on: allauth's ``saml`` provider runs the protocol (python3-saml checks
signatures, audience, recipient and validity times). An organization's connection is a
``SocialApp`` whose ``client_id`` is the organization's slug (its sign-in, assertion consumer
and metadata URLs are under ``/accounts/saml/<slug>/``); this module says in plain words why
an identity provider's answer was refused."""

from __future__ import annotations

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
