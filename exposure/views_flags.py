"""Pages of flag triage: the triage list (filters, sorting, bulk actions, CSV export) and a
flag's page (history, comments, status changes with a reason, risk acceptance with an expiry,
assignment). Every change goes through ``exposure.triage``, which checks the role, the allowed
moves and their reasons, and writes the history and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from exposure.choices import ACTIVE_FLAG_STATUSES, FlagStatus
from exposure.export import XLSX_MAX_ROWS, flags_csv, flags_xlsx
from exposure.flag_filters import flag_filters, pick_options
from exposure.forms import (
    ASSIGN_ME,
    STATUS_VERBS,
    FlagAssignForm,
    FlagBulkForm,
    FlagCommentForm,
    FlagStatusForm,
)
from exposure.models import Flag
from exposure.selectors import (
    AssetRows,
    FlagRows,
    flag_for_page,
    flag_history,
    flags_assigned,
    flags_on_same_item,
    flags_overdue_unassigned,
    item_active_flag_ids,
)
from exposure.triage import (
    ASSIGNABLE_ROLES,
    flag_assign,
    flag_comment,
    flag_transition,
    flags_bulk_transition,
)
from listing.pages import (
    SortColumn,
    paginate,
    sort_queryset,
)
from orgs.choices import Role
from orgs.models import User
from orgs.scoping import has_role, organization_ids

LIST_COLUMNS = [
    SortColumn("priority", "Priority", ("priority", "-due_date")),
    SortColumn("advisory", "Advisory", ("advisory__identifier",)),
    SortColumn("severity", "Severity", ("advisory__severity_rank",), descending_first=True),
    SortColumn("epss", "EPSS", ("epss_rank",), descending_first=True),
    SortColumn("item", "Item", ("item_label",)),
    SortColumn("organization", "Organization", ("organization__name",)),
    SortColumn("status", "Status", ("status",)),
    SortColumn("assignee", "Assignee", ("assignee__username",)),
    SortColumn("due", "Due", ("due_date",)),
    SortColumn("seen", "First seen", ("first_seen_at",)),
]
# The session key of a refused bulk action's selection (``_selection_keep``).
_SELECTION_KEY = "flag_bulk_refused"


def _triage_context(request: HttpRequest) -> dict[str, Any]:
    """What a list with bulk triage needs to know of the user: only the rows of organizations
    where they triage get a box to tick, and a viewer everywhere gets no bulk bar at all; a
    refused bulk action comes back with its ticks and input (``_selection_keep``)."""
    triage_ids = organization_ids(request.user, minimum=Role.ANALYST)
    refused = request.session.pop(_SELECTION_KEY, None) or {}
    return {
        "can_triage": triage_ids is None or bool(triage_ids),
        "triage_all": triage_ids is None,
        "triage_ids": triage_ids or frozenset(),
        "refused": refused,
        "selected": set(refused.get("flags", ())),
        "selected_items": set(refused.get("items", ())),
    }


@login_required
@require_GET
def flag_list_view(request: HttpRequest) -> HttpResponseBase:
    """The flags of every organization the user may see, most urgent first."""
    by = request.GET.get("sort", "").removeprefix("-")
    filters = flag_filters(request, by_epss=by == "epss")
    ordered, sort = sort_queryset(filters.flags, request, LIST_COLUMNS, default="-priority")
    if request.GET.get("format") == "csv":
        return flags_csv(ordered)
    if request.GET.get("format") == "xlsx":
        if workbook := flags_xlsx(ordered):
            return workbook
        messages.error(
            request,
            f"An Excel export holds up to {XLSX_MAX_ROWS:,} flags; narrow the list with a filter "
            "first, or export it as CSV.",
        )
        kept = request.GET.copy()
        kept.pop("format")
        return redirect(f"{request.path}?{kept.urlencode()}")
    context = {
        "page": paginate(FlagRows(ordered, user=request.user), request),
        "filters": filters,
        "sort": sort,
        "filtered": filters.chosen,
        "today": timezone.localdate(),
        "bulk_form": FlagBulkForm(),
        "user_id": request.user.pk,
        **_triage_context(request),
    }
    return render(request, "exposure/flag_list.html", context)


@login_required
@require_GET
def asset_list_view(request: HttpRequest) -> HttpResponse:
    """Affected assets: one row per inventory item with its flags of the filtered list (the
    open and acknowledged ones unless filtered otherwise), the item with the most urgent
    flag first, and one triage of all the active flags of the ticked items."""
    filters = flag_filters(request)
    context = {
        "page": paginate(AssetRows(filters.flags, user=request.user), request),
        "filters": filters,
        "filtered": filters.chosen,
        "today": timezone.localdate(),
        "bulk_form": FlagBulkForm(),
        **_triage_context(request),
    }
    return render(request, "exposure/asset_list.html", context)


# Rows of each list of "My flags"; the full lists are one link away.
MY_FLAGS_ROWS = 50


@login_required
@require_GET
def my_flags_view(request: HttpRequest) -> HttpResponse:
    """A member's own work: the flags assigned to them, and the overdue flags nobody has
    taken in the organizations where they triage."""
    today = timezone.localdate()
    assigned = flags_assigned(user=request.user)
    overdue = flags_overdue_unassigned(user=request.user, today=today)
    context = {
        "assigned": FlagRows(assigned, user=request.user)[: MY_FLAGS_ROWS + 1],
        "overdue": FlagRows(overdue, user=request.user)[: MY_FLAGS_ROWS + 1],
        "rows": MY_FLAGS_ROWS,
        "today": today,
        "user_id": request.user.pk,
    }
    return render(request, "exposure/my_flags.html", context)


# How many matches a filter picker offers; the user narrows the text rather than scrolls.
PICK_LIMIT = 15


@login_required
@require_GET
def filter_pick_view(request: HttpRequest, kind: str) -> HttpResponse:
    """A flag filter picker's matches (htmx): advisories the user may read, organizations
    the user may see, or catalogue vendors or products, by name."""
    if kind not in ("advisory", "organization", "vendor", "product"):
        raise Http404("No such picker.")
    term = request.GET.get("term", "").strip()[:200]
    context = {
        "query": term,
        # The id of the hidden input the picked option fills in; only form-field ids pass.
        "target": "".join(c for c in request.GET.get("target", "") if c.isalnum() or c in "_-"),
        "options": pick_options(kind=kind, term=term, user=request.user, limit=PICK_LIMIT)
        if term
        else [],
        "empty": f"No {kind} matches",
    }
    return render(request, "vendors/_picker_options.html", context)


def _back(request: HttpRequest, fallback: str) -> str:
    """Where the form was posted from, filters included, when it is on this site."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@transaction.atomic
