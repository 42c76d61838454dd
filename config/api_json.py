"""Big API lists, and the advisory detail, rendered by PostgreSQL: rows come back as JSON.

A :class:`~config.api_values.ValuesPlan` already knows, for each field of a serializer, the
column it shows and how DRF renders it. :func:`json_plan` turns that into SQL that builds each
row's JSON object in the query that finds the rows (``row_to_json`` over the fields, in the
serializer's order, under the serializer's names), so that Python neither converts the values
of fifty rows nor encodes them again: it joins the rows' texts into the response. On a flag
list that was about half of the request's time in Python.

The page of a list is found first, exactly as before: the view's FilterSet, ordering and
keyset cursor select the ids and ordering columns of the page (with the joins only the filters
need); the rows' JSON is built around that, in one statement::

    SELECT page.*, <row JSON> FROM (<the page's query>) page (c0, c1, …)
      JOIN <the model's table> ON <its id> = page.c0 <joins of the shown related rows>
      ORDER BY <the page's ordering, on page's columns>

A single object (the advisory detail) is rendered the same way around the ORM's lookup of it
(:meth:`JsonPlan.fetch_object`).

What the database renders is what DRF renders (``tests/api/test_json_lists.py`` and
``test_json_detail.py`` compare the two for every field, nulls, missing related rows,
microseconds and odd text included): columns DRF shows unchanged (text, numbers, booleans,
stored choices, JSON lists of choices) as their JSON values, decimals as numbers or text as
DRF is set to show them, ISO dates as PostgreSQL prints them, date-times as DRF's ISO 8601 text
in UTC (with ``Z``, and microseconds only when there are any), a related row as a nested
object or null, the row's URL around its id, and method fields by the SQL expression the
serializer pairs with them (``values_sql``). Fields DRF fills from other tables' rows (an
advisory's targets, its CVE ids) are rendered by SQL the serializer gives in ``json_sql``,
which :func:`related_rows` and :func:`related_values` write: a JSON array built by a
correlated sub-select, in the related model's ``Meta.ordering``, each row rendered by its own
serializer's plan. A serializer with any other field has no plan; a request the plan cannot
answer (another time zone than UTC, ``indent`` asked for, a format suffix, another database
than PostgreSQL) gets the Python path. Both paths produce the same JSON values, not always the
same bytes: PostgreSQL leaves non-ASCII text as it is, as DRF does, but may escape a control
character another way, and writes a stored JSON list with a space after each comma.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Field, Model, QuerySet
from django.db.models.expressions import BaseExpression
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.utils.mediatypes import _MediaType

from config.api_values import (
    ColumnShape,
    MethodShape,
    NestedShape,
    Shape,
    SqlShape,
    UrlShape,
    _Bound,
    values_plan,
)
from config.prepared import prepared_statements

if TYPE_CHECKING:
    from api.pagination import _Key

# A method field's SQL: an expression over the serializer's model, as annotate() takes it.
ValuesSql = dict[str, BaseExpression]
# A field's JSON value as SQL over the serializer's model's table (unaliased), written when
# the plan is built: see related_rows() and related_values().
JsonSql = Callable[[], tuple[str, list[Any]]]

_PAGE = '"__page"'


class RenderedJSON(bytes):
    """A response body already encoded as JSON, which :class:`JSONRenderer` passes on as is."""


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, except that a body already rendered is sent as it is."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if isinstance(data, RenderedJSON):
            return bytes(data)
        return super().render(data, accepted_media_type, renderer_context)


@dataclass(frozen=True)
class _UrlPart:
    """A parameter filled per request: the text before (0) or after (1) a row's id in its URL."""

    key: str
    side: int


