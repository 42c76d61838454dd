"""Serializer fields and mixins shared by the apps' APIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db.models import Model, QuerySet
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgs.scoping import Actor

_M = TypeVar("_M", bound=Model)


class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166 country code, or "" for none.

    django-countries hands out ``Country`` objects; the API speaks their two-letter codes.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(choices=list(countries), **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value or "")


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField[Model]):
    """A related object by id, chosen only among those ``scope(user)`` returns.

    An id outside the scope (another organization's user, an organization the user does not
    administer) is refused exactly like an id that does not exist: 400 naming the field, and
    nothing that tells the two apart.
    """

    def __init__(self, scope: Callable[[Actor], QuerySet[Any, Any]], **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any, Any]:
        return self.scope(self.context["request"].user)


# The JSON types a field of each kind accepts (DRF would also take 5 for "5" and "yes" for true).
_JSON_TYPES: tuple[
    tuple[type[serializers.Field[Any, Any, Any, Any]], tuple[type, ...], str], ...
] = (
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.DateField, (str,), "a date string"),
    (serializers.DateTimeField, (str,), "a date-time string"),
    (serializers.DecimalField, (int, float), "a number"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.PrimaryKeyRelatedField, (int,), "an id"),
)


class StrictTypesMixin:
    """Refuses a value of the wrong JSON type before DRF would coerce it, and a field the
    body should not have.

    DRF turns 5 into "5" and "1" into true, which is friendly to form posts but hides a
    client's mistake, and contradicts the types the OpenAPI schema documents. It also ignores
    unknown fields, so a client that misspells ``version`` as ``verison`` gets 200 and no
    change; here it gets 400 naming the field. Read-only fields (``id``, ``url``, ...) may be
    sent back as they were received.
    """

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, list[str]] = {
                str(name): ["Unknown field."] for name in data if name not in self.fields
            }
            for name, field in self.fields.items():
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                for kind, types, label in _JSON_TYPES:
                    if isinstance(field, kind):
                        wrong = not isinstance(value, types) or (
                            isinstance(value, bool) and bool not in types
                        )
                        if wrong:
                            errors[name] = [f"Expected {label}."]
                        break
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictTypesMixin, serializers.Serializer[Any]):
    """A request body of one action, typed strictly."""


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^(|(https?|ftps?)://\S+)$",
        "description": 'A URL, or "" for none.',
    }
)
class OptionalURLField(serializers.URLField):
    """A URL or "" for none. The schema says so with a pattern: ``format: uri`` refuses "",
    and an ``anyOf`` with "" is misread by schema fuzzers."""


class StrictModelSerializer(StrictTypesMixin, serializers.ModelSerializer[_M]):
    """A model's representation, typed strictly when written."""

    def build_standard_field(
        self, field_name: str, model_field: Any
    ) -> tuple[type[serializers.Field[Any, Any, Any, Any]], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_class is serializers.URLField and kwargs.get("allow_blank"):
            field_class = OptionalURLField
        return field_class, kwargs


class CreateOnlyFieldsMixin:
    """Fields named in ``Meta.create_only_fields`` are set on creation and never changed.

    Sending another value on update is refused with 400 naming the field, rather than ignored,
    so that a client that believes it moved an item to another organization learns it did not.
    """

    instance: Any
    initial_data: Any
    fields: Any
    partial: bool

    create_only_fields: ClassVar[tuple[str, ...]] = ()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields: dict[str, serializers.Field[Any, Any, Any, Any]] = super().get_fields()  # type: ignore[misc]
        if self.instance is not None:
            for name in self.create_only_fields:
                fields[name].read_only = True
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        if self.instance is not None and isinstance(self.initial_data, dict):
            errors = {}
            for name in self.create_only_fields:
                if name not in self.initial_data:
                    # A full replacement (PUT) repeats them, as the schema says.
                    if not self.partial:
                        errors[name] = "This field is required."
                    continue
                current = self.fields[name].to_representation(
                    self.fields[name].get_attribute(self.instance)
                )
                if str(self.initial_data[name]) != str(current):
                    errors[name] = "This cannot be changed once set."
            if errors:
                raise serializers.ValidationError(errors)
        return attrs
