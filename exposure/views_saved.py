"""Pages of saved views: keep the current filters of a flag list under a name (optionally
shared with one of the user's organizations), list them, delete one's own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from exposure.models import SavedView
from exposure.saved_views import saved_view_create, saved_view_delete
from orgs.models import Organization


@login_required
@require_GET
def saved_view_list_view(request: HttpRequest) -> HttpResponse:
    """The user's views and those shared with their organizations."""
    views = (
        SavedView.objects.visible_to(request.user)
        .select_related("organization", "owner")
        .order_by("name", "pk")
    )
    return render(request, "exposure/saved_view_list.html", {"views": views})


@login_required
@require_POST
def saved_view_create_view(request: HttpRequest) -> HttpResponse:
    """Save the filters the list was showing; back to the list, now under its name."""
    page = request.POST.get("page", "")
    back = reverse("exposure:asset_list" if page == "assets" else "exposure:flag_list")
    query = request.POST.get("query", "")
    organization = None
    shared_with = request.POST.get("organization", "")
    if shared_with:
        organization = (
            Organization.objects.visible_to(request.user)
            .filter(pk=int(shared_with) if shared_with.isdigit() else 0)
            .first()
        )
        if organization is None:
            messages.error(
                request, "The view was not saved: share it with one of your organizations."
            )
            return redirect(f"{back}?{query}" if query else back)
    try:
        view = saved_view_create(
            user=request.user,
            name=request.POST.get("name", ""),
            page=page,
            query=query,
            organization=organization,
            request=request,
        )
    except ValidationError as error:
        messages.error(request, "The view was not saved: " + " ".join(error.messages))
        return redirect(f"{back}?{query}" if query else back)
    shared = f", shared with {organization.name}" if organization else ""
    messages.success(request, f"Saved as “{view.name}”{shared}; it is in the Views menu.")
    return redirect(view.get_absolute_url())


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's own views: 404 for a view they cannot see, 403 for one shared
    with them by someone else."""
    view = (
        SavedView.objects.visible_to(request.user)
        .select_related("organization")
        .filter(pk=pk)
        .first()
    )
    if view is None:
        raise Http404("No such view.")
    if view.owner_id != request.user.pk:
        raise PermissionDenied("Only the person who saved a view may delete it.")
    name = view.name
    saved_view_delete(view=view, user=request.user, request=request)
    messages.success(request, f"The view “{name}” is deleted.")
    return redirect("exposure:saved_view_list")
