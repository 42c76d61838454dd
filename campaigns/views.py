"""Pages of campaigns: the list, opening one from an advisory, its dashboard (burn-down,
organizations by milestone state, late first), its milestones, an organization's plan page
with its attestations, the analyst's review, evidence downloads and the regulator report.

Every object is found through the one tenant rule: a plan, attestation or evidence file of an
organization the user may not see is not found (404), like a missing one. The services check
roles and answer 403 for a user who sees a thing without the role to change it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from advisories.choices import AdvisoryStatus
from advisories.selectors import advisories_visible_to
from campaigns.attestations import attestation_review, attestation_submit
from campaigns.choices import AttestationStatus, CampaignStatus
from campaigns.evidence import EvidenceFile
from campaigns.forms import (
    AttestForm,
    CampaignOpenForm,
    MilestoneForm,
    PlanForm,
    ReportForm,
    ReviewForm,
)
from campaigns.models import Evidence, Plan, evidence_storage
from campaigns.report import report_pdf, report_xlsx
from campaigns.selectors import (
    attestation_for_page,
    campaign_burndown,
    campaign_dashboard,
    campaign_for_page,
    campaign_state_at,
    campaigns_visible,
    end_of_day,
    plan_for_page,
    plan_progress,
)
from campaigns.services import (
    campaign_close,
    campaign_open,
    campaign_progress_record,
    can_run_campaigns,
    milestone_update,
    plan_update,
)
from exposure.charts import line_chart
from listing.pages import paginate
from orgs.choices import Role
from orgs.scoping import has_role


def _form_errors(form: Any, error: ValidationError) -> None:
    """Put a service's refusal on the form, on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_GET
def campaign_list_view(request: HttpRequest) -> HttpResponseBase:
    campaigns = campaigns_visible(user=request.user)
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_open_view(request: HttpRequest, advisory_pk: int) -> HttpResponseBase:
    """Open a campaign from a published advisory; for analysts of every organization."""
    if not can_run_campaigns(request.user):
        raise PermissionDenied("Opening a campaign needs the analyst role in every organization.")
    advisory = (
        advisories_visible_to(user=request.user)
        .filter(pk=advisory_pk, status=AdvisoryStatus.PUBLISHED)
        .first()
    )
    if advisory is None:
        raise Http404("No such published advisory.")
    form = CampaignOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaign_open(
                advisory=advisory,
                user=request.user,
                scope=data["scope"],
                scope_sectors=data["scope_sectors"],
                scope_tiers=data["scope_tiers"],
                title=data["title"],
                guidance=data["guidance"],
                milestones=form.milestones(),
                replacement_products=list(data["replacement_products"]),
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, f"Campaign opened for {campaign.plans.count()} organizations."
            )
            return redirect(campaign)
    return render(request, "campaigns/campaign_open.html", {"advisory": advisory, "form": form})


