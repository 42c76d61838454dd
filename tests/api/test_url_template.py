"""Row URLs are reversed once per URL configuration and script prefix, and made absolute with
each request's own scheme and host, as DRF's hyperlinked fields make them."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import set_script_prefix
from rest_framework import serializers
from rest_framework.request import Request

from api.serializers import url_template


def drf_url(view_name: str, request: Request, pk: int) -> str:
    field = serializers.HyperlinkedIdentityField(view_name=view_name)
    return str(field.reverse(view_name, kwargs={"pk": pk}, request=request, format=None))


def template_url(view_name: str, request: Request, pk: int) -> str:
    template = url_template(view_name, "pk", request)
    assert template is not None
    before, after = template
    return f"{before}{pk}{after}"


@pytest.mark.parametrize(
    ("host", "secure", "prefix"),
    [
        ("one.example", False, "/"),
        ("two.example:8443", True, "/"),
        ("one.example", False, "/vendorwatch/"),
    ],
)
def test_each_request_gets_its_own_scheme_host_and_prefix(settings, host, secure, prefix):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    set_script_prefix(prefix)
    try:
        for view_name in ("api:flag-detail", "api:inventoryitem-detail"):
            request = Request(RequestFactory().get("/", HTTP_HOST=host, secure=secure))
            url = template_url(view_name, request, 42)
            assert url == drf_url(view_name, request, 42)
            scheme = "https" if secure else "http"
            assert url.startswith(f"{scheme}://{host}{prefix}api/v1/")
    finally:
        set_script_prefix("/")


def test_a_changed_url_configuration_is_followed(settings):
    request = Request(RequestFactory().get("/"))
    assert template_url("api:flag-detail", request, 7) == "http://testserver/api/v1/flags/7/"
    settings.ROOT_URLCONF = "tests.api.urls_moved"
    assert template_url("api:flag-detail", request, 7) == "http://testserver/elsewhere/flags/7/"
    assert template_url("api:flag-detail", request, 7) == drf_url("api:flag-detail", request, 7)
