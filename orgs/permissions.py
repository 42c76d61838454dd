"""Platform-wide rights, beyond any one organization: who may curate the catalogue.

Which organizations' rows a user sees is decided in ``orgs.scoping``; this module answers the
one question that is not about an organization.
"""

from orgs.scoping import Actor


def can_edit_catalogue(user: Actor) -> bool:
    """Whether ``user`` may write vendors, products, sources and advisories (drafts included).

    Advisory editors and superusers may, except through an organization token: such a token
    speaks for one organization, and the catalogue belongs to every organization.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    token = getattr(user, "api_token", None)
    if token is not None and token.organization_id is not None:
        return False
    return bool(user.is_superuser or getattr(user, "is_advisory_editor", False))
