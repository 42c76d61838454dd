"""Big API lists straight from database rows: DRF's representation without model instances.

A page of 50 flags through the ORM builds about 150 model instances (each flag, its advisory and
organization) and a serializer's fields, then reads each attribute back out: over half of the
request's time once the query itself takes a millisecond. A :class:`ValuesPlan` reads a
serializer class once and works out, for each field, the database column (``values()``
lookup) it shows and how DRF turns that value into JSON; a list then fetches exactly those
columns as dictionaries and builds each row from them.

The plan covers the fields whose value is a column reached through foreign keys: columns,
foreign-key ids, nested serializers of a related row, the row's own URL, and method fields the
serializer pairs with a reader of columns (``values_methods``). Fields the serializer renders
in SQL (``json_sql``, related rows as JSON) have a shape but no Python reader: only the
database path of ``config/api_json.py`` builds them (``ValuesPlan.python`` is then false). A
serializer with anything else (a property as source, a custom field, a reverse relation
without SQL) gets no plan, and its list goes through DRF unchanged. Where a foreign key on
the way is NULL, the field answers as DRF's ``Field.get_attribute`` would (its default,
``None`` or left out). ``tests/api/test_representation.py`` holds the lists built this way
equal to DRF's, row for row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router
from django.db.models import Model, QuerySet
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone as django_timezone
from django_countries.fields import CountryField
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.serializers import (
    CountryCodeField,
    iso_date_time,
    renders_iso_date_time,
    shows_id,
    url_template,
)

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

Row = Mapping[str, Any]
# A method field's reader: the columns it needs, and the value from a row of them.
ValuesMethod = tuple[tuple[str, ...], Callable[[Row], Any]]

_SKIPPED = object()


@dataclass
class _Bound:
    """What a plan needs from the request it answers: URL templates and the time zone."""

    url_templates: dict[str, tuple[str, str]]
    zone: datetime.tzinfo | None


# How a field is read: a function of the row, or (the common case, and the cheapest) the name
# of a column whose value DRF would show unchanged.
_Reader = Callable[[Row, _Bound], Any] | str


# What each field is, for those that build a row elsewhere than in Python (``config/api_json.py``
# builds it in the database): the same plan, described rather than compiled to readers.
@dataclass(frozen=True)
class ColumnShape:
    """A column's value, reached by ``lookup``, rendered as ``rendering`` says: ``same`` (as it
    is), ``date-time`` or ``date`` (ISO 8601) or ``other`` (by the DRF field, in Python)."""

    lookup: str
    rendering: str
    # Whether a nullable foreign key lies on the way, and then what DRF shows when it is NULL.
    guarded: bool = False
    missing: Any = None


@dataclass(frozen=True)
class UrlShape:
    """The row's own URL: ``key`` in the bound URL templates, around the id at ``pk_lookup``."""

    key: str
    pk_lookup: str


@dataclass(frozen=True)
class MethodShape:
    """A serializer method field, read from columns by the serializer's ``values_methods``."""

    name: str
    prefix: str


@dataclass(frozen=True)
class NestedShape:
    """A related row's nested representation: null when ``id_lookup`` or a guard is NULL."""

    id_lookup: str
    guards: tuple[str, ...]
    fields: tuple[tuple[str, Shape], ...]


@dataclass(frozen=True)
class SqlShape:
    """A field the database renders from SQL the serializer gives (``json_sql``): related rows
    as a JSON array, say. Only the JSON plan (``config/api_json.py``) builds it."""

    name: str


Shape = ColumnShape | UrlShape | MethodShape | NestedShape | SqlShape


@dataclass
class ValuesPlan:
    """The ``values()`` lookups a serializer's representation needs, and how to build it."""

    columns: list[str] = field(default_factory=list)
    readers: list[tuple[str, _Reader]] = field(default_factory=list)
    # Each field's shape, in the order of ``readers``.
    shapes: tuple[tuple[str, Shape], ...] = ()
    # (key in url_templates, view name, lookup URL kwarg) of each row URL the plan builds.
    urls: list[tuple[str, str, str]] = field(default_factory=list)
    # Whether Python can build the rows from ``columns``; not when a field is rendered from
    # the serializer's ``json_sql`` (then only the JSON plan can).
    python: bool = True

    def bind(self, context: dict[str, Any]) -> _Bound | None:
        """The per-request part, or ``None`` when this request needs DRF's own path."""
        request = context.get("request")
        if request is None or context.get("format"):
            return None
        if getattr(request, "versioning_scheme", None) is not None:
            return None
        templates: dict[str, tuple[str, str]] = {}
        for key, view_name, kwarg in self.urls:
            template = url_template(view_name, kwarg, request)
            if template is None:
                return None
            templates[key] = template
        # DateTimeField.default_timezone(), looked up once per list rather than per value.
        zone = django_timezone.get_current_timezone() if settings.USE_TZ else None
        return _Bound(url_templates=templates, zone=zone)

    def represent(self, row: Row, bound: _Bound) -> dict[str, Any]:
        return _build(self.readers, row, bound)


