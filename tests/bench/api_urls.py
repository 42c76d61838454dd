"""The app's URLs plus ``/bench/floor/``: the cheapest possible DRF endpoint.

The floor goes through everything an API request goes through — middleware, token
authentication, permissions, throttles, JSON rendering — and does nothing else, so the
benchmark can say how close each real endpoint comes to the framework's own cost.
"""

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
