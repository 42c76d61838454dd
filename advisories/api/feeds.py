"""API endpoint of the feed importer: upload one CSAF 2.0 document."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advisories.feeds.errors import FeedError
from advisories.feeds.services import csaf_import
from config.api_permissions import CatalogueEditorOrReadOnly, TokenAccessPermission


class CsafImportView(APIView):
    """Import a CSAF 2.0 document: the JSON itself as the body, or a multipart ``file``.

    201 when it created an advisory; 200 when it updated one, or changed nothing (same or
    older version); 400 with the problems (JSON path and message) when it is refused.
    """

    permission_classes = [TokenAccessPermission, CatalogueEditorOrReadOnly]
    # The JSON parser is listed for the schema; the body is read raw so that the document's
    # bytes, not a re-serialization, are what gets validated and kept.
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": OpenApiTypes.OBJECT,
        },
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="Imported."),
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Updated, or nothing to do."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Refused, with its problems."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.content_type.startswith("multipart/form-data"):
            upload = request.FILES.get("file")
            if upload is None:
                return Response({"detail": "Send the document as the 'file' field."}, status=400)
            content, name = upload.read(), upload.name or "the upload"
        else:
            content, name = request.body, "the request body"
        try:
            result = csaf_import(content=content, name=name, user=request.user, request=request)
        except FeedError as error:
            return Response(
                {
                    "detail": str(error),
                    "problems": [{"path": p.path, "message": p.message} for p in error.problems],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                "outcome": result.outcome,
                "advisory": result.advisory.pk,
                "identifier": result.advisory.identifier,
                "message": result.message,
                "warnings": list(result.warnings),
            },
            status=status.HTTP_201_CREATED if result.outcome == "imported" else status.HTTP_200_OK,
        )