def _build(readers: list[tuple[str, _Reader]], row: Row, bound: _Bound) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, read in readers:
        if read.__class__ is str:
            result[name] = row[read]  # type: ignore[index]
            continue
        value = read(row, bound)  # type: ignore[operator]
        if value is not _SKIPPED:
            result[name] = value
    return result


def _json_only(row: Row, bound: _Bound) -> Any:
    raise AssertionError("a field rendered by the database has no Python reader")


class _Unplannable(Exception):
    """A field the plan cannot read from columns; the serializer keeps DRF's path."""


@cache
def values_plan(serializer_class: type[serializers.Serializer[Any]]) -> ValuesPlan | None:
    """The plan of ``serializer_class`` (a ModelSerializer), or ``None`` if it has none."""
    plan = ValuesPlan()
    try:
        _readers, shapes = _plan_fields(serializer_class(), plan, prefix="", nested_key="")
        plan.shapes = tuple(shapes)
    except _Unplannable:
        return None
    # values() would repeat a column asked for twice; each is fetched once.
    plan.columns = list(dict.fromkeys(plan.columns))
    return plan


def _plan_fields(
    serializer: serializers.Serializer[Any], plan: ValuesPlan, *, prefix: str, nested_key: str
) -> tuple[list[tuple[str, _Reader]], list[tuple[str, Shape]]]:
    """The readers and shapes of ``serializer``'s fields; the top level's readers are the
    plan's, a nested serializer's are kept by the reader of the field that nests it."""
    meta = getattr(serializer, "Meta", None)
    model: type[Model] | None = getattr(meta, "model", None)
    if model is None:
        raise _Unplannable(f"{type(serializer).__name__} is not a ModelSerializer")
    methods: dict[str, ValuesMethod] = getattr(serializer, "values_methods", {})
    json_sql: Mapping[str, Any] = getattr(serializer, "json_sql", {})
    readers: list[tuple[str, _Reader]] = []
    shapes: list[tuple[str, Shape]] = []
    for drf_field in serializer._readable_fields:
        name = str(drf_field.field_name)
        if name in json_sql:
            if nested_key:
                raise _Unplannable(f"{name}: SQL of a nested serializer's field")
            plan.python = False
            readers.append((name, _json_only))
            shapes.append((name, SqlShape(name)))
            continue
        reader, shape = _plan_field(
            drf_field, model, methods, plan, prefix=prefix, nested_key=nested_key
        )
        readers.append((name, reader))
        shapes.append((name, shape))
    if not nested_key:
        plan.readers = readers
    return readers, shapes


