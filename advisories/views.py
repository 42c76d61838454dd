"""Pages of advisories: the list, an advisory's page, and the editor (drafts, targets, impact
preview, publish, withdraw)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from advisories.choices import AdvisoryKind, AdvisoryStatus, TargetKind
from advisories.filtersets import AdvisoryFilterSet
from advisories.forms import (
    AdvisoryEditForm,
    AdvisoryEditorForm,
    PublishForm,
    TargetFormSet,
    WithdrawForm,
    formset_targets,
)
from advisories.models import Advisory, AffectedTarget, Source
from advisories.selectors import (
    PossibleDuplicate,
    advisory_duplicates,
    advisory_own_duplicates,
    advisory_targets,
    version_range_check,
)
from advisories.selectors import (
    advisory_detail as select_advisory,
)
from advisories.services import (
    AdvisoryStateError,
    advisory_create,
    advisory_publish,
    advisory_update,
    advisory_withdraw,
    target_compile,
)
from exposure.selectors import (
    advisories_with_active_flags,
    advisory_flag_impact,
    advisory_impact,
    advisory_match_progress,
)
from listing.pages import (
    DateRange,
    OneOfSelect,
    SortColumn,
    checkboxes,
    csv_response,
    csv_rows,
    filter_fields,
    paginate,
    sort_queryset,
)
from orgs.permissions import can_edit_catalogue
from vendors.choices import CriticalityTier, Sector

# Organizations per page of an advisory's impact table.
IMPACT_ROWS = 25

LIST_COLUMNS = [
    SortColumn("identifier", "Identifier", ("identifier",)),
    SortColumn("title", "Title", ("title",)),
    SortColumn("source", "Source", ("source__name",)),
    SortColumn("severity", "Severity", ("severity_rank",), descending_first=True),
    SortColumn("kind", "Kind", ("kind",)),
    SortColumn("status", "Status", ("status",)),
    SortColumn("issued", "Issued", ("issued_on",)),
    SortColumn("published", "Published", ("published_at",)),
    SortColumn("flags", "Open flags", ("active_flags",)),
]

CSV_HEADER = [
    "identifier",
    "title",
    "source",
    "kind",
    "severity",
    "cvss_score",
    "status",
    "recommended_action",
    "action_deadline",
    "issued_on",
    "published_at",
    "open_flags_in_your_organizations",
    "url",
]


def _csv_row(request: HttpRequest) -> Any:
    def row(advisory: Any) -> list[Any]:
        return [
            advisory.identifier,
            advisory.title,
            advisory.source.name,
            advisory.kind,
            advisory.severity,
            advisory.cvss_score,
            advisory.status,
            advisory.recommended_action,
            advisory.action_deadline,
            advisory.issued_on,
            advisory.published_at,
            advisory.active_flags,
            request.build_absolute_uri(advisory.get_absolute_url()),
        ]

    return row


@login_required
@require_GET
def advisory_list_view(request: HttpRequest) -> HttpResponseBase:
    """Advisories with the FilterSet the API uses, sorting, pagination and a CSV export."""
    queryset = advisories_with_active_flags(user=request.user)
    filterset = AdvisoryFilterSet(request.GET, queryset=queryset, request=request)
    fields = filter_fields(
        filterset,
        ("q", "severity", "kind", "status", "source", "issued"),
        widgets={
            "severity": checkboxes(),
            "kind": checkboxes(),
            "status": checkboxes(),
            "source": OneOfSelect(any_label="Any source"),
            "issued": DateRange("Issued"),
        },
    )
    filtered = filterset.qs if filterset.is_valid() else queryset.none()
    ordered, sort = sort_queryset(filtered, request, LIST_COLUMNS, default="-published")
    if request.GET.get("format") == "csv":
        stamp = timezone.localdate().isoformat()
        return csv_response(
            filename=f"advisories-{stamp}.csv",
            header=CSV_HEADER,
            rows=csv_rows(ordered, _csv_row(request)),
        )
    context = {
        "page": paginate(ordered, request),
        "filter_fields": fields,
        "sort": sort,
        "can_edit": can_edit_catalogue(request.user),
        "filtered": any(value for key, value in request.GET.items() if key not in ("sort", "page")),
    }
    return render(request, "advisories/advisory_list.html", context)


@login_required
@require_GET
def advisory_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An advisory: what it says, what it covers, and what it flagged in the organizations the
    user may see."""
    try:
        advisory = select_advisory(user=request.user, pk=pk)
    except Advisory.DoesNotExist:
        raise Http404("No such advisory.") from None
    targets = list(advisory_targets(advisory=advisory))
    impact = advisory_flag_impact(advisory=advisory, user=request.user, today=timezone.localdate())
    # ?affected=true narrows the table to the organizations it counts as affected (open flags).
    affected_only = request.GET.get("affected") == "true"
    rows = [row for row in impact.rows if row.active] if affected_only else impact.rows
    context = {
        "advisory": advisory,
        "targets": targets,
        "needs_review": [target for target in targets if target.needs_review],
        "audience_sectors": [
            Sector(s).label for s in advisory.audience_sectors if s in Sector.values
        ],
        "audience_tiers": [
            CriticalityTier(t).label for t in advisory.audience_tiers if t in CriticalityTier.values
        ],
        "impact": impact,
        "impact_rows": paginate(rows, request, per_page=IMPACT_ROWS, param="organizations"),
        "affected_only": affected_only,
        "match_run": advisory_match_progress(user=request.user, advisory=advisory),
        "revisions": advisory.revisions.select_related("created_by").order_by("-number"),
        "can_edit": can_edit_catalogue(request.user),
    }
    return render(request, "advisories/advisory_detail.html", context)