@dataclass(frozen=True)
class JsonPlan:
    """The SQL of a row's JSON, and the tables it reads, for one serializer."""

    object_sql: str
    row_params: tuple[Any, ...]
    table_sql: str
    joins_sql: str
    joins_params: tuple[Any, ...]
    pk_sql: str
    renders_date_times: bool

    @property
    def row_sql(self) -> str:
        """The row's JSON as text, which psycopg2 hands over without parsing it."""
        return f"({self.object_sql})::text"

    @property
    def builds_urls(self) -> bool:
        return any(isinstance(value, _UrlPart) for value in self.row_params)

    def answers(self, request: Request, bound: _Bound | None, using: str) -> bool:
        """Whether this request may take the rows from the database as JSON."""
        if bound is None or connections[using].vendor != "postgresql":
            return False
        if self.renders_date_times and not _is_utc(bound.zone):
            return False
        if not isinstance(getattr(request, "accepted_renderer", None), JSONRenderer):
            return False
        media_type = getattr(request, "accepted_media_type", "") or ""
        return "indent" not in _MediaType(media_type).params

    def fetch(
        self, page: QuerySet[Any, Any], keys: Sequence[_Key], *, reverse: bool, bound: _Bound
    ) -> list[dict[str, Any]]:
        """The rows of ``page`` (a sliced ``values()`` queryset of the ordering columns), each a
        dictionary of those columns plus ``JSON_KEY``: the row's JSON text."""
        columns = list(page.query.values_select)
        compiler = page.query.get_compiler(using=page.db)
        try:
            page_sql, page_params = compiler.as_sql()
        except EmptyResultSet:
            # A filter no row can meet (a user of no organization): the ORM asks nothing.
            return []
        names = [f"c{position}" for position in range(len(columns))]
        by_column = dict(zip(columns, names, strict=True))
        order = ", ".join(
            key.order_sql(f"{_PAGE}.{by_column[key.field.attname]}", reverse=reverse)
            for key in keys
        )
        pk_name = by_column[page.model._meta.pk.attname]
        sql = self._around(
            f"{_PAGE}.*, {self.row_sql}", page_sql, names, pk_name, f" ORDER BY {order}"
        )
        connection = connections[page.db]
        # Planned once per connection: planning the rows' sub-selects costs twice their run.
        with connection.cursor() as cursor, prepared_statements(connection):
            cursor.execute(sql, self._params(bound, page_params))
            return [
                {**dict(zip(columns, row[:-1], strict=True)), JSON_KEY: row[-1]}
                for row in cursor.fetchall()
            ]

    def fetch_object(self, queryset: QuerySet[Any, Any], *, bound: _Bound) -> str | None:
        """The JSON text of the one row ``queryset`` selects (a lookup by primary key), or
        ``None`` when it selects none."""
        pk = queryset.model._meta.pk
        assert pk is not None
        lookup = queryset.order_by().values(pk.attname)  # one row: its order is no matter
        compiler = lookup.query.get_compiler(using=queryset.db)
        try:
            page_sql, page_params = compiler.as_sql()
        except EmptyResultSet:
            return None
        sql = self._around(self.row_sql, page_sql, ["c0"], "c0", "")
        connection = connections[queryset.db]
        with connection.cursor() as cursor, prepared_statements(connection):
            cursor.execute(sql, self._params(bound, page_params))
            rows = cursor.fetchmany(2)
        if len(rows) > 1:
            raise AssertionError("fetch_object() selected more than one row")
        return str(rows[0][0]) if rows else None

    def _around(
        self, select: str, page_sql: str, names: list[str], pk_name: str, order: str
    ) -> str:
        # Every piece is SQL the ORM compiled or names this module wrote; values are parameters.
        return (
            f"SELECT {select} FROM ({page_sql}) {_PAGE} ({', '.join(names)}) "  # noqa: S608
            f"INNER JOIN {self.table_sql} ON ({self.pk_sql} = {_PAGE}.{pk_name}) "
            f"{self.joins_sql}{order}"
        )

    def _params(self, bound: _Bound, page_params: Sequence[Any]) -> list[Any]:
        row_params = [
            bound.url_templates[value.key][value.side] if isinstance(value, _UrlPart) else value
            for value in self.row_params
        ]
        return [*row_params, *page_params, *self.joins_params]


