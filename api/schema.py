"""OpenAPI generation: the error responses every operation can give.

drf-spectacular describes what an operation returns when it succeeds; the errors that DRF
raises on its own (authentication, permission, throttling, validation, not found) are added
here once, so that the schema lists every status the API really answers with.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_lib_doc_excludes
from drf_spectacular.utils import OpenApiExample

from api.pagination import PagePagination

ERROR_COMPONENT = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={
        "type": "object",
        "description": "`detail` says what went wrong; a validation error instead maps each "
        "refused field (or `non_field_errors`) to its messages.",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    },
)

ERROR_DESCRIPTIONS = {
    "400": "The request is malformed or a field is refused; the body names the fields.",
    "401": "No credentials, or a token that is unknown, expired or revoked.",
    "403": "Signed in, but not allowed to do this (role, read-only token).",
    "404": "No such object, or one that belongs to an organization you cannot see.",
    "429": "Too many requests; retry after the number of seconds in `Retry-After`.",
}


def documentation_excludes() -> list[type]:
    """The classes whose docstrings never describe an operation or a component: DRF's, and the
    project's own shared viewset and serializer bases."""
    from api.rows import RowListMixin
    from api.serializers import (
        CreateOnlyFieldsMixin,
        StrictModelSerializer,
        StrictSerializer,
        StrictTypesMixin,
    )
    from api.viewsets import CatalogueViewSetMixin, TenantViewSetMixin

    return [
        *get_lib_doc_excludes(),
        RowListMixin,
        CatalogueViewSetMixin,
        TenantViewSetMixin,
        CreateOnlyFieldsMixin,
        StrictModelSerializer,
        StrictSerializer,
        StrictTypesMixin,
    ]


class VendorwatchAutoSchema(AutoSchema):
    """Adds the error responses to every operation."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        self.registry.register_on_missing(ERROR_COMPONENT)
        codes = ["401", "403", "429"]
        # A DELETE has no body, but the service behind it can refuse (the last owner).
        has_input = self.method in ("POST", "PUT", "PATCH", "DELETE") or bool(
            self._get_filter_parameters()
            or self._get_pagination_parameters()
            or self.get_override_parameters()
        )
        if has_input:
            codes.append("400")
        paged = self._is_list_view() and isinstance(
            getattr(self.view, "paginator", None), PagePagination
        )
        if "{" in self.path or paged:
            # A page-numbered list answers 404 for a page past its end.
            codes.append("404")
        for code in codes:
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_COMPONENT.ref}},
                },
            )
        retry = responses["429"]
        retry.setdefault("headers", {})["Retry-After"] = {
            "schema": {"type": "integer"},
            "description": "Seconds to wait before the next request.",
        }
        return responses


def object_examples(
    summary: str, shown: dict[str, Any], *, derived: tuple[str, ...]
) -> list[OpenApiExample]:
    """The examples of an object's serializer: the object as the API shows it (``shown``), and
    the body a client sends to make or change it — the same without the fields the server
    derives (``derived``: ids, URLs, time stamps, names of related rows)."""
    unknown = set(derived) - set(shown)
    assert not unknown, f"derived fields not in the example: {sorted(unknown)}"
    sent = {name: value for name, value in shown.items() if name not in derived}
    return [
        OpenApiExample(summary, value=shown, response_only=True),
        OpenApiExample(summary, value=sent, request_only=True),
    ]
