"""The API's JSON request parser: DRF's, with a size limit and a nesting limit.

DRF reads a JSON body whole and hands it to the standard library, which recurses once per
level: a body a thousand levels deep (a few kilobytes) exhausts the interpreter's stack and
answers 500, and a shallower one that parses may still break whatever walks it later (a JSON
column's encoder, a serializer). No request the API takes nests deeper than a handful of
levels, so a body deeper than ``API_JSON_MAX_DEPTH`` is refused with 400, and one larger than
``API_JSON_MAX_BYTES`` with 413 before it is read. A string holding a NUL or another control
character (tabs and line breaks are text), or an unpaired surrogate, is refused with 400 naming
where it is (``vendors.untrusted``), whatever field it is in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser as DrfJSONParser
from rest_framework.settings import api_settings

from vendors.untrusted import json_depth_exceeds, json_text_problems


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(DrfJSONParser):
    """JSON bodies up to ``API_JSON_MAX_BYTES`` and ``API_JSON_MAX_DEPTH`` levels."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            raise ParseError("JSON parse error - the body is empty.")
        limit: int = settings.API_JSON_MAX_BYTES
        request = (parser_context or {}).get("request")
        declared = str(request.META.get("CONTENT_LENGTH") or "") if request is not None else ""
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        depth: int = settings.API_JSON_MAX_DEPTH
        too_deep = f"JSON parse error - the body nests more than {depth} levels."
        try:
            text = body.decode(encoding)
            parse_constant = _refuse_constant if api_settings.STRICT_JSON else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(too_deep) from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if json_depth_exceeds(data, depth):
            raise ParseError(too_deep)
        problems = json_text_problems(data, limit=20)
        if problems:
            # Named as the serializers name fields: "notes", "targets.0.note".
            raise ValidationError(
                {".".join(map(str, path)) or "body": [problem] for path, problem in problems}
            )
        return data