def _editor_only(request: HttpRequest) -> None:
    """Editor pages answer 403 to anyone who may not edit the catalogue."""
    if not can_edit_catalogue(request.user):
        raise PermissionDenied("Writing advisories is for advisory editors.")


def _editable(request: HttpRequest, pk: int) -> Advisory:
    _editor_only(request)
    try:
        return select_advisory(user=request.user, pk=pk)
    except Advisory.DoesNotExist:
        raise Http404("No such advisory.") from None


def _editor_forms(
    request: HttpRequest, advisory: Advisory
) -> tuple[AdvisoryEditorForm, BaseInlineFormSet[Any, Any, Any]]:
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    form_class = AdvisoryEditForm if advisory.pk else AdvisoryEditorForm
    form = form_class(data, instance=advisory, initial=initial)
    formset = TargetFormSet(
        data,
        instance=advisory,
        prefix="targets",
        queryset=AffectedTarget.objects.filter(advisory=advisory).select_related(
            "vendor", "product__vendor"
        )
        if advisory.pk
        else AffectedTarget.objects.none(),
    )
    return form, formset


def _render_editor(
    request: HttpRequest,
    advisory: Advisory,
    form: AdvisoryEditorForm,
    formset: BaseInlineFormSet[Any, Any, Any],
) -> HttpResponse:
    context = {"advisory": advisory, "form": form, "formset": formset}
    status = 400 if request.method == "POST" else 200
    return render(request, "advisories/advisory_form.html", context, status=status)


def _advisory_fields(form: AdvisoryEditorForm) -> dict[str, Any]:
    return {
        name: form.cleaned_data[name]
        for name in AdvisoryEditorForm.Meta.fields
        if name in form.cleaned_data
    }


@login_required
def advisory_create_view(request: HttpRequest) -> HttpResponse:
    """A new draft with its targets; nothing is flagged until it is published."""
    _editor_only(request)
    advisory = Advisory()
    form, formset = _editor_forms(request, advisory)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            advisory = advisory_create(
                user=request.user,
                request=request,
                targets=formset_targets(formset),
                cve_ids=form.cleaned_data["cve_ids"],
                references=[{"url": url} for url in form.cleaned_data["reference_urls"]],
                **_advisory_fields(form),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Draft {advisory.identifier} saved.")
            return redirect(advisory)
    return _render_editor(request, advisory, form, formset)


@login_required
def advisory_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft or a published advisory and its targets; a published one is re-matched
    at once and gets a revision."""
    advisory = _editable(request, pk)
    if advisory.status == AdvisoryStatus.WITHDRAWN:
        messages.error(request, "A withdrawn advisory cannot be changed.")
        return redirect(advisory)
    form, formset = _editor_forms(request, advisory)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            advisory_update(
                advisory=advisory,
                data=_advisory_fields(form),
                targets=formset_targets(formset),
                summary=form.cleaned_data.get("change_summary", ""),
                user=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{advisory.identifier} saved.")
            return redirect(advisory)
    return _render_editor(request, advisory, form, formset)


@login_required
def advisory_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Publishing, after a confirmation page that shows what it covers, what it would flag,
    and the targets that cannot match until they are fixed."""
    advisory = _editable(request, pk)
    targets = list(advisory_targets(advisory=advisory))
    duplicates = advisory_own_duplicates(advisory=advisory, user=request.user)
    # Only a draft is asked to confirm; publishing anything else is refused below, saying why.
    draft = advisory.status == AdvisoryStatus.DRAFT
    form = PublishForm(
        request.POST if request.method == "POST" else None,
        has_targets=bool(targets) or not draft,
        has_duplicates=bool(duplicates) and draft,
    )
    if request.method == "POST" and form.is_valid():
        try:
            advisory_publish(advisory=advisory, user=request.user, request=request)
        except AdvisoryStateError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"{advisory.identifier} is published; the organizations it matches are being "
                "flagged.",
            )
        return redirect(advisory)
    context = {
        "advisory": advisory,
        "targets": targets,
        "duplicates": duplicates,
        "form": form,
        "preview": advisory_impact(advisory=advisory, user=request.user),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "advisories/advisory_publish.html", context, status=status)