def _bulk_assign(request: HttpRequest, flag_ids: list[int], assignee: User | None) -> int:
    """Assign every flag, all or none: one flag the user may not see or triage, or one whose
    organization the assignee is not a member of, refuses the whole request."""
    flags = {
        flag.pk: flag for flag in Flag.objects.visible_to(request.user).filter(pk__in=flag_ids)
    }
    missing = [pk for pk in flag_ids if pk not in flags]
    if missing:
        raise ValidationError(f"No such flags: {', '.join(map(str, missing))}.")
    for pk in flag_ids:
        flag_assign(flag=flags[pk], assignee=assignee, user=request.user, request=request)
    return len(flag_ids)


def _selection_keep(request: HttpRequest, data: dict[str, Any]) -> None:
    """Remember a refused bulk action's ticks and input, so that the list comes back as it
    was posted and the person corrects the input instead of ticking every flag again."""
    until = data.get("risk_accepted_until")
    request.session[_SELECTION_KEY] = {
        "flags": data["flags"],
        "items": data.get("items") or [],
        "action": data["action"],
        "reason": data.get("reason", ""),
        "risk_accepted_until": until.isoformat() if until else "",
    }


@login_required
@require_POST
def flag_bulk_view(request: HttpRequest) -> HttpResponse:
    """Apply one action to the ticked flags of the list, all or none."""
    back = _back(request, reverse("exposure:flag_list"))
    form = FlagBulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    ids: list[int] = form.cleaned_data["flags"]
    if form.cleaned_data["items"]:
        of_items = item_active_flag_ids(user=request.user, item_ids=form.cleaned_data["items"])
        ids += [pk for pk in of_items if pk not in ids]
        if not ids:
            messages.error(request, "The ticked items have no open or acknowledged flags.")
            return redirect(back)
    status = form.status()
    try:
        if status is None:
            me = request.user if form.cleaned_data["action"] == ASSIGN_ME else None
            count = _bulk_assign(request, ids, me)  # type: ignore[arg-type]
            done = "assigned to you" if me is not None else "unassigned"
        else:
            count = len(
                flags_bulk_transition(
                    flag_ids=ids,
                    status=status,
                    reason=form.cleaned_data["reason"],
                    risk_accepted_until=form.expiry(),
                    user=request.user,
                    request=request,
                )
            )
            done = f"now {FlagStatus(status).label.lower()}"
    except (ValidationError, PermissionDenied) as error:
        reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
        messages.error(request, "Nothing was changed: " + " ".join(reasons))
        _selection_keep(request, form.cleaned_data)
    else:
        messages.success(request, f"{count} flag{'s' if count != 1 else ''} {done}.")
    return redirect(back)


