"""Inventory upload: a CSV file or a CycloneDX SBOM, applied all-or-nothing.

The form posts through htmx, so that the page can show the upload's progress and then the
outcome in place: a small file is applied while the request waits and the answer is its
counts or its per-line error report; a large one becomes a queued ``ImportJob`` whose progress
the page polls until a worker has applied it. Without JavaScript the form posts normally and
the browser lands on the job's page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from exposure.selectors import flags_from_import
from orgs.choices import ImportMode, ImportStatus, Role
from orgs.forms import InventoryUploadForm
from orgs.importers.common import ImportFileError, RowError, format_detect
from orgs.importers.services import inventory_import_refuse, inventory_import_submit
from orgs.models import ImportJob, Organization
from orgs.views import organization_for

# How many of the organization's latest imports the upload page lists.
RECENT_IMPORTS = 10
# How often a page asks for the progress of a queued or running import.
POLL_SECONDS = 1
# The parameter with which the upload page's status block polls (``_job_context``).
UPLOAD_PAGE = "upload_page"


class HtmxRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it: ``htmx`` says whether htmx sent it."""

    htmx: HtmxDetails


def _job(request: HttpRequest, organization: Organization, pk: int) -> ImportJob:
    """The organization's import ``pk``, without the file it may still hold."""
    job = (
        ImportJob.objects.visible_to(request.user)
        .filter(organization=organization, pk=pk)
        .defer("content")
        .select_related("created_by")
        .first()
    )
    if job is None:
        raise Http404("No such import.")
    return job


def _recent(request: HttpRequest, organization: Organization) -> list[ImportJob]:
    return list(
        ImportJob.objects.visible_to(request.user)
        .filter(organization=organization)
        .defer("content", "errors")
        .select_related("created_by")[:RECENT_IMPORTS]
    )


def _job_context(
    request: HttpRequest, organization: Organization, job: ImportJob, *, upload_page: bool
) -> dict[str, object]:
    """What the job's status block shows. It keeps polling until the job is applied and its
    items matched (the count of new flags grows until then); on the upload page each answer
    also brings the latest uploads up to date (``upload_page``)."""
    flags = flags_from_import(job=job, user=request.user)
    finished = job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED) and not flags.matching
    status_url = reverse("orgs:import_detail", kwargs={"slug": organization.slug, "pk": job.pk})
    context: dict[str, object] = {
        "organization": organization,
        "job": job,
        "flags": flags,
        "finished": finished,
        "poll_seconds": POLL_SECONDS,
        "status_url": f"{status_url}?{UPLOAD_PAGE}=1" if upload_page else status_url,
        "upload_page": upload_page,
    }
    if upload_page:
        context["imports"] = _recent(request, organization)
    return context


@login_required
def import_view(request: HtmxRequest, slug: str) -> HttpResponse:
    """The upload form and the latest imports; on POST, receive a file."""
    organization, _role = organization_for(request, slug, Role.ANALYST)
    form = InventoryUploadForm(request.POST or None, request.FILES or None)
    file_errors: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        file_format = form.cleaned_data["file_format"] or format_detect(upload.name or "", content)
        try:
            job = inventory_import_submit(
                organization=organization,
                user=request.user,
                file_format=file_format,
                mode=form.cleaned_data["mode"],
                filename=upload.name or "",
                content=content,
                request=request,
            )
        except ImportFileError as error:
            # The file cannot be read at all: nothing of it is stored, but the refusal is
            # listed with the other uploads, its report with it.
            file_errors = error.errors
            job = inventory_import_refuse(
                organization=organization,
                user=request.user,
                file_format=file_format,
                mode=form.cleaned_data["mode"],
                filename=upload.name or "",
                errors=file_errors,
                request=request,
            )
            if request.htmx:
                context = _job_context(request, organization, job, upload_page=True)
                return render(request, "orgs/_import_job.html", context)
        else:
            if request.htmx:
                # Read back: with in-process tasks (no broker) a queued job has already run.
                job = _job(request, organization, job.pk)
                context = _job_context(request, organization, job, upload_page=True)
                return render(request, "orgs/_import_job.html", context)
            return redirect("orgs:import_detail", slug=organization.slug, pk=job.pk)
    elif request.method == "POST" and form.has_error("file") and "file" in request.FILES:
        # A file refused before it is read (larger than the limit) is listed as well.
        filename = str(getattr(request.FILES["file"], "name", "") or "")
        file_errors = [RowError("", str(message)) for message in form.errors["file"]]
        job = inventory_import_refuse(
            organization=organization,
            user=request.user,
            file_format=form.cleaned_data.get("file_format") or format_detect(filename, b""),
            mode=form.cleaned_data.get("mode") or ImportMode.ADD,
            filename=filename,
            errors=file_errors,
            request=request,
        )
        if request.htmx:
            context = _job_context(request, organization, job, upload_page=True)
            return render(request, "orgs/_import_job.html", context)
    if request.htmx:
        # htmx swaps only successful answers; the refusal is this request's outcome.
        return render(
            request,
            "orgs/_import_refused.html",
            {"form": form, "file_errors": file_errors},
        )
    context = {
        "organization": organization,
        "form": form,
        "file_errors": file_errors,
        "imports": _recent(request, organization),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/import.html", context, status=status)


@login_required
@require_GET
def import_detail_view(request: HtmxRequest, slug: str, pk: int) -> HttpResponse:
    """One import: its progress while it runs, then its counts or its error report. An htmx
    request (the page polling) gets the status block alone."""
    organization, _role = organization_for(request, slug)
    upload_page = request.htmx and request.GET.get(UPLOAD_PAGE) == "1"
    context = _job_context(
        request, organization, _job(request, organization, pk), upload_page=bool(upload_page)
    )
    if request.htmx:
        return render(request, "orgs/_import_job.html", context)
    return render(request, "orgs/import_detail.html", context)