def _plan_field(
    drf_field: Any,
    model: type[Model],
    methods: dict[str, ValuesMethod],
    plan: ValuesPlan,
    *,
    prefix: str,
    nested_key: str,
) -> tuple[_Reader, Shape]:
    name = drf_field.field_name
    if isinstance(drf_field, serializers.HyperlinkedIdentityField):
        if drf_field.lookup_field != "pk":
            raise _Unplannable(f"{name}: a URL by {drf_field.lookup_field}")
        key = f"{nested_key}{name}"
        plan.urls.append((key, str(drf_field.view_name), drf_field.lookup_url_kwarg))
        pk_column = prefix + model._meta.pk.attname  # type: ignore[union-attr]
        plan.columns.append(pk_column)

        def read_url(row: Row, bound: _Bound) -> Any:
            pk = row[pk_column]
            if pk is None:
                return None
            before, after = bound.url_templates[key]
            return f"{before}{pk}{after}"

        return read_url, UrlShape(key, pk_column)
    if type(drf_field) is serializers.SerializerMethodField:
        if name not in methods:
            raise _Unplannable(f"{name}: a method field without a values reader")
        columns, method = methods[name]
        lookups = {column: prefix + column for column in columns}
        plan.columns.extend(lookups.values())
        shape = MethodShape(name, prefix)
        if not prefix:
            return (lambda row, bound: method(row)), shape
        return (
            lambda row, bound: method({column: row[lookup] for column, lookup in lookups.items()})
        ), shape
    if isinstance(drf_field, serializers.BaseSerializer):
        return _plan_nested(
            drf_field, model, plan, prefix=prefix, nested_key=f"{nested_key}{name}."
        )
    if shows_id(drf_field):
        hops, last = _path(model, drf_field.source_attrs)
        if last.many_to_one or last.one_to_one:
            column = _lookup(prefix, hops, last.attname)
        else:
            raise _Unplannable(f"{name}: not a foreign key")
        return _column_reader(drf_field, plan, column, hops, prefix, convert=None)
    if isinstance(drf_field, CountryCodeField):
        # The column holds the two-letter code, or "" for none: what the field shows.
        hops, last = _path(model, drf_field.source_attrs)
        if not isinstance(last, CountryField) or last.multiple or last.null:
            raise _Unplannable(f"{name}: not a single country column")
        return _column_reader(
            drf_field, plan, _lookup(prefix, hops, last.name), hops, prefix, convert=None
        )
    if type(drf_field).get_attribute is not serializers.Field.get_attribute:
        raise _Unplannable(f"{name}: {type(drf_field).__name__} reads its own attribute")
    hops, last = _path(model, drf_field.source_attrs)
    if last.is_relation or getattr(last, "descriptor_class", None) is not DeferredAttribute:
        # A descriptor of its own (a country, a file) gives the attribute another type than
        # the column's value.
        raise _Unplannable(f"{name}: {type(last).__name__} is not a plain column")
    column = _lookup(prefix, hops, last.name)
    if _shown_unchanged(drf_field, last):
        return _column_reader(drf_field, plan, column, hops, prefix, convert=None)
    return _column_reader(
        drf_field,
        plan,
        column,
        hops,
        prefix,
        convert=_converter(drf_field),
        rendering=_rendering(drf_field, last),
    )


def _plan_nested(
    serializer: Any, model: type[Model], plan: ValuesPlan, *, prefix: str, nested_key: str
) -> tuple[_Reader, Shape]:
    if getattr(serializer, "many", False) or isinstance(serializer, serializers.ListSerializer):
        raise _Unplannable("a nested list")
    hops, last = _path(model, serializer.source_attrs)
    if not (last.many_to_one or last.one_to_one) or last.auto_created:
        raise _Unplannable(f"{serializer.field_name}: not a foreign key")
    nested_prefix = _lookup(prefix, hops, last.name) + "__"
    readers, shapes = _plan_fields(serializer, plan, prefix=nested_prefix, nested_key=nested_key)
    id_column = _lookup(prefix, hops, last.attname)
    plan.columns.append(id_column)
    nulls = _null_guards(hops, prefix)
    plan.columns.extend(nulls)

    def read_nested(row: Row, bound: _Bound) -> Any:
        # A missing related row, or a missing one on the way, is null, as in DRF.
        if row[id_column] is None or any(row[guard] is None for guard in nulls):
            return None
        return _build(readers, row, bound)

    return read_nested, NestedShape(id_column, tuple(nulls), tuple(shapes))


def _column_reader(
    drf_field: Any,
    plan: ValuesPlan,
    column: str,
    hops: list[Any],
    prefix: str,
    *,
    convert: Callable[[Any, _Bound], Any] | None,
    rendering: str = "same",
) -> tuple[_Reader, Shape]:
    plan.columns.append(column)
    nulls = _null_guards(hops, prefix)
    if not nulls and convert is None:
        return column, ColumnShape(column, rendering)
    plan.columns.extend(nulls)
    missing = _when_missing(drf_field) if nulls else None
    shape = ColumnShape(column, rendering, guarded=bool(nulls), missing=missing)

    def read(row: Row, bound: _Bound) -> Any:
        if nulls and any(row[guard] is None for guard in nulls):
            return missing
        value = row[column]
        if value is None:
            return None
        return value if convert is None else convert(value, bound)

    return read, shape


def _null_guards(hops: list[Any], prefix: str) -> list[str]:
    """The id columns of the nullable foreign keys on the way to a field."""
    guards = []
    for position, hop in enumerate(hops):
        if hop.null:
            guards.append(_lookup(prefix, hops[:position], hop.attname))
    return guards


def _when_missing(drf_field: Any) -> Any:
    """What DRF's ``Field.get_attribute`` gives when an object on the way is missing."""
    if drf_field.default is not empty:
        if callable(drf_field.default):
            raise _Unplannable(f"{drf_field.field_name}: a callable default")
        return drf_field.default
    if drf_field.allow_null:
        return None
    if not drf_field.required:
        return _SKIPPED
    raise _Unplannable(f"{drf_field.field_name}: DRF would fail on a missing object")