JSON_KEY = "__json"
# How the database renders a column's value as DRF would (config/api_values.py): ``same``,
# ``number`` and ``json`` as the column's own JSON, ``date`` as PostgreSQL prints it, the others
# by _Builder._value.
_RENDERINGS = frozenset({"same", "number", "json", "date", "date-time", "decimal"})


def _is_utc(zone: datetime.tzinfo | None) -> bool:
    if zone is None:
        return False
    return getattr(zone, "key", None) == "UTC" or zone is datetime.UTC


class _NoJson(Exception):
    """A field the database cannot render as DRF does; the list keeps the Python path."""


@cache
def json_plan(serializer_class: type[serializers.Serializer[Any]]) -> JsonPlan | None:
    """The JSON plan of ``serializer_class``, or ``None`` when it has none."""
    plan = values_plan(serializer_class)
    if plan is None:
        return None
    model: type[Model] = serializer_class.Meta.model  # type: ignore[attr-defined]
    values_sql: ValuesSql = getattr(serializer_class, "values_sql", {})
    json_sql: Mapping[str, JsonSql] = getattr(serializer_class, "json_sql", {})
    builder = _Builder(model, values_sql, json_sql)
    try:
        builder.collect(plan.shapes)
    except _NoJson:
        return None
    return builder.build(plan.shapes)


def related_rows(serializer_class: type[serializers.Serializer[Any]], through: str) -> JsonSql:
    """A field's SQL (for ``json_sql``): the rows whose foreign key ``through`` points at the
    row rendered, as a JSON array of ``serializer_class``'s representations, in the order of
    their model's ``Meta.ordering`` (as ``instance.<related name>.all()`` gives them)."""

    def sql() -> tuple[str, list[Any]]:
        plan = json_plan(serializer_class)
        if plan is None or plan.builds_urls:
            raise _NoJson(f"{serializer_class.__name__}: no JSON plan, or one with URLs")
        model: type[Model] = serializer_class.Meta.model  # type: ignore[attr-defined]
        where, order = _related(model, through)
        outer_model: type[Model] = _concrete(model, through).related_model  # type: ignore[assignment]
        outer = connections["default"].ops.quote_name(outer_model._meta.db_table)
        if outer in plan.joins_sql:
            # The condition names the outer row's table, which must not be joined again here.
            raise _NoJson(f"{serializer_class.__name__}: joins the table of the row it is in")
        return (
            # Names the ORM compiled or quoted; values are parameters.
            f"(SELECT coalesce(json_agg(({plan.object_sql}) ORDER BY {order}), '[]'::json) "  # noqa: S608
            f"FROM {plan.table_sql} {plan.joins_sql} WHERE {where})",
            [*plan.row_params, *plan.joins_params],
        )

    return sql


def related_values(model: type[Model], through: str, column: str) -> JsonSql:
    """A field's SQL (for ``json_sql``): one column of the rows of ``model`` whose foreign key
    ``through`` points at the row rendered, as a JSON array, in ``Meta.ordering``'s order."""

    def sql() -> tuple[str, list[Any]]:
        where, order = _related(model, through)
        quote = connections["default"].ops.quote_name
        value = f"{quote(model._meta.db_table)}.{quote(str(_concrete(model, column).column))}"
        return (
            f"(SELECT coalesce(json_agg({value} ORDER BY {order}), '[]'::json) "  # noqa: S608
            f"FROM {quote(model._meta.db_table)} WHERE {where})",
            [],
        )

    return sql


