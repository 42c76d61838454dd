"""Serializer fields and mixins shared by the apps' APIs."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.utils import timezone as django_timezone
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

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


# The fields ModelSerializer built for each serializer class, as templates (never bound).
_BUILT_FIELDS: dict[type, dict[str, serializers.Field[Any, Any, Any, Any]]] = {}


class StrictModelSerializer(StrictTypesMixin, serializers.ModelSerializer[_M]):
    """A model's representation, typed strictly when written."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        """ModelSerializer's fields, built once per class and copied for each instance.

        ModelSerializer introspects the model and builds every field anew for each instance
        (about a millisecond for an advisory with its nested targets); what it builds depends
        on the class alone (Meta, declared fields, ``build_*``), never on the instance or its
        context. Each instance gets fields of its own (``_field_copy``), which it binds and
        may change (as ``CreateOnlyFieldsMixin`` does).
        """
        cls = type(self)
        built = _BUILT_FIELDS.get(cls)
        if built is None:
            built = _BUILT_FIELDS[cls] = super().get_fields()
        return {name: _field_copy(field) for name, field in built.items()}

    def build_standard_field(
        self, field_name: str, model_field: Any
    ) -> tuple[type[serializers.Field[Any, Any, Any, Any]], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_class is serializers.URLField and kwargs.get("allow_blank"):
            field_class = OptionalURLField
        return field_class, kwargs


def _field_copy(field: Any) -> Any:
    """A new field made from the arguments ``field`` was made with, as DRF's
    ``Field.__deepcopy__`` makes it, but sharing the arguments that are data rather than
    copying them deeply: a field keeps what it is given in state of its own (choices, error
    messages and validators in new dicts and lists; a queryset is cloned on each use), so only
    the fields among the arguments (a list's ``child``, a nested serializer) need copies.
    Deep-copying every choice list and help text took most of an advisory's representation."""
    args = [_field_copy(value) if isinstance(value, Field) else value for value in field._args]
    kwargs = {
        key: _field_copy(value) if isinstance(value, Field) else value
        for key, value in field._kwargs.items()
    }
    return type(field)(*args, **kwargs)


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


# --- Reading rows at a fraction of DRF's cost ----------------------------------------------

# Reversed once per list in place of a row's id; each row's URL puts its own id there.
_URL_ID_PLACEHOLDER = "918273645546372819"
# What a reader returns for a field DRF would leave out of the row (it raised SkipField).
_SKIPPED = object()

_Reader = Callable[[Any], Any]


class FastRepresentationMixin:
    """Represents a row exactly as DRF does, at a fraction of the cost.

    DRF's ``to_representation`` walks each field's source generically, looks the current time
    zone up for every date-time and reverses a URL for every row: about 150 µs a flag, most of
    the time a list page takes. This plans once per serializer how each field is read: columns
    and foreign-key ids by attribute access, date-times converted with the zone looked up once,
    the row's own URL from one reversed template, then the field's own ``to_representation``.
    Whatever the plan does not cover (a method or property as source, a missing object in the
    middle of a dotted source, a custom field) goes through DRF's own path.
    ``tests/api/test_representation.py`` holds the output equal to DRF's.
    """

    context: dict[str, Any]
    Meta: Any
    _read_plan: list[tuple[str, _Reader]] | None = None

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if self._read_plan is None:
            fields = self._readable_fields  # type: ignore[attr-defined]
            self._read_plan = [(field.field_name, self._reader(field)) for field in fields]
        row = {}
        for name, read in self._read_plan:
            value = read(instance)
            if value is not _SKIPPED:
                row[name] = value
        return row

    def _reader(self, field: Any) -> _Reader:
        if isinstance(field, serializers.HyperlinkedIdentityField):
            return self._url_reader(field)
        if type(field) is serializers.SerializerMethodField:
            return getattr(self, field.method_name)  # type: ignore[no-any-return]
        if shows_id(field):
            path = self._column_path(field.source_attrs, id_last=True)
            convert: _Reader = _same
        elif type(field).get_attribute is serializers.Field.get_attribute:
            path = self._column_path(field.source_attrs, id_last=False)
            convert = _date_time_converter(field) or field.to_representation
        else:
            path = None
        if path is None:
            return partial(_drf_read, field)
        last = len(path) - 1

        def read(instance: Any) -> Any:
            value = instance
            for position, attribute in enumerate(path):
                value = getattr(value, attribute)
                if value is None:
                    # A missing object mid-way: DRF decides (default, null, skip or error).
                    return None if position == last else _drf_read(field, instance)
            return convert(value)

        return read

    def _column_path(self, source_attrs: list[str], *, id_last: bool) -> list[str] | None:
        """The attributes from a row to a field's value, when each is a concrete column or
        foreign key (never a method or property, which DRF would call); the last one is the
        foreign key's id column with ``id_last``."""
        if not source_attrs:
            return None
        model = self.Meta.model
        path: list[str] = []
        for position, name in enumerate(source_attrs):
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            if not model_field.concrete:
                return None
            if position < len(source_attrs) - 1:
                if not model_field.many_to_one and not model_field.one_to_one:
                    return None
                path.append(name)
                model = model_field.related_model
            elif id_last:
                if not model_field.many_to_one and not model_field.one_to_one:
                    return None
                path.append(model_field.attname)
            else:
                path.append(name)
        return path

    def _url_reader(self, field: Any) -> _Reader:
        request = self.context.get("request")
        if (
            request is None
            or field.lookup_field != "pk"
            or self.context.get("format")
            or getattr(request, "versioning_scheme", None) is not None
        ):
            return partial(_drf_read, field)
        template = url_template(field.view_name, field.lookup_url_kwarg, request)
        if template is None:
            return partial(_drf_read, field)
        before, after = template
        return lambda instance: None if instance.pk is None else f"{before}{instance.pk}{after}"


def url_template(view_name: str, lookup_url_kwarg: str, request: Any) -> tuple[str, str] | None:
    """A row URL as DRF's HyperlinkedIdentityField reverses it, reversed once: the text
    before and after the row's id, or ``None`` when the id cannot be placed.

    DRF's reverse is Django's ``reverse`` made absolute with the request's scheme and host;
    the path part is the same for every request through the same URL patterns and script
    prefix, so it is worked out once for them (a list request asked for it each time, a
    twentieth of its Python time). A versioning scheme changes URLs per request: those go
    through DRF's own reverse every time.
    """
    if getattr(request, "versioning_scheme", None) is not None:
        url = str(
            serializers.HyperlinkedIdentityField(view_name=view_name).reverse(
                view_name,
                kwargs={lookup_url_kwarg: _URL_ID_PLACEHOLDER},
                request=request,
                format=None,
            )
        )
    else:
        path = _path_template(
            view_name, lookup_url_kwarg, get_resolver(get_urlconf()), get_script_prefix()
        )
        url = request.build_absolute_uri(path)
    before, placeholder, after = url.rpartition(_URL_ID_PLACEHOLDER)
    return (before, after) if placeholder else None


@lru_cache(maxsize=256)
def _path_template(
    view_name: str, lookup_url_kwarg: str, resolver: URLResolver, script_prefix: str
) -> str:
    # The resolver and prefix are the key: Django's reverse() reads both from the current
    # thread, and a changed ROOT_URLCONF gives a new resolver.
    return django_reverse(view_name, kwargs={lookup_url_kwarg: _URL_ID_PLACEHOLDER})


def shows_id(field: Any) -> bool:
    """A related object shown by its id, which DRF reads from the foreign key's column."""
    return (
        isinstance(field, serializers.PrimaryKeyRelatedField)
        and field.pk_field is None
        and field.source != "*"
        and type(field).to_representation is serializers.PrimaryKeyRelatedField.to_representation
        and type(field).get_attribute is serializers.RelatedField.get_attribute
    )


def renders_iso_date_time(field: Any) -> bool:
    """Whether ``field`` is a plain DateTimeField rendered as ISO 8601 (no format of its own)."""
    return (
        type(field) is serializers.DateTimeField
        and not hasattr(field, "format")
        and str(api_settings.DATETIME_FORMAT).lower() == ISO_8601
    )


def iso_date_time(field: Any, value: Any, zone: datetime.tzinfo | None) -> Any:
    """``field.to_representation(value)`` for such a field, with the zone looked up already."""
    if zone is None or not isinstance(value, datetime.datetime) or django_timezone.is_naive(value):
        return field.to_representation(value)
    try:
        text = value.astimezone(zone).isoformat()
    except OverflowError:
        return field.to_representation(value)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date_time_converter(field: Any) -> _Reader | None:
    """DRF's ISO 8601 rendering of an aware date-time, with the time zone looked up once."""
    if not renders_iso_date_time(field):
        return None
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return None
    return partial(iso_date_time, field, zone=zone)


def _same(value: Any) -> Any:
    return value


def _drf_read(field: Any, instance: Any) -> Any:
    """One field of a row, exactly as ``Serializer.to_representation`` reads it."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return _SKIPPED
    check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    return None if check_for_none is None else field.to_representation(attribute)
