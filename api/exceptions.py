"""How the REST API reports errors.

Services raise Django's ``ValidationError`` (they serve forms and tasks too, not only the API);
this handler turns it into DRF's, so that a service's refusal is a 400 naming the field.
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(APIException):
    """The request is valid but clashes with the object's state (publishing a published
    advisory)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this."
    default_code = "conflict"


def validation_detail(error: DjangoValidationError) -> dict[str, Any]:
    """A Django validation error as DRF words it: messages by field, ``non_field_errors`` for
    the rest (Django says ``__all__``)."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name: messages
        for name, messages in error.message_dict.items()
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_detail(exc))
    return drf_exception_handler(exc, context)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL that matches no route: JSON under /api/, Django's page elsewhere.

    A route that exists answers its own 404 in JSON; this covers the paths that match none
    (``/api/v1/flags/abc/``), so that API clients never receive an HTML page.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