def _related(model: type[Model], through: str) -> tuple[str, str]:
    """The condition joining ``model``'s rows to the row they point at through ``through``,
    and the ``ORDER BY`` of its ``Meta.ordering`` within one such row."""
    quote = connections["default"].ops.quote_name
    table = quote(model._meta.db_table)
    foreign_key = _concrete(model, through)
    target = foreign_key.related_model
    if (
        not foreign_key.many_to_one
        or not isinstance(target, type)
        or target._meta.db_table == model._meta.db_table
    ):
        raise _NoJson(f"{model.__name__}.{through}: not a foreign key to another table")
    target_pk = _concrete(target, "pk")
    where = (
        f"{table}.{quote(str(foreign_key.column))} = "
        f"{quote(target._meta.db_table)}.{quote(str(target_pk.column))}"
    )
    order: list[str] = []
    ordering: Sequence[Any] = model._meta.ordering or ()
    for name in [*ordering, "pk"]:
        if not isinstance(name, str):
            raise _NoJson(f"{model.__name__}: an ordering by expression")
        descending = name.startswith("-")
        model_field = _concrete(model, name.lstrip("-"))
        if model_field is foreign_key:
            continue  # the same for all the rows of one
        if model_field.is_relation:
            raise _NoJson(f"{model.__name__}: an ordering by {name}")
        direction = "DESC" if descending else "ASC"
        order.append(f"{table}.{quote(str(model_field.column))} {direction}")
        if model_field.primary_key:
            break
    return where, ", ".join(order)


def _concrete(model: type[Model], name: str) -> Field[Any, Any]:
    """The column ``name`` (``pk``: the primary key) of ``model``."""
    model_field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(model_field, Field) or not model_field.concrete:
        raise _NoJson(f"{model.__name__}.{name}: not a column")
    return model_field


