"""The app's URLs plus the benchmark's floor.

``/bench/floor/`` is the cheapest possible DRF endpoint. It goes through everything an API
request goes through — middleware, token authentication, permissions, rate limits, JSON
rendering — and does nothing else, so the benchmark can say how close each real endpoint
comes to the framework's own cost.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns


class FloorView(APIView):
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"ok": True})


urlpatterns = [path("bench/floor/", FloorView.as_view()), *app_urlpatterns]
