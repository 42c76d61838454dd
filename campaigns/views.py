"""Pages of campaigns. Every object is found through the one tenant rule: a plan, attestation
or evidence file of an organization the user may not see is not found (404), like a missing
one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from campaigns.models import Evidence, evidence_storage


@login_required
@require_GET
def evidence_download_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An evidence file, as an attachment, to who may see its organization."""
    evidence = Evidence.objects.visible_to(request.user).filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such evidence file.")
    response = FileResponse(
        evidence_storage().open(evidence.stored_as, "rb"),
        as_attachment=True,
        filename=evidence.name,
        content_type=evidence.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
