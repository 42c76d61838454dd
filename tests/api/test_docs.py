"""The OpenAPI schema and its documentation pages, under the Content-Security-Policy."""

import re
from pathlib import Path

import jsonschema
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


def _schema(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    return yaml.safe_load(target.read_text())


def _as_json_schema(node, components):
    """An OpenAPI 3.0 schema as JSON Schema: references resolved, ``nullable`` as a type."""
    if isinstance(node, list):
        return [_as_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _as_json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    converted = {
        key: _as_json_schema(value, components)
        for key, value in node.items()
        if key not in ("nullable", "example", "format")
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _examples(content):
    if "example" in content:
        return {"example": content["example"]}
    return {name: example["value"] for name, example in content.get("examples", {}).items()}


def test_every_operation_shows_examples_that_fit_its_schema(tmp_path):
    # Each JSON body an operation takes and each it answers with (2xx) has an example, and
    # every example is valid under the schema it illustrates.
    schema = _schema(tmp_path)
    components = schema["components"]["schemas"]
    missing, invalid = [], []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
            bodies += [
                (code, response.get("content", {}))
                for code, response in operation["responses"].items()
                if code.startswith("2")
            ]
            for where, contents in bodies:
                for media_type, content in contents.items():
                    place = f"{method.upper()} {path} {where} {media_type}"
                    examples = _examples(content)
                    if not examples:
                        missing.append(place)
                        continue
                    if "json" not in media_type:
                        continue
                    validator = jsonschema.Draft7Validator(
                        _as_json_schema(content["schema"], components)
                    )
                    for name, value in examples.items():
                        for error in validator.iter_errors(value):
                            invalid.append(f"{place} {name}: {error.message} at {error.path}")
    problems = [f"no example: {place}" for place in missing] + invalid
    assert not problems, "\n".join(problems)
