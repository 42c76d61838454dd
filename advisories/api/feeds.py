"""API endpoint of the feed importer: upload one CSAF 2.0 document."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advisories.feeds.errors import FeedError
from advisories.feeds.services import csaf_import
from api.parsers import JSONParser
from api.permissions import CatalogueEditorOrReadOnly, TokenAccessPermission

# Palo Alto Networks' advisory on CVE-2024-3400 as a CSAF 2.0 document, in short: one range
# per affected PAN-OS branch.
_PAN_OS_BRANCHES = [("10.2", "10.2.9-h1"), ("11.0", "11.0.4-h1"), ("11.1", "11.1.2-h3")]
_PAN_OS_IDS = [f"PAN-OS-{branch}" for branch, _fixed in _PAN_OS_BRANCHES]
_CSAF_EXAMPLE: dict[str, Any] = {
    "document": {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "distribution": {"tlp": {"label": "WHITE"}},
        "lang": "en",
        "notes": [
            {
                "category": "summary",
                "text": "A command injection in the GlobalProtect feature of PAN-OS lets an "
                "unauthenticated attacker run code with root privileges on the firewall.",
            }
        ],
        "publisher": {
            "category": "vendor",
            "name": "Palo Alto Networks PSIRT",
            "namespace": "https://security.paloaltonetworks.com",
        },
        "references": [
            {
                "category": "self",
                "summary": "Palo Alto Networks Security Advisory",
                "url": "https://security.paloaltonetworks.com/CVE-2024-3400",
            }
        ],
        "title": "PAN-OS GlobalProtect: unauthenticated command injection",
        "tracking": {
            "current_release_date": "2024-04-12T17:00:00.000Z",
            "id": "CVE-2024-3400",
            "initial_release_date": "2024-04-12T17:00:00.000Z",
            "revision_history": [
                {"date": "2024-04-12T17:00:00.000Z", "number": "1", "summary": "Initial release."}
            ],
            "status": "final",
            "version": "1",
        },
    },
    "product_tree": {
        "branches": [
            {
                "category": "vendor",
                "name": "Palo Alto Networks",
                "branches": [
                    {
                        "category": "product_name",
                        "name": "PAN-OS",
                        "branches": [
                            {
                                "category": "product_version_range",
                                "name": f"vers:generic/>={branch}.0|<{fixed}",
                                "product": {
                                    "name": f"PAN-OS {branch} before {fixed}",
                                    "product_id": f"PAN-OS-{branch}",
                                },
                            }
                            for branch, fixed in _PAN_OS_BRANCHES
                        ],
                    }
                ],
            }
        ]
    },
    "vulnerabilities": [
        {
            "cve": "CVE-2024-3400",
            "product_status": {"known_affected": _PAN_OS_IDS},
            "remediations": [
                {
                    "category": "vendor_fix",
                    "details": "Install the hotfix release for your branch (10.2.9-h1, "
                    "11.0.4-h1, 11.1.2-h3 or later).",
                    "product_ids": _PAN_OS_IDS,
                }
            ],
            "scores": [
                {
                    "cvss_v3": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                        "baseScore": 10.0,
                        "baseSeverity": "CRITICAL",
                    },
                    "products": _PAN_OS_IDS,
                }
            ],
        }
    ],
}
_IMPORTED = {
    "outcome": "imported",
    "advisory": 140,
    "identifier": "CVE-2024-3400",
    "message": "CVE-2024-3400 version 1 imported and published.",
    "warnings": [],
    "violations": [],
}


class CsafImportView(APIView):
    """Import a CSAF 2.0 document: the JSON itself as the body, or a multipart ``file``.

    201 when it created an advisory; 200 when it updated one, or changed nothing (same or
    older version); 400 with the problems (JSON path and message) when it is refused. A
    document that fails only mandatory tests that do not change what it says is imported, and
    ``violations`` lists them (JSON path and message), as the advisory keeps them.
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
        examples=[
            OpenApiExample(
                "A CSAF advisory",
                value=_CSAF_EXAMPLE,
                request_only=True,
                media_type="application/json",
            ),
            OpenApiExample(
                "A CSAF file",
                value={"file": "cve-2024-3400.json"},
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample("Imported", value=_IMPORTED, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Updated",
                value={
                    **_IMPORTED,
                    "outcome": "updated",
                    "message": "CVE-2024-3400 updated from version 1 to 2.",
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Already imported",
                value={
                    **_IMPORTED,
                    "outcome": "unchanged",
                    "message": "CVE-2024-3400 version 1 is already imported.",
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Not CSAF 2.0",
                value={
                    "detail": "the request body is not valid CSAF 2.0 (1 problem).",
                    "problems": [
                        {
                            "path": "/document",
                            "message": "schema: 'tracking' is a required property",
                        }
                    ],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
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
                "violations": [{"path": p.path, "message": p.message} for p in result.violations],
            },
            status=status.HTTP_201_CREATED if result.outcome == "imported" else status.HTTP_200_OK,
        )