class _Builder:
    """Compiles the columns a plan's shapes need, once, then writes the row's SQL from them."""

    def __init__(
        self, model: type[Model], values_sql: ValuesSql, json_sql: Mapping[str, JsonSql]
    ) -> None:
        self.model = model
        self.values_sql = values_sql
        self.json_sql = json_sql
        self.written: dict[str, tuple[str, list[Any]]] = {}
        self.aliases: dict[str, str] = {}
        self.methods: dict[str, str] = {}
        self.compiled: dict[str, tuple[str, tuple[Any, ...]]] = {}
        self.date_times = False
        self.depth = 0

    def collect(self, shapes: Sequence[tuple[str, Shape]]) -> None:
        for _name, shape in shapes:
            if isinstance(shape, ColumnShape):
                if shape.rendering not in _RENDERINGS:
                    raise _NoJson(f"{shape.lookup}: rendered in Python")
                if shape.guarded and shape.missing is not None:
                    raise _NoJson(f"{shape.lookup}: not null when a related row is missing")
                self.date_times |= shape.rendering == "date-time"
                self._need(shape.lookup)
            elif isinstance(shape, UrlShape):
                self._need(shape.pk_lookup)
            elif isinstance(shape, MethodShape):
                if shape.prefix or shape.name not in self.values_sql:
                    raise _NoJson(f"{shape.name}: a method field without SQL")
                self.methods[shape.name] = f"m{len(self.methods)}"
            elif isinstance(shape, SqlShape):
                self.written[shape.name] = self.json_sql[shape.name]()
            elif isinstance(shape, NestedShape):
                self._need(shape.id_lookup)
                for guard in shape.guards:
                    self._need(guard)
                self.collect(shape.fields)
            else:  # pragma: no cover - the shapes are the four above
                raise _NoJson(f"unknown shape {shape!r}")

    def _need(self, lookup: str) -> None:
        self.aliases.setdefault(lookup, f"c{len(self.aliases)}")

    def build(self, shapes: Sequence[tuple[str, Shape]]) -> JsonPlan:
        expressions: dict[str, Any] = {alias: F(lookup) for lookup, alias in self.aliases.items()}
        expressions.update({alias: self.values_sql[name] for name, alias in self.methods.items()})
        # No ordering: the model's default one could join tables (ordering by a foreign key
        # orders by the related model's ordering) that the row's JSON does not read.
        queryset = self.model._base_manager.values(**expressions).order_by()
        compiler = queryset.query.get_compiler(using=queryset.db)
        compiler.pre_sql_setup()
        for _expression, (sql, params), alias in compiler.select:
            self.compiled[alias] = (sql, tuple(params))
        from_parts, from_params = compiler.get_from_clause()
        table_sql, *joins = from_parts
        quote = compiler.quote_name_unless_alias
        pk = self.model._meta.pk
        assert pk is not None
        row_sql, row_params = self._object(shapes)
        return JsonPlan(
            object_sql=row_sql,
            row_params=tuple(row_params),
            table_sql=table_sql,
            joins_sql=" ".join(joins),
            joins_params=tuple(from_params),
            pk_sql=f"{quote(self.model._meta.db_table)}.{quote(pk.column)}",
            renders_date_times=self.date_times,
        )

    def _column(self, lookup: str) -> tuple[str, list[Any]]:
        sql, params = self.compiled[self.aliases[lookup]]
        return sql, list(params)

    def _object(self, shapes: Sequence[tuple[str, Shape]]) -> tuple[str, list[Any]]:
        """A JSON object of the fields, in order: ``row_to_json`` over a one-row select, which
        (unlike ``json_build_object``) prints it compactly, as DRF does."""
        self.depth += 1
        record = f'"__r{self.depth}"'
        parts: list[str] = []
        params: list[Any] = []
        quote = connections["default"].ops.quote_name
        for name, shape in shapes:
            sql, field_params = self._value(shape)
            parts.append(f"{sql} AS {quote(name)}")
            params.extend(field_params)
        self.depth -= 1
        select = f"SELECT row_to_json({record}) FROM (SELECT {', '.join(parts)}) {record}"  # noqa: S608
        return select, params

    def _value(self, shape: Shape) -> tuple[str, list[Any]]:
        if isinstance(shape, ColumnShape):
            sql, params = self._column(shape.lookup)
            if shape.rendering == "date-time":
                return _iso_date_time(sql), params * 3
            if shape.rendering == "decimal":
                # A numeric column's text keeps its scale: 7.50 in numeric(4, 2) is "7.50".
                return f"({sql})::text", params
            return sql, params
        if isinstance(shape, UrlShape):
            sql, params = self._column(shape.pk_lookup)
            key = shape.key
            return f"(%s || ({sql})::text || %s)", [_UrlPart(key, 0), *params, _UrlPart(key, 1)]
        if isinstance(shape, MethodShape):
            method_sql, method_params = self.compiled[self.methods[shape.name]]
            return method_sql, list(method_params)
        if isinstance(shape, SqlShape):
            written_sql, written_params = self.written[shape.name]
            return written_sql, list(written_params)
        assert isinstance(shape, NestedShape)
        conditions: list[str] = []
        params = []
        for lookup in (shape.id_lookup, *shape.guards):
            sql, column_params = self._column(lookup)
            conditions.append(f"({sql}) IS NULL")
            params.extend(column_params)
        object_sql, object_params = self._object(shape.fields)
        return (
            f"CASE WHEN {' OR '.join(conditions)} THEN NULL ELSE ({object_sql}) END",
            [*params, *object_params],
        )


def _iso_date_time(sql: str) -> str:
    """DRF's ISO 8601 text of a date-time in UTC: ``2026-11-28T09:30:00Z``, with six digits of
    microseconds before the ``Z`` when there are any (as ``datetime.isoformat`` writes it)."""
    utc = f"(({sql}) AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, CASE WHEN date_trunc('second', {utc}) = {utc} "
        """THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
    )


def rendered_page(
    rows: list[dict[str, Any]], *, next_link: str | None, previous_link: str | None
) -> RenderedJSON:
    """A keyset page's body (``next``, ``previous``, ``results``) around rows already JSON."""

    def link(value: str | None) -> str:
        return json.dumps(value, ensure_ascii=False)

    # As DRF's renderer does, the two line separators JavaScript reads as line ends are
    # escaped, so the body can be embedded in a script (PostgreSQL leaves them as they are).
    results = (
        ",".join(row[JSON_KEY] for row in rows)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return RenderedJSON(
        f'{{"next":{link(next_link)},"previous":{link(previous_link)},"results":[{results}]}}'.encode()
    )
