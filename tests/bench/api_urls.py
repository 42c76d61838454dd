"""The app's URLs plus two of the benchmark's own endpoints: a floor and a bound.

``/bench/floor/`` is the cheapest possible DRF endpoint. It goes through everything an API
request goes through — middleware, token authentication, permissions, rate limits, JSON
rendering — and does nothing else, so the benchmark can say how close each real endpoint
comes to the framework's own cost.

``/bench/statements/?path=<a list's path>`` is what that list costs at the least: the same
request (middleware, authentication, rate limits, the organizations its token may see), then
the list's own page statement, run as the list runs it (prepared, with the same parameters),
its rows' JSON joined into a body. No FilterSet, queryset, ordering, pagination or link is
built: it is the list minus the work Python does to find out what to ask. The statement is
taken, once per server process and path, from a real request to the list (the first request
of each path runs the list itself).
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection
from django.test import RequestFactory
from django.urls import path, resolve
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_json import RenderedJSON
from config.prepared import prepared_statements
from config.urls import urlpatterns as app_urlpatterns
from orgs.scoping import request_visible_organization_ids


class FloorView(APIView):
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"ok": True})


_statements: dict[str, tuple[str, list[Any]]] = {}
_lock = threading.Lock()


def _page_statement(request: Request, list_path: str) -> tuple[str, list[Any]]:
    """The page statement a request for ``list_path`` runs, with its parameters."""
    with _lock:
        if list_path not in _statements:
            path_info, _, query = list_path.partition("?")
            same = RequestFactory().get(
                f"{path_info}?{query}",
                HTTP_AUTHORIZATION=request.headers.get("Authorization", ""),
                HTTP_HOST=request.get_host(),
            )
            seen: list[tuple[str, list[Any]]] = []

            def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                if '"__page"' in sql:
                    seen.append((sql, list(params)))
                return execute(sql, params, many, context)

            match = resolve(path_info)
            with connection.execute_wrapper(capture):
                response = match.func(same, *match.args, **match.kwargs)
            if response.status_code != 200 or len(seen) != 1:
                raise RuntimeError(f"{list_path}: no page statement ({response.status_code})")
            _statements[list_path] = seen[0]
        return _statements[list_path]


class StatementsView(APIView):
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sql, params = _page_statement(request, request.query_params["path"])
        request_visible_organization_ids(request)
        with connection.cursor() as cursor, prepared_statements(connection):
            cursor.execute(sql, params)
            rows = [row[-1] for row in cursor.fetchall()]
        return Response(RenderedJSON(f'{{"results":[{",".join(rows)}]}}'.encode()))


urlpatterns = [
    path("bench/floor/", FloorView.as_view()),
    path("bench/statements/", StatementsView.as_view()),
    *app_urlpatterns,
]
