"""The OpenAPI schema and its documentation pages, under the Content-Security-Policy."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_schema_generates_valid_and_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }


def test_every_operation_has_a_summary_and_documents_its_errors(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert {"401", "403", "429"} <= set(operation["responses"]), f"{method} {path}"


def _scripts_and_styles(html):
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style", html)
    return scripts, styles


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_load_their_javascript_from_files_the_csp_allows(page):
    client = Client()
    response = client.get(page)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    scripts, styles = _scripts_and_styles(html)
    assert scripts and not styles
    for attributes, body in scripts:
        assert not body.strip(), "inline script"
        src = re.search(r'src="([^"]+)"', attributes).group(1).replace("&amp;", "&")
        assert src.startswith("/"), f"{src} is not served by the app"
        assert len(_script_text(client, src)) > 100, src


def _script_text(client, src):
    """The script at ``src``: a static file (served by WhiteNoise or runserver, which the test
    client does not run) or a page of the app."""
    if src.startswith(settings.STATIC_URL):
        path = finders.find(src.removeprefix(settings.STATIC_URL))
        assert path, f"{src} is not among the static files"
        return Path(path).read_text(encoding="utf-8")
    response = client.get(src)
    assert response.status_code == 200, src
    assert "javascript" in response.headers["Content-Type"]
    return response.content.decode()


def test_the_swagger_initializer_points_at_the_schema_and_sends_the_csrf_token():
    client = Client()
    script = client.get("/api/v1/docs/?script=").content.decode()
    assert '"/api/v1/schema/"' in script
    assert "X-CSRFTOKEN" in script.upper()
    assert client.get("/api/v1/schema/").status_code == 200
