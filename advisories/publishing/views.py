"""The CSAF document of one of our advisories, for those who may read it, and our CSAF
provider (``provider``) that serves them all."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from advisories.models import Advisory
from advisories.publishing import provider
from advisories.publishing.documents import (
    CsafExportRefused,
    advisory_csaf_checked,
    csaf_bytes,
    csaf_filename,
    exportable_advisories,
)
from advisories.selectors import advisories_visible_to
from orgs.permissions import can_edit_catalogue
from orgs.scoping import Actor
from orgs.tokens import token_authenticate


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
    response["Content-Disposition"] = f'attachment; filename="{csaf_filename(advisory.identifier)}"'
    return response


# --- the provider (/.well-known/csaf/) ----------------------------------------------------


class _Unauthorized(Exception):
    """The request names no reader where one is needed, or a token that is not valid."""


def _reader(request: HttpRequest, folder: str) -> Actor:
    """Who asks: the user of a valid API token (checked as the API checks it), else the
    signed-in user. Only the public folder may be read by nobody."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        token = token_authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise _Unauthorized
        user = token.user
        user.api_token = token  # type: ignore[attr-defined]
        return user
    if folder != provider.PUBLIC_FOLDER and not request.user.is_authenticated:
        raise _Unauthorized
    return request.user


def _unauthorized() -> HttpResponse:
    response = HttpResponse(
        "An API token whose user may read these advisories is needed: "
        "send 'Authorization: Bearer <token>'.\n",
        status=401,
        content_type="text/plain",
    )
    response["WWW-Authenticate"] = 'Bearer realm="csaf"'
    return response


def _folder_base(request: HttpRequest, folder: str) -> str:
    index = reverse("csaf:folder_file", kwargs={"folder": folder, "name": "index.txt"})
    return request.build_absolute_uri(index).removesuffix("index.txt")


@require_GET
def provider_metadata_view(request: HttpRequest) -> HttpResponse:
    base = request.build_absolute_uri(reverse("csaf:provider_metadata")).removesuffix(
        "provider-metadata.json"
    )
    return JsonResponse(provider.provider_metadata(base=base), json_dumps_params={"indent": 2})


@require_GET
def public_key_view(request: HttpRequest, fingerprint: str) -> HttpResponse:
    if not fingerprint or fingerprint.upper() != provider.signing_fingerprint():
        raise Http404("No such key.")
    return HttpResponse(provider.public_key(), content_type="application/pgp-keys")


@require_GET
def folder_file_view(request: HttpRequest, folder: str, name: str) -> HttpResponse:
    """A folder's ``index.txt``, ``changes.csv`` or ROLIE feed."""
    if folder not in provider.FOLDER_LABELS:
        raise Http404("No such folder.")
    try:
        reader = _reader(request, folder)
    except _Unauthorized:
        return _unauthorized()
    if name == "index.txt":
        return HttpResponse(provider.index_txt(folder, reader), content_type="text/plain")
    if name == "changes.csv":
        return HttpResponse(provider.changes_csv(folder, reader), content_type="text/csv")
    if name == provider.feed_name(folder):
        feed = provider.rolie_feed(folder, reader, base=_folder_base(request, folder))
        return JsonResponse(feed, json_dumps_params={"indent": 2})
    raise Http404("No such file.")


@require_GET
def document_view(request: HttpRequest, folder: str, year: str, name: str) -> HttpResponse:
    """A document, its ``.sha512`` or its ``.asc``."""
    if folder not in provider.FOLDER_LABELS:
        raise Http404("No such folder.")
    try:
        reader = _reader(request, folder)
    except _Unauthorized:
        return _unauthorized()
    document_name, suffix = name, ""
    for extension in (".sha512", ".asc"):
        if name.endswith(extension):
            document_name, suffix = name.removesuffix(extension), extension
    advisory = provider.find(folder, f"{year}/{document_name}", reader)
    if advisory is None:
        raise Http404("No such document.")
    served = provider.served(advisory)
    if served.refused:
        return HttpResponse(
            "This document fails the CSAF checks and is not served:\n"
            + "".join(f"- {reason}\n" for reason in served.refused),
            status=422,
            content_type="text/plain",
        )
    if suffix == ".sha512":
        return HttpResponse(f"{served.sha512}  {document_name}\n", content_type="text/plain")
    if suffix == ".asc":
        if not served.signature:
            raise Http404("Documents are not signed here.")
        return HttpResponse(served.signature, content_type="application/pgp-signature")
    return HttpResponse(served.content, content_type="application/json")
