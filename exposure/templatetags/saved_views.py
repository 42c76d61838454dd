"""The navigation's menu of saved views, and the form that saves the current filters."""

from typing import Any

from django import template

from exposure.flag_filters import ORGANIZATIONS_LISTED, Picker
from exposure.models import SavedView
from orgs.models import Organization

register = template.Library()

# The menu lists this many; the page of saved views lists them all.
MENU_ROWS = 15


@register.inclusion_tag("exposure/_saved_view_menu.html", takes_context=True)
def saved_view_menu(context: dict[str, Any]) -> dict[str, Any]:
    """The user's views and those shared with their organizations, by name."""
    user = context["request"].user
    views = list(
        SavedView.objects.visible_to(user)
        .only("name", "page", "query")
        .order_by("name", "pk")[: MENU_ROWS + 1]
    )
    return {"views": views[:MENU_ROWS], "more": len(views) > MENU_ROWS}


@register.inclusion_tag("exposure/_saved_view_form.html", takes_context=True)
def saved_view_form(context: dict[str, Any], page: str, query: str) -> dict[str, Any]:
    """Save the list's current filters under a name, shared or not."""
    user = context["request"].user
    organizations = list(
        Organization.objects.visible_to(user)
        .only("pk", "name")
        .order_by("name")[: ORGANIZATIONS_LISTED + 1]
    )
    # Like the list's organization filter: a drop-down of a few, a search box for many.
    many = len(organizations) > ORGANIZATIONS_LISTED
    picker = Picker("organization", {}, "Nobody, or an organization's name")
    return {
        "page": page,
        "query": query,
        "organizations": [] if many else organizations,
        "share_picker": picker.render("organization", None, {"id": "save-view-share"})
        if many
        else "",
        "csrf_token": context.get("csrf_token"),
    }
