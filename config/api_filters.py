"""Filter backends of the REST API: the app FilterSets, applied strictly, and ordering."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

if TYPE_CHECKING:
    # Importing DRF's views here would import this module again through DRF's settings.
    from rest_framework.views import APIView


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` over the view's ``ordering_fields``, refusing unknown fields with 400.

    DRF drops unknown fields silently, so a typo returns a list in an order the caller did not
    ask for; a script is better told.
    """

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView
    ) -> Sequence[str] | None:
        if request.query_params.get(self.ordering_param) == "":
            raise ValidationError({self.ordering_param: ["Name a field, or leave it out."]})
        return super().get_ordering(request, queryset, view)

    def remove_invalid_fields(
        self, queryset: QuerySet[Any, Any], fields: Iterable[str], view: APIView, request: Request
    ) -> list[str]:
        fields = list(fields)
        valid = {
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        }
        invalid = [term for term in fields if term.lstrip("-") not in valid]
        if invalid:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(invalid)}; use {', '.join(sorted(valid))}."
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        fields: list[str] = list(getattr(view, "ordering_fields", None) or [])
        if not fields:
            return []
        default = getattr(view, "ordering", None) or []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to order by; `-` in front orders "
                f"descending. Default: `{','.join(default) or 'id'}`.",
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [term for name in fields for term in (name, f"-{name}")],
                    },
                },
                "style": "form",
                "explode": False,
            }
        ]


class StrictFilterBackend(DjangoFilterBackend):
    """The app FilterSets, refusing parameters they would silently ignore.

    The list pages submit every field of their filter form, so a FilterSet treats an empty
    value as "no filter" and an unreadable yes/no as "either". A script that sends
    ``due_before=`` or ``overdue=maybe`` has made a mistake, and is told so with 400.
    """

    def get_filterset(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView
    ) -> django_filters.FilterSet | None:
        filterset: django_filters.FilterSet | None = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors: dict[str, list[str]] = {}
        for name, flt in filterset.filters.items():
            suffixes = getattr(filterset.form.fields[name].widget, "suffixes", None)
            params = [f"{name}_{suffix}" for suffix in suffixes] if suffixes else [name]
            for param in params:
                for value in request.query_params.getlist(param):
                    if value == "" and not isinstance(flt, django_filters.CharFilter):
                        errors[param] = ["Give a value, or leave the parameter out."]
                    elif isinstance(flt, django_filters.BooleanFilter) and value.lower() not in (
                        "true",
                        "false",
                    ):
                        errors[param] = ["Give true or false."]
        if errors:
            raise ValidationError(errors)
        return filterset