def _path(model: type[Model], source_attrs: Sequence[str]) -> tuple[list[Any], Any]:
    """The foreign keys from ``model`` along ``source_attrs``, and the last model field."""
    if not source_attrs:
        raise _Unplannable("a field of the whole object")
    hops: list[Any] = []
    current = model
    for position, attribute in enumerate(source_attrs):
        try:
            model_field = current._meta.get_field(attribute)
        except FieldDoesNotExist:
            raise _Unplannable(f"{attribute}: not a model field") from None
        if not model_field.concrete:
            raise _Unplannable(f"{attribute}: not a column")
        if position == len(source_attrs) - 1:
            return hops, model_field
        if not (model_field.many_to_one or model_field.one_to_one):
            raise _Unplannable(f"{attribute}: not a foreign key")
        hops.append(model_field)
        current = model_field.related_model  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _lookup(prefix: str, hops: list[Any], last: str) -> str:
    return prefix + "__".join([*(hop.name for hop in hops), last])


# DRF fields whose to_representation gives back a column value of these model fields as it is
# (str(text), int(number), a bool for a bool, a stored choice for a choice); None stays None.
_TEXT = (models.CharField, models.TextField)
_NUMBER = (models.IntegerField,)  # with its Big/Small/Positive and Auto variants
_UNCHANGED: tuple[tuple[type[Any], tuple[type[Any], ...]], ...] = (
    (serializers.CharField, _TEXT),
    # Text fields whose representation is the text itself (their checks are on input).
    (serializers.URLField, _TEXT),
    (serializers.EmailField, _TEXT),
    (serializers.SlugField, _TEXT),
    (serializers.IntegerField, _NUMBER),
    (serializers.BooleanField, (models.BooleanField,)),
    (serializers.ChoiceField, (*_TEXT, *_NUMBER)),
)


