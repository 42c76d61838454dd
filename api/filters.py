"""Filter backends of the REST API: the app FilterSets, applied strictly, and ordering."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django_filters.filters import QuerySetRequestMixin
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
    """``filterset_class`` with only the filters in ``names``, and its form's fields built once.

    A FilterSet deep-copies every filter, builds a form field for each and a form class around
    them for every request; for a FilterSet of twenty filters that was a third of an API list
    request's time. A filter whose parameter is absent filters nothing (an absent value is
    empty, and django-filter skips empty values), so leaving it out changes no result and no
    error. The HTML list pages keep the whole FilterSet: their form shows every field.
    """
    narrowed: type[django_filters.FilterSet] = type(
        filterset_class.__name__,
        (SharedFormMixin, filterset_class),
        {
            "__module__": filterset_class.__module__,
            "__doc__": filterset_class.__doc__,
            "_shared_forms": {},
        },
    )
    base_filters: dict[str, django_filters.Filter] = {}
    for name, flt in filterset_class.base_filters.items():
        if name not in names:
            continue
        if _per_request(flt):
            # Its field is built per request; its label, which django-filter words from the
            # model's field (translated) for each copy, is worded once.
            flt = copy.deepcopy(flt)
            flt.model = filterset_class._meta.model
            flt.label = flt.label
        base_filters[name] = flt
    narrowed.base_filters = base_filters
    return narrowed


class SharedFormMixin:
    """A FilterSet whose form fields are built once, and shared by the forms of all requests.

    django-filter builds a form field per filter and a form class around them for every
    FilterSet, the form then deep-copies those new fields again, and each filter builds its
    own field once more to read its choices. A filter's field depends only on the filter and
    its model, except for the filters that choose among rows (``ModelChoiceFilter`` and the
    like): their choices are the request's, the organizations its user may see. The fields of
    the other filters are built once per narrowed FilterSet and model, and every form and
    filter uses those same objects: nothing changes a field once built (cleaning only reads
    it, and the API never renders these forms), so there is nothing to copy. Each form gets
    the request's own fields, built for this FilterSet alone, beside them in the filters'
    order.
    """

    filters: dict[str, django_filters.Filter]
    queryset: QuerySet[Any, Any]
    data: QueryDict
    is_bound: bool
    form_prefix: str | None
    # The form class (without fields) and the shared fields of each model the FilterSet
    # filters (its own, as a rule); each narrowed class has its own dictionary.
    _shared_forms: dict[type[Model], tuple[type[forms.Form], dict[str, forms.Field]]]

    def _shared_form(self) -> tuple[type[forms.Form], dict[str, forms.Field]]:
        model = self.queryset.model
        shared = self._shared_forms.get(model)
        if shared is None:
            # Two threads may both build it; either is right.
            shared = _shared_form(type(self), model)
            self._shared_forms[model] = shared
        return shared

    def get_form_class(self) -> type[forms.Form]:
        return self._shared_form()[0]

    @property
    def form(self) -> forms.Form:
        built: forms.Form | None = self.__dict__.get("_form")
        if built is None:
            form_class, shared = self._shared_form()
            if self.is_bound:
                built = form_class(self.data, prefix=self.form_prefix)
            else:
                built = form_class(prefix=self.form_prefix)
            fields: dict[str, forms.Field] = {}
            for name, flt in self.filters.items():
                field = shared.get(name)
                if field is None:
                    # Only the request's own filters build a field here.
                    field = flt.field
                else:
                    # The filter reads its field too (its choices, to tell a no-op): the same
                    # one, instead of one more built for this filter alone.
                    flt._field = field
                fields[name] = field
            built.fields = fields
            self.__dict__["_form"] = built
        return built


def _per_request(flt: django_filters.Filter) -> bool:
    """Whether a filter's field depends on the request: its choices are rows it may see."""
    return isinstance(flt, QuerySetRequestMixin)


def _shared_form(
    filterset_class: type[django_filters.FilterSet], model: type[Model]
) -> tuple[type[forms.Form], dict[str, forms.Field]]:
    fields: dict[str, forms.Field] = {}
    for name, flt in filterset_class.base_filters.items():
        if _per_request(flt):
            continue
        own = copy.deepcopy(flt)
        own.model = model
        fields[name] = own.field
    # The fields are set on each form (see SharedFormMixin.form), not declared on the class,
    # which every form would deep-copy.
    form_class: type[forms.Form] = type(
        f"{filterset_class.__name__}Form", (filterset_class._meta.form,), {}
    )
    return form_class, fields
