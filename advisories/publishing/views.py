"""The CSAF document of one of our advisories, for those who may read it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from advisories.models import Advisory
from advisories.publishing.documents import (
    CsafExportRefused,
    advisory_csaf_checked,
    csaf_bytes,
    exportable_advisories,
)
from advisories.selectors import advisories_visible_to
from orgs.permissions import can_edit_catalogue


@login_required
@require_GET
def advisory_csaf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The advisory as a CSAF 2.0 file, or, when it fails the checks, why (422). Only our own
    sources' published and withdrawn advisories have one."""
    try:
        advisory = (
            exportable_advisories()
            .filter(pk__in=advisories_visible_to(user=request.user).values("pk"))
            .get(pk=pk)
        )
    except Advisory.DoesNotExist:
        raise Http404("No CSAF document of such an advisory.") from None
    try:
        document = advisory_csaf_checked(advisory)
    except CsafExportRefused as refused:
        context = {
            "advisory": advisory,
            "reasons": refused.reasons,
            "can_edit": can_edit_catalogue(request.user),
        }
        return render(request, "advisories/advisory_csaf_refused.html", context, status=422)
    response = HttpResponse(csaf_bytes(document), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{csaf_filename(advisory)}"'
    return response


def csaf_filename(advisory: Advisory) -> str:
    """The file name CSAF gives a document: its tracking id, lower case, with every character
    other than a-z, 0-9, '+', '-' as '_' (section 5.1)."""
    name = "".join(
        c if c.isascii() and (c.isalnum() or c in "+-") else "_"
        for c in advisory.identifier.lower()
    )
    return f"{name}.json"