def _shown_unchanged(drf_field: Any, model_field: Any) -> bool:
    if type(drf_field) is serializers.BigIntegerField:
        # A big integer is a number unless it is coerced to text (JavaScript's precision).
        coerce = getattr(drf_field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return not coerce and isinstance(model_field, _NUMBER)
    for drf_type, model_types in _UNCHANGED:
        if type(drf_field) is drf_type:
            if not isinstance(model_field, model_types):
                return False
            if drf_type is serializers.ChoiceField:
                # A stored value shows as the choice key whose text it is: itself, as long as
                # the keys are of the column's own type (not 1 for a stored "1").
                kind = str if isinstance(model_field, _TEXT) else int
                keys = drf_field.choice_strings_to_values.values()
                return all(isinstance(key, kind) and not isinstance(key, bool) for key in keys)
            return True
    return False


def _rendering(drf_field: Any, model_field: Any) -> str:
    """How a converted value is rendered, for a shape: ``date-time`` and ``date`` are ISO 8601
    text of a date-time (in the request's zone) or date column, as DRF renders them;
    ``decimal`` and ``number`` a decimal column as text or as a number; ``json`` a JSON
    column shown as it is stored."""
    decimal = _decimal_rendering(drf_field, model_field)
    if decimal is not None:
        return decimal
    if _json_list_unchanged(drf_field, model_field):
        return "json"
    if (
        renders_iso_date_time(drf_field)
        and not hasattr(drf_field, "timezone")
        and isinstance(model_field, models.DateTimeField)
    ):
        return "date-time"
    if (
        type(drf_field) is serializers.DateField
        and str(getattr(drf_field, "format", api_settings.DATE_FORMAT)).lower() == ISO_8601
        and isinstance(model_field, models.DateField)
        and not isinstance(model_field, models.DateTimeField)
    ):
        return "date"
    return "other"


def _decimal_rendering(drf_field: Any, model_field: Any) -> str | None:
    """How DRF shows a decimal column's values, when the database can say it alike: as the
    text of the stored number (``decimal``, coerced to a string) or as the number itself
    (``number``: DRF's encoder writes the float of it, which reads back as the same number
    for up to 15 digits).
    Either way neither localised nor normalised, and quantised to the column's own scale,
    which a stored value already has."""
    if not (
        type(drf_field) is serializers.DecimalField
        and isinstance(model_field, models.DecimalField)
        and not drf_field.localize
        and not getattr(drf_field, "normalize_output", False)
        and drf_field.decimal_places == model_field.decimal_places
        and drf_field.max_digits == model_field.max_digits
    ):
        return None
    if getattr(drf_field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING):
        return "decimal"
    if model_field.max_digits > _FLOAT_DIGITS:
        # DRF's encoder writes the float of the value, which rounds a longer number.
        return None
    return "number"


# Decimal digits a float holds exactly.
_FLOAT_DIGITS = 15


def _json_list_unchanged(drf_field: Any, model_field: Any) -> bool:
    """Whether DRF shows a JSON column's list as it is stored: a list of choices whose keys
    are text gives each stored text back unchanged."""
    if type(drf_field) is not serializers.ListField or not isinstance(
        model_field, models.JSONField
    ):
        return False
    child = drf_field.child
    return type(child) is serializers.ChoiceField and all(
        isinstance(key, str) for key in child.choice_strings_to_values.values()
    )


def _converter(drf_field: Any) -> Callable[[Any, _Bound], Any]:
    if renders_iso_date_time(drf_field) and not hasattr(drf_field, "timezone"):
        # The zone is the request's (DateTimeField.default_timezone()), looked up per list.
        return lambda value, bound: iso_date_time(drf_field, value, bound.zone)
    to_representation = drf_field.to_representation
    return lambda value, bound: to_representation(value)


class ValuesListMixin:
    """A list action that builds its rows with the serializer's :class:`ValuesPlan`.

    Filtering, ordering and pagination are the view's own; only the rows are fetched as column
    values. The pagination's ordering columns are fetched too, for its cursor.
    """

    values_extra_columns: ClassVar[tuple[str, ...]] = ()
    # Whether this request's rows are fetched as column values: the view's queryset then
    # needs no select_related() or only(), which values() ignores (see get_queryset()).
    rows_as_values: bool = False

    def get_queryset(self: Any) -> QuerySet[Any, Any]:
        queryset: QuerySet[Any, Any] = super().get_queryset()  # type: ignore[misc]
        if self.rows_as_values:
            # Every later clone of the queryset (filters, ordering, pagination) would
            # deep-copy the related models to select, for a values() query that selects none.
            queryset = queryset.select_related(None)
        return queryset

    def list(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        from api.pagination import KeysetPagination
        from config.api_json import json_plan, rendered_page

        serializer_class = self.get_serializer_class()
        plan = values_plan(serializer_class)
        bound = plan.bind(self.get_serializer_context()) if plan is not None else None
        if plan is None or bound is None or self.paginator is None:
            return super().list(request, *args, **kwargs)  # type: ignore[no-any-return,misc]
        rendering = json_plan(serializer_class)
        paginator = self.paginator
        # The database the rows come from: the view's own queryset's (as get_queryset() starts
        # from it), read before that queryset is built for this request.
        using = (
            self.queryset.db
            if isinstance(self.queryset, QuerySet)
            else router.db_for_read(serializer_class.Meta.model)
        )
        as_json = (
            rendering is not None
            and isinstance(paginator, KeysetPagination)
            and rendering.answers(request, bound, using)
        )
        if not as_json and not plan.python:
            # A field only the database renders, and a request it does not answer.
            return super().list(request, *args, **kwargs)  # type: ignore[no-any-return,misc]
        self.rows_as_values = True
        queryset = self.filter_queryset(self.get_queryset())
        if as_json:
            assert rendering is not None and isinstance(paginator, KeysetPagination)
            if queryset._prefetch_related_lookups:
                # Related rows the view would prefetch for its objects come with each row's
                # JSON.
                queryset = queryset.prefetch_related(None)
            # The rows come back as JSON from the database (config/api_json.py); the page is
            # their ids and ordering columns (the paginator selects those).
            rows = paginator.paginate_queryset(
                queryset,
                request,
                view=self,
                fetch=lambda page, keys, reverse: rendering.fetch(
                    page, keys, reverse=reverse, bound=bound
                ),
            )
            return Response(
                rendered_page(
                    rows,
                    next_link=paginator.get_next_link(),
                    previous_link=paginator.get_previous_link(),
                )
            )
        ordering = _ordering_columns(self, queryset.model)
        page = self.paginate_queryset(queryset.values(*dict.fromkeys([*plan.columns, *ordering])))
        return self.get_paginated_response([plan.represent(row, bound) for row in page])


def _ordering_columns(view: GenericAPIView[Any], model: type[Model]) -> list[str]:
    names = [
        *(getattr(view, "ordering_fields", None) or ()),
        *(getattr(view, "ordering", None) or ()),
    ]
    columns = [model._meta.pk.attname]  # type: ignore[union-attr]
    for name in names:
        name = name.lstrip("-")
        if name != "pk":
            model_field = model._meta.get_field(name)
            columns.append(getattr(model_field, "attname", name))
    return columns