def _flag(request: HttpRequest, pk: int) -> Flag:
    try:
        return flag_for_page(user=request.user, pk=pk)
    except Flag.DoesNotExist:
        raise Http404("No such flag.") from None


def _triageable(request: HttpRequest, pk: int) -> Flag:
    """The flag a triage form posts to: 404 when the user may not see it, 403 when they see it
    without the analyst role (the triage services check it too; checking first spares a
    viewer a form error for a change they could never make)."""
    flag = _flag(request, pk)
    if not has_role(request.user, flag.organization, Role.ANALYST):
        raise PermissionDenied("Triage needs the analyst role in the flag's organization.")
    return flag


def _members(flag: Flag) -> Any:
    """Who the flag may be assigned to: the members of its organization who can triage it
    (a viewer could not act on it)."""
    return User.objects.filter(
        memberships__organization=flag.organization,
        memberships__role__in=ASSIGNABLE_ROLES,
        is_active=True,
    ).order_by("username")


def _render_detail(
    request: HttpRequest, flag: Flag, *, bound: Form | None = None, status: int = 200
) -> HttpResponse:
    """The flag's page; ``bound`` is the form that was just posted, shown with its errors."""
    can_triage = has_role(request.user, flag.organization, Role.ANALYST)
    triage_forms: dict[str, Form] = {
        "status_form": FlagStatusForm(flag=flag),
        "assign_form": FlagAssignForm(
            initial={"assignee": flag.assignee_id}, members=_members(flag)
        ),
        "comment_form": FlagCommentForm(),
    }
    if bound is not None:
        names = {type(form): name for name, form in triage_forms.items()}
        triage_forms[names[type(bound)]] = bound
    today = timezone.localdate()
    context = {
        "flag": flag,
        "events": flag_history(flag=flag),
        "same_item": flags_on_same_item(flag=flag, user=request.user),
        "can_triage": can_triage,
        "active": flag.status in ACTIVE_FLAG_STATUSES,
        "overdue": flag.status in ACTIVE_FLAG_STATUSES
        and flag.due_date is not None
        and flag.due_date < today,
        "acceptance_expired": flag.status == FlagStatus.RISK_ACCEPTED
        and flag.risk_accepted_until is not None
        and flag.risk_accepted_until < today,
        "status_verbs": STATUS_VERBS,
        **triage_forms,
    }
    return render(request, "exposure/flag_detail.html", context, status=status)


def _put_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_GET
def flag_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A flag: what matched, what to do, its history, and the triage forms."""
    return _render_detail(request, _flag(request, pk))


@login_required
@require_POST
def flag_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the flag to another status, with the reason (and expiry) the move needs."""
    flag = _triageable(request, pk)
    form = FlagStatusForm(request.POST, flag=flag)
    if form.is_valid():
        try:
            flag = flag_transition(
                flag=flag,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                risk_accepted_until=form.cleaned_data["risk_accepted_until"],
                user=request.user,
                request=request,
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, f"The flag is now {flag.get_status_display().lower()}.")
            return redirect(flag)
    return _render_detail(request, flag, bound=form, status=400)


@login_required
@require_POST
def flag_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the flag to a member of its organization, or to nobody."""
    flag = _triageable(request, pk)
    form = FlagAssignForm(request.POST, members=_members(flag))
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            flag_assign(flag=flag, assignee=assignee, user=request.user, request=request)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            who = f"assigned to {assignee}" if assignee is not None else "unassigned"
            messages.success(request, f"The flag is {who}.")
            return redirect(flag)
    return _render_detail(request, flag, bound=form, status=400)


@login_required
@require_POST
def flag_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment to the flag's history."""
    flag = _triageable(request, pk)
    form = FlagCommentForm(request.POST)
    if form.is_valid():
        try:
            flag_comment(
                flag=flag, note=form.cleaned_data["note"], user=request.user, request=request
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, "Comment added.")
            return redirect(flag)
    return _render_detail(request, flag, bound=form, status=400)
