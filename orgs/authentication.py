"""Bearer-token authentication for the REST API (``Authorization: Bearer vw_…``)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from orgs.models import ApiToken, User
from orgs.tokens import token_authenticate

KEYWORD = "Bearer"


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates a request by an API token and puts the token on ``user.api_token``.

    Carrying the token on the user is what lets ``orgs.scoping`` narrow every query of the
    request to an organization token's organization. A request without an Authorization header
    is left to the next authenticator (the browser's session); one with a bad token is refused
    with 401, never treated as anonymous.
    """

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Send the header as 'Authorization: Bearer <token>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("This token is not valid.") from None
        token = token_authenticate(raw)
        if token is None:
            raise AuthenticationFailed("This token is not valid, has expired or was revoked.")
        user = token.user
        user.api_token = token  # type: ignore[attr-defined]
        return user, token

    def authenticate_header(self, request: Request) -> str:
        # Announcing a scheme makes DRF answer unauthenticated requests with 401, not 403.
        return f'{KEYWORD} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the token scheme in the OpenAPI document."""

    target_class = "orgs.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        scheme: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=KEYWORD
        )
        scheme["description"] = (
            "An API token from /api/v1/tokens/ or the tokens page: "
            "`Authorization: Bearer vw_<prefix>_<secret>`."
        )
        return scheme
