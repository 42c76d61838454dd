"""Filter backends of the REST API: the app FilterSets, applied strictly, and ordering."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
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

    A view's ``ordering_columns`` maps a name it offers to the column that name sorts by,
    where the two differ (a flag's ``severity`` sorts by its advisory's ``severity_rank``, so
    that descending puts Critical first). The keyset pagination reads its columns from here,
    so the list and its cursor always agree.
    """

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView
    ) -> Sequence[str] | None:
        if request.query_params.get(self.ordering_param) == "":
            raise ValidationError({self.ordering_param: ["Name a field, or leave it out."]})
        ordering = super().get_ordering(request, queryset, view)
        columns: dict[str, str] = getattr(view, "ordering_columns", {})
        if not ordering or not columns:
            return ordering
        return [_column_term(term, columns) for term in ordering]

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


def _column_term(term: str, columns: dict[str, str]) -> str:
    """An ordering term (``-severity``) with its name replaced by the column it sorts by."""
    name = term.lstrip("-")
    return term.removesuffix(name) + columns.get(name, name)


class StrictFilterBackend(DjangoFilterBackend):
    """The app FilterSets, refusing parameters they would silently ignore.

    The list pages submit every field of their filter form, so a FilterSet treats an empty
    value as "no filter" and an unreadable yes/no as "either". A script that sends
    ``due_before=`` or ``overdue=maybe`` has made a mistake, and is told so with 400.
    """

    def get_filterset(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView
    ) -> django_filters.FilterSet | None:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        lean_class = filterset_narrowed(
            filterset_class, filters_named(filterset_class, request.query_params)
        )
        filterset: django_filters.FilterSet = lean_class(
            **self.get_filterset_kwargs(request, queryset, view)
        )
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


def filters_named(
    filterset_class: type[django_filters.FilterSet], params: QueryDict
) -> frozenset[str]:
    """The filters of ``filterset_class`` that the query string may set.

    A filter reads the parameter of its own name or, for a range, that name plus a suffix
    (``due_after``); a parameter that merely starts like a filter's name costs that filter's
    work, never a wrong result.
    """
    return frozenset(
        name
        for name in filterset_class.base_filters
        if any(param == name or param.startswith(f"{name}_") for param in params)
    )


@functools.lru_cache(maxsize=512)
def filterset_narrowed(
    filterset_class: type[django_filters.FilterSet], names: frozenset[str]
) -> type[django_filters.FilterSet]:
    """``filterset_class`` with only the filters in ``names``.

    A FilterSet deep-copies every filter and builds a form field for each on every request: for
    the flag list's twenty filters a fifth of the request's CPU time, when a request names one
    or two. A filter whose parameter is absent filters nothing (an absent value is empty, and
    django-filter skips empty values), so leaving it out changes no result and no error
    (``tests/api/test_filter_backend.py`` checks every filter of every FilterSet). The HTML
    list pages keep the whole FilterSet: their form shows every field.
    """
    narrowed: type[django_filters.FilterSet] = type(
        filterset_class.__name__,
        (filterset_class,),
        {"__module__": filterset_class.__module__, "__doc__": filterset_class.__doc__},
    )
    narrowed.base_filters = {
        name: flt for name, flt in filterset_class.base_filters.items() if name in names
    }
    return narrowed
