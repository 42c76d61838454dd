"""Inventory import by upload: ``POST /api/v1/inventory-imports/`` and the jobs' status.

A small file is applied while the request waits (201, or 400 with every error); a large one is
queued (202) and its job, at ``/api/v1/inventory-imports/<id>/``, reports the progress. Either
way nothing is stored unless the whole file is valid.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from api.viewsets import TenantViewSetMixin
from orgs.choices import ImportFormat, ImportMode, ImportStatus, Role
from orgs.filtersets import OrganizationsFilter
from orgs.importers.common import ImportFileError, format_detect, import_limits, size_error
from orgs.importers.services import inventory_import_submit
from orgs.models import ImportJob, Organization, User


class ImportErrorSerializer(serializers.Serializer[Any]):
    location = serializers.CharField(
        help_text="Where: 'line 7, quantity' (CSV), 'components[3].version' (CycloneDX), "
        "or empty for the whole file."
    )
    message = serializers.CharField()


# A small CSV file applied while the upload waited.
_JOB_EXAMPLE: dict[str, Any] = {
    "id": 57,
    "url": "https://vendorwatch.example.org/api/v1/inventory-imports/57/",
    "organization": 3,
    "created_by": "j.becker",
    "file_format": "csv",
    "mode": "add",
    "filename": "cmdb-export-2026-11-20.csv",
    "status": "succeeded",
    "total_rows": 312,
    "rows_parsed": 312,
    "created_count": 312,
    "updated_count": 0,
    "removed_count": 0,
    "unresolved_count": 14,
    "error_count": 0,
    "errors": [],
    "created_at": "2026-11-20T16:42:07Z",
    "started_at": "2026-11-20T16:42:07Z",
    "finished_at": "2026-11-20T16:42:09Z",
}

# A large CycloneDX SBOM, queued for a worker.
_QUEUED_JOB_EXAMPLE: dict[str, Any] = {
    **_JOB_EXAMPLE,
    "id": 58,
    "url": "https://vendorwatch.example.org/api/v1/inventory-imports/58/",
    "file_format": "cyclonedx",
    "mode": "replace",
    "filename": "leitsystem-sbom.cdx.json",
    "status": "queued",
    "total_rows": 6840,
    "rows_parsed": 0,
    "created_count": 0,
    "unresolved_count": 0,
    "created_at": "2026-11-20T17:03:51Z",
    "started_at": None,
    "finished_at": None,
}


@extend_schema_serializer(
    examples=[OpenApiExample("A CSV file applied at once", value=_JOB_EXAMPLE, response_only=True)]
)
class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    """An import and its progress: ``rows_parsed`` of ``total_rows`` validated so far."""

    url = serializers.HyperlinkedIdentityField(view_name="api:inventory-import-detail")
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    # DRF's metaclass takes declared fields off the class, so this does not shadow
    # Serializer.errors; the stubs cannot know that.
    errors = ImportErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "organization",
            "created_by",
            "file_format",
            "mode",
            "filename",
            "status",
            "total_rows",
            "rows_parsed",
            "created_count",
            "updated_count",
            "removed_count",
            "unresolved_count",
            "error_count",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer[Any]):
    organization = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="Id of the organization whose inventory receives the items.",
    )
    file = serializers.FileField(help_text="A CSV file or a CycloneDX JSON SBOM, UTF-8.")
    mode = serializers.ChoiceField(
        choices=ImportMode.choices,
        default=ImportMode.ADD,
        help_text="add appends the items. replace replaces the organization's items that came "
        "from the same kind of file: one whose external_ref a row repeats is updated in place, "
        "the others are removed (their flags resolve as 'item removed').",
    )
    file_format = serializers.ChoiceField(
        choices=ImportFormat.choices,
        required=False,
        help_text="By default from the file name's extension, else from its content.",
    )


class ImportFailureSerializer(serializers.Serializer[Any]):
    """A refused upload: the file's errors (with the failed job's fields when a job was made),
    or, for a malformed request, the refused fields mapped to their messages."""

    detail = serializers.CharField(required=False)
    errors = ImportErrorSerializer(many=True, required=False)  # type: ignore[assignment]  # see ImportJobSerializer
    error_count = serializers.IntegerField(
        required=False, help_text="All errors; at most 1,000 are listed."
    )


class ImportJobFilterSet(django_filters.FilterSet):
    # A job has one organization, so no row can come twice: no DISTINCT needed.
    organization = OrganizationsFilter()
    status = django_filters.MultipleChoiceFilter(choices=ImportStatus.choices)

    class Meta:
        model = ImportJob
        fields = ["organization", "status"]


_CSV_EXAMPLE = (
    "vendor;product;version;quantity;environment;criticality;external_ref\n"
    "AO Kaspersky Lab;Kaspersky Endpoint Security;11.1.1;25;production;critical;CMDB-0042\n"
)


@extend_schema_view(
    list=extend_schema(
        summary="List inventory imports",
        description="The imports of the organizations you may see, newest first.",
    ),
    retrieve=extend_schema(
        summary="Get an inventory import",
        description="Its status and progress: `rows_parsed` of `total_rows` validated so far, "
        "then the counts, or every error.",
    ),
)
@extend_schema(tags=["inventory"])
class ImportJobViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    GenericViewSet[ImportJob],
):
    """Upload inventory files, and follow what became of them."""

    # The files can be megabytes; no response shows them.
    queryset = ImportJob.objects.defer("content").select_related("created_by")
    serializer_class = ImportJobSerializer
    # Only uploads have a body, and they come as multipart/form-data.
    parser_classes = [MultiPartParser]
    filterset_class = ImportJobFilterSet
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @extend_schema(
        summary="Import an inventory file",
        description=(
            "Upload a CSV file (UTF-8 with or without BOM, comma or semicolon; columns vendor, "
            "product, version, cpe, purl, quantity, environment, criticality, external_ref, "
            "notes) or a CycloneDX 1.4–1.6 JSON SBOM as multipart/form-data. The file is "
            "applied all-or-nothing. Up to 2,000 rows it is applied at once: 201 with the "
            "counts, or 400 with every error by line (CSV) or JSON path (CycloneDX). A larger "
            "file is queued: 202, and the job's URL reports its progress. Needs the analyst "
            "role in the organization; an organization you cannot see answers 404."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportJobSerializer,
            202: ImportJobSerializer,
            400: ImportFailureSerializer,
            403: OpenApiResponse(description="You lack the analyst role in the organization."),
            404: OpenApiResponse(description="No such organization, or not yours to see."),
        },
        examples=[
            OpenApiExample(
                "CSV upload",
                value={
                    "organization": 3,
                    "file": _CSV_EXAMPLE,
                    "mode": "add",
                    "file_format": "csv",
                },
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample(
                "A CSV file applied at once",
                value=_JOB_EXAMPLE,
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "A large SBOM queued",
                value=_QUEUED_JOB_EXAMPLE,
                response_only=True,
                status_codes=["202"],
            ),
            OpenApiExample(
                "Rejected file",
                value={
                    "detail": "Nothing was imported: 1 error.",
                    "errors": [
                        {"location": "line 7, quantity", "message": "must be a whole number ≥ 1"}
                    ],
                    "error_count": 1,
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        organization = get_object_or_404(
            Organization.objects.visible_to(request.user), pk=data["organization"]
        )
        self.require_role(organization, Role.ANALYST)
        max_bytes, _ = import_limits()
        file = data["file"]
        try:
            # Checked before reading, so that an oversized upload is never loaded into memory.
            if file.size is not None and file.size > max_bytes:
                raise size_error(file.size)
            content = file.read()
            file_format = data.get("file_format") or format_detect(file.name or "", content)
            job = inventory_import_submit(
                organization=organization,
                user=request.user,
                file_format=file_format,
                mode=data["mode"],
                filename=file.name or "",
                content=content,
                request=request,
            )
        except ImportFileError as error:
            return _failure([row_error.as_dict() for row_error in error.errors], len(error.errors))
        # Read back: with eager tasks (no broker, the quick start) a queued job has already
        # run by now, and the answer should say so.
        job = self.get_queryset().get(pk=job.pk)
        body = self.get_serializer(job).data
        if job.status == ImportStatus.FAILED:
            return _failure(body["errors"], job.error_count, job=body)
        if job.status == ImportStatus.SUCCEEDED:
            return Response(body, status=status.HTTP_201_CREATED)
        url = reverse("api:inventory-import-detail", kwargs={"pk": job.pk}, request=request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


def _failure(
    errors: list[dict[str, str]], count: int, *, job: dict[str, Any] | None = None
) -> Response:
    plural = "s" if count != 1 else ""
    body = {
        **(job or {}),
        "detail": f"Nothing was imported: {count} error{plural}.",
        "errors": errors,
        "error_count": count,
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)