@login_required
def advisory_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdrawing, with a reason, after a confirmation page; the matcher resolves its flags."""
    advisory = _editable(request, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            advisory_withdraw(
                advisory=advisory,
                reason=form.cleaned_data["reason"],
                user=request.user,
                request=request,
            )
        except AdvisoryStateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{advisory.identifier} is withdrawn; its flags resolve.")
        return redirect(advisory)
    context = {
        "advisory": advisory,
        "form": form,
        "impact": advisory_flag_impact(
            advisory=advisory, user=request.user, today=timezone.localdate()
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "advisories/advisory_withdraw.html", context, status=status)


@login_required
@require_GET
def version_range_check_view(request: HttpRequest) -> HttpResponse:
    """How the range typed so far reads, with the caveat typed beside it (htmx, as the editor
    types): what publishing will store as the target's ``read_as``."""
    _editor_only(request)

    def typed(field: str) -> str:
        # The field's name carries its formset prefix (targets-3-version_range).
        names = [name for name in request.GET if name.endswith(field)]
        return request.GET.get(names[0], "")[:500] if names else ""

    check = version_range_check(text=typed("version_range"), caveat=typed("caveat"))
    return render(request, "advisories/_range_check.html", {"check": check})


@login_required
@require_POST
def impact_preview_view(request: HttpRequest) -> HttpResponse:
    """What the editor's targets, as they stand in the form, would flag (htmx).

    The targets are saved and compiled on a throw-away copy of the draft inside a transaction
    that is always rolled back, so the preview runs the real matching code on exactly what is
    on the screen, and nothing of it is kept or audited.
    """
    _editor_only(request)
    pk = request.POST.get("advisory")
    advisory = _editable(request, int(pk)) if pk and pk.isdigit() else Advisory()
    form, formset = _editor_forms(request, advisory)
    form.is_valid()
    duplicates = {"duplicates": _typed_duplicates(request, advisory, form, formset)}
    if not formset.is_valid():
        return render(
            request, "advisories/_impact_preview.html", {"incomplete": True, **duplicates}
        )
    targets = formset_targets(formset)
    source = form.cleaned_data.get("source") or Source.objects.order_by("pk").first()
    if not targets or source is None:
        return render(request, "advisories/_impact_preview.html", {"empty": True, **duplicates})
    with transaction.atomic():
        copy = Advisory.objects.create(
            source=source,
            identifier=f"impact-preview-{uuid.uuid4()}",
            title="Impact preview",
            kind=form.cleaned_data.get("kind") or advisory.kind or AdvisoryKind.VENDOR_WARNING,
            severity=form.cleaned_data.get("severity") or advisory.severity,
            audience_sectors=form.cleaned_data.get("audience_sectors") or [],
            audience_tiers=form.cleaned_data.get("audience_tiers") or [],
        )
        compiled = [
            target_compile(target=AffectedTarget(advisory=copy, **fields)) for fields in targets
        ]
        preview = advisory_impact(advisory=copy, user=request.user)
        transaction.set_rollback(True)
    context = {
        "preview": preview,
        "needs_review": [target for target in compiled if target.needs_review],
        **duplicates,
    }
    return render(request, "advisories/_impact_preview.html", context)


def _typed_duplicates(
    request: HttpRequest,
    advisory: Advisory,
    form: AdvisoryEditorForm,
    formset: BaseInlineFormSet[Any, Any, Any],
) -> list[PossibleDuplicate]:
    """Other advisories like the one on the editor's screen, as far as it is filled in."""
    source = form.cleaned_data.get("source")
    if "cve_ids" in form.fields:
        cve_ids = form.cleaned_data.get("cve_ids") or []
    else:
        cve_ids = list(advisory.cves.values_list("cve_id", flat=True)) if advisory.pk else []
    vendor_ids = [
        target.cleaned_data["vendor"].pk
        for target in formset.forms
        if target.is_valid()
        and target.cleaned_data.get("kind") == TargetKind.VENDOR
        and target.cleaned_data.get("vendor") is not None
        and not target.cleaned_data.get("is_exclusion")
        and not target.cleaned_data.get("DELETE")
    ]
    return advisory_duplicates(
        user=request.user,
        exclude_pk=advisory.pk,
        source_id=source.pk if source is not None else None,
        identifier=str(form.data.get("identifier", "")),
        cve_ids=cve_ids,
        vendor_ids=vendor_ids,
    )