@login_required
@require_GET
def campaign_detail_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The campaign's dashboard over the organizations the user may see: its totals, burn-down
    and milestone summary over all of them, and their lines a page at a time, late first (each
    organization's name leads to its plan)."""
    campaign = campaign_for_page(user=request.user, pk=pk)
    today = timezone.localdate()
    dashboard = campaign_dashboard(campaign=campaign, user=request.user, today=today)
    points = campaign_burndown(campaign=campaign, user=request.user, today=today)
    if points:
        # The last point is now, from the flags, rather than the latest sample.
        points[-1] = (points[-1][0], dashboard.remaining)
    context = {
        "campaign": campaign,
        "dashboard": dashboard,
        "rows": paginate(dashboard.rows, request),
        "burndown": line_chart(points, subject="affected items remaining"),
        "can_run": can_run_campaigns(request.user),
        "replacements": campaign.replacement_products.select_related("vendor"),
        "today": today,
        "report_form": ReportForm(initial={"date": today}),
    }
    return render(request, "campaigns/campaign_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def milestones_edit_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Move the milestones' dates (analysts of every organization)."""
    campaign = campaign_for_page(user=request.user, pk=pk)
    if not can_run_campaigns(request.user):
        raise PermissionDenied("Moving milestones needs the analyst role in every organization.")
    milestones = list(campaign.milestones.all())
    data = request.POST if request.method == "POST" else None
    forms = [(m, MilestoneForm.for_milestone(m, data)) for m in milestones]
    if data is not None and all(form.is_valid() for _m, form in forms):
        try:
            with transaction.atomic():
                for milestone, form in forms:
                    if form.has_changed():
                        milestone_update(
                            milestone=milestone,
                            user=request.user,
                            due_on=form.cleaned_data["due_on"],
                            name=form.cleaned_data["name"],
                            request=request,
                        )
        except ValidationError as error:
            changed = next(form for _m, form in forms if form.has_changed())
            _form_errors(changed, error)
        else:
            messages.success(request, "Milestones saved.")
            return redirect(campaign)
    return render(request, "campaigns/milestones_edit.html", {"campaign": campaign, "forms": forms})


@login_required
@require_POST
def campaign_close_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """End a campaign: nothing more is attested or reminded; its pages and reports stay."""
    campaign = campaign_for_page(user=request.user, pk=pk)
    campaign_close(campaign=campaign, user=request.user, request=request)
    messages.success(request, "Campaign closed.")
    return redirect(campaign)


def _require_admin(request: HttpRequest, plan: Plan) -> None:
    """Refuse a form the user may not send before telling them what is wrong with it."""
    if not has_role(request.user, plan.organization, Role.ADMIN):
        raise PermissionDenied(f"This needs the admin role in {plan.organization}.")


def _plan_page(
    request: HttpRequest,
    plan: Plan,
    *,
    plan_form: PlanForm | None = None,
    attest_forms: dict[str, AttestForm] | None = None,
    status: int = 200,
) -> HttpResponseBase:
    organization = plan.organization
    row = plan_progress(plan=plan)
    is_admin = has_role(request.user, organization, Role.ADMIN)
    is_analyst = has_role(request.user, organization, Role.ANALYST)
    attestations = (
        plan.attestations.select_related("milestone", "submitted_by", "reviewed_by")
        .prefetch_related("evidence")
        .order_by("milestone__position", "-submitted_at")
    )
    by_milestone: dict[int, list[Any]] = {}
    for attestation in attestations:
        by_milestone.setdefault(attestation.milestone_id, []).append(attestation)
    attest_forms = attest_forms or {}
    open_campaign = plan.campaign.status == CampaignStatus.OPEN
    milestones = [
        {
            "cell": cell,
            "attestations": by_milestone.get(cell.milestone.pk, []),
            "can_attest": is_admin
            and open_campaign
            and cell.state in ("pending", "late", "returned"),
            "form": attest_forms.get(cell.milestone.key) or AttestForm(prefix=cell.milestone.key),
        }
        for cell in row.cells
    ]
    context = {
        "plan": plan,
        "campaign": plan.campaign,
        "organization": organization,
        "row": row,
        "milestones": milestones,
        "can_edit_plan": is_admin and open_campaign,
        "can_review": is_analyst,
        "plan_form": plan_form or PlanForm(instance=plan),
        "submitted": AttestationStatus.SUBMITTED,
    }
    return render(request, "campaigns/plan_detail.html", context, status=status)


@login_required
@require_GET
def plan_detail_view(request: HttpRequest, pk: int, slug: str) -> HttpResponseBase:
    """One organization's campaign: its plan, items, milestones and attestations."""
    campaign = campaign_for_page(user=request.user, pk=pk)
    return _plan_page(request, plan_for_page(user=request.user, campaign=campaign, slug=slug))


@login_required
@require_POST
def plan_edit_view(request: HttpRequest, pk: int, slug: str) -> HttpResponseBase:
    campaign = campaign_for_page(user=request.user, pk=pk)
    plan = plan_for_page(user=request.user, campaign=campaign, slug=slug)
    _require_admin(request, plan)
    form = PlanForm(request.POST, instance=Plan.objects.get(pk=plan.pk))
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            plan_update(plan=plan, user=request.user, data=data, request=request)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Plan saved.")
            return redirect(plan)
    return _plan_page(request, plan, plan_form=form, status=400)


@login_required
@require_POST
def attest_view(request: HttpRequest, pk: int, slug: str, key: str) -> HttpResponseBase:
    campaign = campaign_for_page(user=request.user, pk=pk)
    plan = plan_for_page(user=request.user, campaign=campaign, slug=slug)
    milestone = campaign.milestones.filter(key=key).first()
    if milestone is None:
        raise Http404("No such milestone.")
    _require_admin(request, plan)
    form = AttestForm(request.POST, request.FILES, prefix=key)
    if form.is_valid():
        # One byte more than the limit is enough to know a file is too large.
        limit = settings.CAMPAIGN_EVIDENCE_MAX_BYTES + 1
        files = [EvidenceFile(f.name, f.read(limit)) for f in form.cleaned_data["evidence"]]
        try:
            attestation_submit(
                plan=plan,
                milestone=milestone,
                user=request.user,
                statement=form.cleaned_data["statement"],
                files=files,
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"'{milestone.name}' attested; an analyst will review it.")
            return redirect(plan)
    return _plan_page(request, plan, attest_forms={key: form}, status=400)


@login_required
@require_POST
def review_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Accept an attestation or return it with a reason."""
    attestation = attestation_for_page(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            attestation_review(
                attestation=attestation,
                user=request.user,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Review saved.")
    else:
        messages.error(request, "Choose whether to accept or return the attestation.")
    return redirect(attestation.plan)


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


@login_required
@require_GET
def report_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The regulator report for the end of a past day (or now), as XLSX or PDF, over the
    organizations the user may see."""
    campaign = campaign_for_page(user=request.user, pk=pk)
    form = ReportForm(request.GET, opened_on=timezone.localdate(campaign.opened_at))
    if not form.is_valid():
        problems = [
            f"{name}: {message}" for name, errors in form.errors.items() for message in errors
        ]
        return HttpResponseBadRequest("; ".join(problems), content_type="text/plain; charset=utf-8")
    day = form.cleaned_data["date"]
    as_of = min(end_of_day(day), timezone.now())
    if day == timezone.localdate():
        # Today's report is read from the history like any other; bring it up to now first
        # rather than leave it as the last periodic sample saw it.
        campaign_progress_record(campaign=campaign)
    state = campaign_state_at(campaign=campaign, user=request.user, as_of=as_of)
    name = f"campaign-{campaign.pk}-{day.isoformat()}"
    if form.cleaned_data["format"] == "pdf":
        return HttpResponse(
            report_pdf(state),
            content_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return HttpResponse(
        report_xlsx(state),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
